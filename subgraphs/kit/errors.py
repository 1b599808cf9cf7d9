"""Errors a resolver raises for the client to see, each with its `extensions.code`.

    AgoraGraphQLError              code given by the subclass
    ├── BadUserInput               BAD_USER_INPUT
    ├── Unauthenticated            UNAUTHENTICATED
    ├── Forbidden                  FORBIDDEN
    ├── NotFound                   NOT_FOUND
    ├── Conflict                   CONFLICT
    ├── RateLimited                RATE_LIMITED (+ extensions.retryAfter)
    ├── TemporarilyUnavailable     SERVICE_UNAVAILABLE (+ retryable: true): a
    │   │                          database or broker fault; nothing was stored
    │   └── BrokerUnavailable      Redis cannot be reached
    ├── OutcomeUnknown             OUTCOME_UNKNOWN (+ retryable): a write's commit
    │                              was sent and its answer lost
    └── IdempotencyKeyReused       IDEMPOTENCY_KEY_REUSED: a key already used for
                                   another request

Any other exception escaping a resolver is masked by the app factory:
subgraphs.kit.faults names the transient ones (a dropped database connection, Redis
unreachable) SERVICE_UNAVAILABLE or OUTCOME_UNKNOWN, the rest INTERNAL_SERVER_ERROR,
with no message or stack trace from the inside.
"""

from __future__ import annotations

from typing import Any


class AgoraGraphQLError(Exception):
    """A failure the client may see: its message, and `code` in `extensions.code`."""

    code: str = "INTERNAL_SERVER_ERROR"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        # graphql-core copies `original_error.extensions` into the located error.
        self.extensions: dict[str, Any] = {**(extensions or {}), "code": self.code}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code!r})"


class BadUserInput(AgoraGraphQLError):
    """The arguments are invalid: a taken email, a weak password, an unknown id."""

    code = "BAD_USER_INPUT"

    def __init__(
        self, message: str, *, field: str | None = None, **extensions: Any
    ) -> None:
        if field is not None:
            extensions["field"] = field
        super().__init__(message, extensions=extensions)


class Unauthenticated(AgoraGraphQLError):
    """No caller, or a token that is expired, tampered with or wrongly signed."""

    code = "UNAUTHENTICATED"

    def __init__(self, message: str = "Authentication required.") -> None:
        super().__init__(message)


class Forbidden(AgoraGraphQLError):
    """The caller is known but lacks the role, scope or tenant for this."""

    code = "FORBIDDEN"

    def __init__(self, message: str = "Not allowed.") -> None:
        super().__init__(message)


class NotFound(AgoraGraphQLError):
    """The thing asked for does not exist (or is not visible to the caller)."""

    code = "NOT_FOUND"

    def __init__(self, typename: str, id: str) -> None:
        super().__init__(
            f"{typename} {id!r} not found.", extensions={"typename": typename, "id": id}
        )


class Conflict(AgoraGraphQLError):
    """The request clashes with the stored state (a duplicate, a stale version)."""

    code = "CONFLICT"

    def __init__(self, message: str) -> None:
        super().__init__(message)


class RateLimited(AgoraGraphQLError):
    """Too many requests; try again after `retry_after` seconds."""

    code = "RATE_LIMITED"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message, extensions={"retryAfter": retry_after})
        self.retry_after = retry_after


class TemporarilyUnavailable(AgoraGraphQLError):
    """A transient fault (database connection lost, Redis unreachable) stopped the
    request before anything was stored: the same request may be sent again."""

    code = "SERVICE_UNAVAILABLE"

    def __init__(
        self, message: str = "A service this request needs is unavailable; retry."
    ) -> None:
        super().__init__(message, extensions={"retryable": True})


class BrokerUnavailable(TemporarilyUnavailable):
    """The pub/sub broker (Redis) cannot be reached to publish an event."""

    def __init__(self, message: str = "The event broker is unavailable.") -> None:
        super().__init__(message)


class OutcomeUnknown(AgoraGraphQLError):
    """A write was sent to be committed and the answer never came: it may be stored
    or not. `retryable` when the request carried an idempotency key, whose retry
    returns the stored result if there is one."""

    code = "OUTCOME_UNKNOWN"

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message, extensions={"retryable": retryable})


class IdempotencyKeyReused(AgoraGraphQLError):
    """An idempotency key came back with a request other than the one it was first
    used for (another operation, other arguments, another caller's key space)."""

    code = "IDEMPOTENCY_KEY_REUSED"

    def __init__(self) -> None:
        super().__init__(
            "This idempotency key was used for a different request; use a new key."
        )
