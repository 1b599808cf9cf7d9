"""Checks on the merged supergraph that no single subgraph can make.

Apollo runs these after merging (post-merge validation and the API schema's
@inaccessible rules, https://specs.apollo.dev/inaccessible/v0.2): an entity interface's
key must reach every implementation, and what clients see must not point at what they
cannot see.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._wording import subgraph_names
from .errors import CompositionError
from .subgraph import named_type

if TYPE_CHECKING:
    from .model import MergedType, Supergraph

__all__ = ["validate_supergraph"]


def _inaccessible(element: object) -> bool:
    directives = getattr(element, "directives", ())
    return any(d.name.value == "inaccessible" for d in directives)


def _referenced_inaccessible(supergraph: Supergraph) -> list[CompositionError]:
    errors: list[CompositionError] = []
    hidden = {n for n, t in supergraph.types.items() if _inaccessible(t)}

    def check(referenced: str, coordinate: str, type_name: str, field: str) -> None:
        if referenced in hidden:
            errors.append(
                CompositionError(
                    "REFERENCED_INACCESSIBLE",
                    f'Type "{referenced}" is @inaccessible but is referenced by'
                    f' "{coordinate}", which is in the API schema.',
                    (),
                    type_name,
                    field,
                )
            )

    for merged in supergraph.types.values():
        if merged.name in hidden:
            continue
        for field in merged.fields.values():
            if _inaccessible(field):
                continue
            coordinate = f"{merged.name}.{field.name}"
            check(named_type(field.type), coordinate, merged.name, field.name)
            for argument in field.arguments.values():
                if not _inaccessible(argument):
                    check(
                        named_type(argument.type),
                        f"{coordinate}({argument.name}:)",
                        merged.name,
                        field.name,
                    )
    return errors


def _implementations(supergraph: Supergraph, interface: str) -> list[MergedType]:
    return [
        t
        for t in supergraph.types.values()
        if t.kind == "object" and interface in t.interfaces
    ]


def _interface_keys_reach_implementations(
    supergraph: Supergraph,
) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for subgraph in supergraph.subgraphs:
        for definition in subgraph.types.values():
            if definition.kind != "interface":
                continue
            key = next((k for k in definition.keys if k.resolvable), None)
            if key is None:
                continue
            name = definition.name
            missing = [
                t.name
                for t in _implementations(supergraph, name)
                if t.name not in subgraph.types
                or name not in subgraph.types[t.name].interfaces
            ]
            if not missing:
                continue
            noun = "type" if len(missing) == 1 else "types"
            pronoun = "it" if len(missing) == 1 else "them"
            listed = subgraph_names(missing).split(" ", 1)[1]
            errors.append(
                CompositionError(
                    "INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE",
                    f'[{subgraph.name}] Interface type "{name}" has a resolvable key'
                    f' ({key.source}) in subgraph "{subgraph.name}" but that subgraph'
                    " is missing some of the supergraph implementation types of"
                    f' "{name}". Subgraph "{subgraph.name}" should define {noun}'
                    f' {listed} (and have {pronoun} implement "{name}").',
                    (subgraph.name,),
                    name,
                )
            )
    return errors


def validate_supergraph(supergraph: Supergraph) -> list[CompositionError]:
    """Post-merge errors: no queries, interface keys missing implementations, then
    @inaccessible references."""
    query = supergraph.types.get("Query")
    if query is None or not query.fields:
        return [
            CompositionError(
                "NO_QUERIES",
                "No queries found in any subgraph: a supergraph must have a query root"
                " type.",
            )
        ]
    return _interface_keys_reach_implementations(supergraph) + (
        _referenced_inaccessible(supergraph)
    )
