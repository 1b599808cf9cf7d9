"""Errors the gateway raises, each carrying the `extensions.code` a client sees.

AgoraError
├── PlanningError          the operation cannot be planned against this supergraph
├── SubgraphError          a subgraph could not give a usable answer
│   ├── SubgraphTimeout        no answer within the subgraph's timeout
│   ├── SubgraphUnavailable    connection refused, reset, DNS, HTTP 5xx
│   │   └── SubgraphNotCalled      the gateway did not call it (breaker open,
│   │                              bulkhead full)
│   ├── SubgraphBadResponse    an answer that is not a GraphQL response
│   └── SubgraphOutcomeUnknown a mutation sent, then no answer (timeout, dropped
│                              connection): it may or may not have been applied
└── PolicyRefused          a policy (auth, limits) refused the request

A SubgraphError's `sent` says whether the request may have reached the subgraph:
False only when the gateway knows it did not (connection refused, breaker open,
no free slot), which is what lets a failed mutation be told apart from one whose
outcome is unknown.
"""

from __future__ import annotations

__all__ = [
    "AgoraError",
    "PlanningError",
    "PolicyRefused",
    "SubgraphBadResponse",
    "SubgraphError",
    "SubgraphNotCalled",
    "SubgraphOutcomeUnknown",
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

    @property
    def extensions(self) -> dict[str, object]:
        """What the client's error carries in `extensions` beside `code`."""
        return {}


class PlanningError(AgoraError):
    """Raised when an operation cannot be planned (a field no subgraph can resolve)."""

    code = "QUERY_PLANNING_FAILED"


class SubgraphError(AgoraError):
    """Raised when a subgraph fetch fails; carries the subgraph's name."""

    code = "SUBGRAPH_ERROR"

    def __init__(self, subgraph: str, reason: str, *, sent: bool = True) -> None:
        super().__init__(f"Subgraph '{subgraph}' failed: {reason}")
        self.subgraph = subgraph
        self.reason = reason
        # False only when the request certainly never reached the subgraph.
        self.sent = sent


class SubgraphTimeout(SubgraphError):
    """Raised when a subgraph does not answer within its timeout."""

    code = "SUBGRAPH_TIMEOUT"

    def __init__(self, subgraph: str, timeout: float, *, sent: bool = True) -> None:
        super().__init__(subgraph, f"no response within {timeout:g}s", sent=sent)
        self.timeout = timeout


class SubgraphUnavailable(SubgraphError):
    """Raised when a subgraph cannot be reached or answers with an HTTP error, or
    the gateway refuses to call it (breaker open, bulkhead full: `sent` False)."""

    code = "SUBGRAPH_UNAVAILABLE"

    def __init__(
        self,
        subgraph: str,
        reason: str,
        *,
        sent: bool = True,
        status: int | None = None,
    ) -> None:
        super().__init__(subgraph, reason, sent=sent)
        # The HTTP status of an error answer without a GraphQL body.
        self.status = status


class SubgraphNotCalled(SubgraphUnavailable):
    """Raised when the gateway refuses to call a subgraph it knows to be failing
    (its circuit breaker is open) or busy (its bulkhead is full): fast, never sent."""

    def __init__(self, subgraph: str, reason: str) -> None:
        super().__init__(subgraph, reason, sent=False)


class SubgraphBadResponse(SubgraphError):
    """Raised when a subgraph answers with something that is not a GraphQL response."""

    code = "SUBGRAPH_BAD_RESPONSE"


class SubgraphOutcomeUnknown(SubgraphError):
    """Raised when a mutation was sent and no answer came (a timeout, a dropped
    connection): the subgraph may have applied it. `retryable` when the client gave
    an idempotency key, so sending the same request again with it is safe."""

    code = "OUTCOME_UNKNOWN"

    def __init__(self, subgraph: str, reason: str, *, retryable: bool) -> None:
        super().__init__(
            subgraph,
            f"{reason}; the mutation may or may not have been applied",
        )
        self.retryable = retryable

    @property
    def extensions(self) -> dict[str, object]:
        return {"retryable": self.retryable}


class PolicyRefused(AgoraError):
    """Raised when a policy refuses a request; `code` is set by the policy."""

    def __init__(self, message: str, code: str = "FORBIDDEN") -> None:
        super().__init__(message)
        self.code = code
