"""The Tortoise engine the kit gives PostgreSQL connections (issue 13).

Tortoise's asyncpg transaction context has two faults that a dropped database
connection (a failover, `pg_terminate_backend`) turns into wrong answers:

- After a successful COMMIT it returns the connection to asyncpg's pool, whose
  reset query then fails on the dead connection ("cannot switch to state 15;
  another operation (2) is in progress"), and that error leaves the `async with`:
  the caller reports a failure for a write that is stored.
- When BEGIN fails, the acquired connection is never released and the task's
  current connection stays set to the dead transaction, so every later query of
  the task fails ("connection has been released back to the pool") and the pool
  loses a connection each time.

`client_class` here is Tortoise's asyncpg client with a transaction context that
does neither: the pool's own trouble after the transaction ended is logged (asyncpg
has terminated that connection already), BEGIN failing releases what it acquired,
and a rollback that fails on a dead connection does not hide the error that
caused it. A COMMIT whose answer was lost raises CommitOutcomeUnknown: the write
may or may not be stored, which the caller must not report as a failure.
"""

from __future__ import annotations

import logging
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no stubs
from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import (
    NestedTransactionContext,
    TransactionContextPooled,
)
from tortoise.connection import get_connections
from tortoise.exceptions import TransactionManagementError

from subgraphs.kit.telemetry import instrument_client, register_pool

__all__ = ["ENGINE", "AgoraAsyncpgClient", "CommitOutcomeUnknown", "client_class"]

logger = logging.getLogger("agora.subgraphs")

# The module path Tortoise imports as a connection's `engine`.
ENGINE = __name__

# A COMMIT that failed with one of these was sent and its answer lost: it may
# have committed. (asyncpg raises InterfaceError and InternalClientError before
# sending anything on a connection it knows is broken: such a COMMIT never left,
# and the server rolls the transaction back when the connection ends.)
_LOST_ANSWER = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    OSError,
)
# A ROLLBACK failing with one of these met a dead connection.
_DEAD_CONNECTION = (
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    *_LOST_ANSWER,
)


class CommitOutcomeUnknown(Exception):
    """COMMIT was sent and its answer lost: the transaction may be stored or not."""


class _PooledTransaction(TransactionContextPooled):
    """Tortoise's pooled transaction context without its faults (module docstring)."""

    async def __aenter__(self) -> Any:
        await self.ensure_connection()
        pool = self.client._parent._pool
        self.client._connection = await pool.acquire()
        self.token = get_connections().set(self.connection_name, self.client)
        try:
            await self.client.begin()
        except BaseException:
            get_connections().reset(self.token)
            await self._release()
            raise
        return self.client

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        try:
            if self.client._finalized:
                return
            if exc_type is None:
                try:
                    await self.client.commit()
                except _LOST_ANSWER as error:
                    raise CommitOutcomeUnknown(str(error)) from error
            elif exc_type is not TransactionManagementError:
                try:
                    await self.client.rollback()
                except _DEAD_CONNECTION:
                    # The connection is gone, and the transaction with it: the
                    # error that brought us here is the one to report.
                    logger.debug("rollback on a lost connection", exc_info=True)
        finally:
            get_connections().reset(self.token)
            await self._release()

    async def _release(self) -> None:
        pool = self.client._parent._pool
        if pool is None:
            return
        try:
            await pool.release(self.client._connection)
        except (Exception, TimeoutError):
            # asyncpg terminated the connection before re-raising; the pool makes
            # a new one. The transaction's outcome is already decided.
            logger.warning("a database connection failed its reset", exc_info=True)


class _CountedTransactionWrapper(instrument_client(TransactionWrapper, "postgresql")):  # type: ignore[misc]
    """A transaction's connection, its statements counted (subgraphs.kit.telemetry),
    nested transactions (savepoints) too."""

    def _in_transaction(self) -> Any:
        return NestedTransactionContext(_CountedTransactionWrapper(self))


class AgoraAsyncpgClient(instrument_client(AsyncpgDBClient, "postgresql")):  # type: ignore[misc]
    """Tortoise's asyncpg client with the kit's transaction context; each statement
    counted toward the running request and, traced, in a span of its own
    (subgraphs.kit.telemetry); its pool reported on /metrics."""

    async def create_connection(self, with_db: bool) -> None:
        await super().create_connection(with_db)
        register_pool(self.connection_name, self)

    def _in_transaction(self) -> _PooledTransaction:
        return _PooledTransaction(
            _CountedTransactionWrapper(self), self._pool_init_lock
        )


client_class = AgoraAsyncpgClient
