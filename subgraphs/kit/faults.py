"""Transient faults: the foreign exceptions a retry can get past, named for clients.

A dropped database connection or an unreachable Redis is not a defect: a client
told INTERNAL_SERVER_ERROR cannot know that the same request may be sent again.
`translate_fault` maps them (looking through `__cause__` and `__context__`, as
Tortoise and redis wrap what asyncpg and sockets raise) to

- OutcomeUnknown (OUTCOME_UNKNOWN) for a COMMIT whose answer was lost: the write
  may be stored;
- TemporarilyUnavailable (SERVICE_UNAVAILABLE, retryable) for everything else here:
  the transaction was rolled back, nothing was stored.

Anything else is not transient (None). Of that, `is_refused_value` names a value
the database refused as a value (too long, out of range): the client's input,
BAD_USER_INPUT; the rest is a defect, masked as INTERNAL_SERVER_ERROR.
"""

from __future__ import annotations

import sqlite3

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no stubs
import redis.exceptions
from tortoise.exceptions import DBConnectionError, ValidationError

from subgraphs.kit._postgres import CommitOutcomeUnknown
from subgraphs.kit.errors import (
    AgoraGraphQLError,
    OutcomeUnknown,
    TemporarilyUnavailable,
)

__all__ = [
    "REFUSED_VALUES",
    "TRANSIENT",
    "is_refused_value",
    "is_transient",
    "translate_fault",
]

# Failures that leave nothing stored and go away by themselves: a connection lost,
# refused or not yet accepted, a server shutting down or out of connections, a
# serialization failure or deadlock (PostgreSQL rolled back and says to retry), a
# statement cancelled, SQLite busy, Redis unreachable or slow.
TRANSIENT: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.TransactionRollbackError,
    asyncpg.exceptions.LockNotAvailableError,
    DBConnectionError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,
    ConnectionError,
    TimeoutError,
)
# OSErrors that are a program's or a deployment's fault, not the network's.
_NOT_NETWORK = (
    FileNotFoundError,
    FileExistsError,
    PermissionError,
    IsADirectoryError,
    NotADirectoryError,
)
# How far down a chain of wrapped exceptions to look.
_DEPTH = 8


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(seen) < _DEPTH and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, TRANSIENT):
        return True
    if isinstance(exc, OSError):
        # asyncpg reports a refused connection as a bare OSError listing the
        # addresses it tried.
        return not isinstance(exc, _NOT_NETWORK)
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


def is_transient(exc: BaseException) -> bool:
    """True when `exc` (or what it wraps) is a fault a retry can get past."""
    return any(
        isinstance(link, CommitOutcomeUnknown) or _transient(link)
        for link in _chain(exc)
    )


# A value the database (or Tortoise's field validation before it) refuses as a
# value: the client's input, not a fault and not a defect (subgraphs.kit._masking).
REFUSED_VALUES: tuple[type[BaseException], ...] = (
    ValidationError,
    asyncpg.exceptions.StringDataRightTruncationError,
    asyncpg.exceptions.NumericValueOutOfRangeError,
)


def is_refused_value(exc: BaseException) -> bool:
    """True when `exc` (or what it wraps) is a value the database refused."""
    return any(isinstance(link, REFUSED_VALUES) for link in _chain(exc))


def translate_fault(
    exc: BaseException, *, idempotency_key: bool = False
) -> AgoraGraphQLError | None:
    """The client error for a transient fault, or None for anything else.

    `idempotency_key`: the request carried one, so a lost COMMIT is retryable.
    """
    chain = _chain(exc)
    if any(isinstance(link, CommitOutcomeUnknown) for link in chain):
        return OutcomeUnknown(
            "The database connection was lost while the write was committed: it "
            "may or may not be stored."
            + (" Retry with the same idempotency key." if idempotency_key else ""),
            retryable=idempotency_key,
        )
    if any(_transient(link) for link in chain):
        return TemporarilyUnavailable(
            "A service this request needs failed for a moment; nothing was stored. "
            "Retry."
        )
    return None
