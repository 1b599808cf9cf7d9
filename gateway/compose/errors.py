"""What composition reports: errors that stop it, hints that do not, and the exception.

AgoraError
├── CompositionFailed      the subgraphs do not compose; carries the CompositionErrors
└── SupergraphConfigError  a rover supergraph config or a subgraph's SDL is unusable

CompositionError and CompositionHint are values, not exceptions: `compose` returns them
(errors as data), with the codes the Apollo tools use so users can look them up.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.errors import AgoraError

__all__ = [
    "CompositionError",
    "CompositionFailed",
    "CompositionHint",
    "SupergraphConfigError",
]


@dataclass(frozen=True, slots=True)
class CompositionError:
    """One reason the subgraphs do not compose, with the elements at fault."""

    code: str
    message: str
    subgraphs: tuple[str, ...] = ()
    type_name: str | None = None
    field_name: str | None = None

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass(frozen=True, slots=True)
class CompositionHint:
    """Something that composed but probably not as intended (Apollo's hints)."""

    code: str
    message: str
    subgraphs: tuple[str, ...] = ()
    type_name: str | None = None
    field_name: str | None = None

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
