"""Errors the gateway raises, each carrying the `extensions.code` a client sees.

AgoraError
├── PlanningError          the operation cannot be planned against this supergraph
├── SubgraphError          a subgraph could not give a usable answer
│   ├── SubgraphTimeout        no answer within the subgraph's timeout
│   ├── SubgraphUnavailable    connection refused, reset, DNS, HTTP 5xx
│   └── SubgraphBadResponse    an answer that is not a GraphQL response
└── PolicyRefused          a policy (auth, limits) refused the request
"""

from __future__ import annotations

__all__ = [
    "AgoraError",
    "PlanningError",
    "PolicyRefused",
    "SubgraphBadResponse",
    "SubgraphError",
    "SubgraphTimeout",
    "SubgraphUnavailable",
]


class AgoraError(Exception):
    """Base of every gateway error; `code` goes into the GraphQL error's extensions."""

    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class PlanningError(AgoraError):
    """Raised when an operation cannot be planned (a field no subgraph can resolve)."""

    code = "QUERY_PLANNING_FAILED"


class SubgraphError(AgoraError):
    """Raised when a subgraph fetch fails; carries the subgraph's name."""

    code = "SUBGRAPH_ERROR"

    def __init__(self, subgraph: str, reason: str) -> None:
        super().__init__(f"Subgraph '{subgraph}' failed: {reason}")
        self.subgraph = subgraph
        self.reason = reason


class SubgraphTimeout(SubgraphError):
    """Raised when a subgraph does not answer within its timeout."""

    code = "SUBGRAPH_TIMEOUT"

    def __init__(self, subgraph: str, timeout: float) -> None:
        super().__init__(subgraph, f"no response within {timeout:g}s")
        self.timeout = timeout


class SubgraphUnavailable(SubgraphError):
    """Raised when a subgraph cannot be reached or answers with an HTTP error."""

    code = "SUBGRAPH_UNAVAILABLE"


class SubgraphBadResponse(SubgraphError):
    """Raised when a subgraph answers with something that is not a GraphQL response."""

    code = "SUBGRAPH_BAD_RESPONSE"


class PolicyRefused(AgoraError):
    """Raised when a policy refuses a request; `code` is set by the policy."""

    def __init__(self, message: str, code: str = "FORBIDDEN") -> None:
        super().__init__(message)
        self.code = code
