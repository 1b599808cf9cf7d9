"""The Tortoise engine the kit gives SQLite connections: Tortoise's own client, its
statements counted toward the running request and, traced, each in a span
(subgraphs.kit.telemetry), inside transactions too."""

from __future__ import annotations

from typing import Any

from tortoise.backends.base.client import NestedTransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)

from subgraphs.kit.telemetry import instrument_client

__all__ = ["ENGINE", "AgoraSqliteClient", "client_class"]

# The module path Tortoise imports as a connection's `engine`.
ENGINE = __name__


class _CountedTransactionWrapper(
    instrument_client(SqliteTransactionWrapper, "sqlite")  # type: ignore[misc]
):
    """A transaction's connection, its statements counted; savepoints too."""

    def _in_transaction(self) -> Any:
        return NestedTransactionContext(_CountedTransactionWrapper(self))


class AgoraSqliteClient(instrument_client(SqliteClient, "sqlite")):  # type: ignore[misc]
    """Tortoise's SQLite client with counted statements (module docstring)."""

    def _in_transaction(self) -> Any:
        return SqliteTransactionContext(_CountedTransactionWrapper(self), self._lock)


client_class = AgoraSqliteClient
