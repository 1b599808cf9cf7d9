"""Work that waits for the mutation's transaction: commit, then publish.

Every mutation runs in one transaction the kit opens (subgraphs.kit.idempotency),
so a resolver's own `in_transaction` block is a savepoint and what it does after
the block (publish an event, queue a job) would otherwise happen before the data
is committed, and even when it is then rolled back. `after_commit(action)` holds
`action` until the mutation commits (and drops it if it rolls back); outside a
mutation it answers False and the caller acts at once. The kit's Broker holds its
publishes this way.
"""

from __future__ import annotations

import contextlib
import logging
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator

__all__ = ["HeldActions", "after_commit", "holding_actions"]

logger = logging.getLogger("agora.subgraphs")


class HeldActions:
    """The actions held for one mutation, in the order they were asked for."""

    __slots__ = ("actions",)

    def __init__(self) -> None:
        self.actions: list[Callable[[], Awaitable[object]]] = []

    async def run(self) -> None:
        """Run every held action, in order; a failing one is logged, never raised
        (the write it follows is committed whatever it does)."""
        actions, self.actions = self.actions, []
        for action in actions:
            try:
                await action()
            except Exception:
                logger.exception("an action after commit failed")

    def drop(self) -> None:
        self.actions.clear()


_held: ContextVar[HeldActions | None] = ContextVar("agora_after_commit", default=None)


def after_commit(action: Callable[[], Awaitable[object]]) -> bool:
    """Hold `action` until the enclosing mutation commits; False when no mutation
    transaction is open (then the caller runs it now)."""
    held = _held.get()
    if held is None:
        return False
    held.actions.append(action)
    return True


@contextlib.contextmanager
def holding_actions(held: HeldActions) -> Iterator[HeldActions]:
    """Hold the `after_commit` actions of the block in `held`."""
    token = _held.set(held)
    try:
        yield held
    finally:
        _held.reset(token)
