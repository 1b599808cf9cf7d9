"""The merged supergraph before printing: types and fields with join metadata."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graphql.language import DirectiveNode, ValueNode

    from .subgraph import Subgraph
    from .type_reference import TypeReference

__all__ = [
    "MergedArgument",
    "MergedDirective",
    "MergedField",
    "MergedSupergraph",
    "MergedType",
    "MergedValue",
]


@dataclass(slots=True)
class MergedArgument:
    name: str
    type: TypeReference
    default: ValueNode | None
    description: str | None
    directives: list[DirectiveNode]


@dataclass(slots=True)
class MergedField:
    name: str
    type: TypeReference
    description: str | None = None
    arguments: dict[str, MergedArgument] = field(default_factory=dict)
    default: ValueNode | None = None
    join: list[str] = field(default_factory=list)
    directives: list[DirectiveNode] = field(default_factory=list)


@dataclass(slots=True)
class MergedValue:
    name: str
    description: str | None
    join: list[str]
    directives: list[DirectiveNode]


@dataclass(slots=True)
class MergedType:
    name: str
    kind: str
    description: str | None = None
    join: list[str] = field(default_factory=list)
    directives: list[DirectiveNode] = field(default_factory=list)
    interfaces: list[str] = field(default_factory=list)
    fields: dict[str, MergedField] = field(default_factory=dict)
    members: list[str] = field(default_factory=list)
    values: dict[str, MergedValue] = field(default_factory=dict)


@dataclass(slots=True)
class MergedDirective:
    """An executable directive every subgraph defines, as the supergraph declares it."""

    name: str
    description: str | None
    arguments: dict[str, MergedArgument]
    repeatable: bool
    locations: list[str]


@dataclass(slots=True)
class MergedSupergraph:
    """The merged graph: what `print_supergraph` turns into SDL."""

    subgraphs: list[Subgraph]
    graph_names: dict[str, str]
    types: dict[str, MergedType]
    root_types: list[str]
    directives: list[MergedDirective] = field(default_factory=list)
