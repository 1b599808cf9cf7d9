"""What composition reports: errors that stop it, hints that do not, and the exception.

AgoraError
├── CompositionFailed      the subgraphs do not compose; carries the CompositionErrors
└── SupergraphConfigError  a rover supergraph config or a subgraph's SDL is unusable

CompositionError and CompositionHint are values, not exceptions: `compose` returns them
(errors as data), with the codes the Apollo tools use so users can look them up (one
registry: codes.py), and the subgraph AST nodes at fault (`nodes`; `locations` gives
subgraph, line and column).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gateway.errors import AgoraError

if TYPE_CHECKING:
    from graphql.language import Node

    from .codes import ErrorCode, HintCode

__all__ = [
    "CompositionError",
    "CompositionFailed",
    "CompositionHint",
    "SourceLocation",
    "SupergraphConfigError",
    "source_locations",
]


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """Where a node stands: the subgraph's name, then 1-based line and column."""

    subgraph: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.subgraph}:{self.line}:{self.column}"


def source_locations(nodes: tuple[Node, ...]) -> tuple[SourceLocation, ...]:
    locations = []
    for node in nodes:
        if node.loc is None:
            continue
        source = node.loc.source
        where = source.get_location(node.loc.start)
        locations.append(SourceLocation(source.name, where.line, where.column))
    return tuple(locations)


@dataclass(frozen=True, slots=True)
class CompositionError:
    """One reason the subgraphs do not compose, with the elements at fault."""

    code: ErrorCode
    message: str
    subgraphs: tuple[str, ...] = ()
    type_name: str | None = None
    field_name: str | None = None
    # The subgraph definitions at fault (each parsed with its subgraph's name).
    nodes: tuple[Node, ...] = field(default=(), compare=False, repr=False)

    @property
    def locations(self) -> tuple[SourceLocation, ...]:
        return source_locations(self.nodes)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass(frozen=True, slots=True)
class CompositionHint:
    """Something that composed but probably not as intended (Apollo's hints)."""

    code: HintCode
    message: str
    subgraphs: tuple[str, ...] = ()
    type_name: str | None = None
    field_name: str | None = None
    # The subgraph definitions at fault (each parsed with its subgraph's name).
    nodes: tuple[Node, ...] = field(default=(), compare=False, repr=False)

    @property
    def locations(self) -> tuple[SourceLocation, ...]:
        return source_locations(self.nodes)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class CompositionFailed(AgoraError):
    """Raised by callers that need a supergraph when composition returned errors."""

    code = "COMPOSITION_FAILED"

    def __init__(self, errors: tuple[CompositionError, ...]) -> None:
        lines = "\n".join(f"- {error}" for error in errors)
        super().__init__(f"Composition failed with {len(errors)} error(s):\n{lines}")
        self.errors = errors


class SupergraphConfigError(AgoraError):
    """Raised when a supergraph config cannot be read or a subgraph SDL not obtained."""

    code = "INVALID_SUPERGRAPH_CONFIG"
