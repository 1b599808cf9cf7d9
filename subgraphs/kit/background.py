"""Background tasks of a subgraph: started with its lifespan, restarted when they crash.

A task is `async def task(broker, settings) -> None` that runs until cancelled (a
sweeper, a cache refresher). One that raises is logged and started again after a
back-off that doubles from `RETRY_DELAY` to `MAX_RETRY_DELAY` (reset once a run
lasted `MAX_RETRY_DELAY`), so a flapping database never kills the process nor spins
the CPU. One that returns is done and is not restarted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

    from subgraphs.kit.pubsub import Broker
    from subgraphs.kit.settings import Settings

logger = logging.getLogger("agora.subgraphs")

BackgroundTask = Callable[["Broker", "Settings"], Awaitable[None]]

RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 60.0


def task_name(task: BackgroundTask) -> str:
    """A readable name for logs (`functools.partial` shows the wrapped function)."""
    function = getattr(task, "func", task)
    return str(getattr(function, "__qualname__", repr(function)))


async def supervise(
    task: BackgroundTask,
    broker: Broker,
    settings: Settings,
    *,
    retry_delay: float = RETRY_DELAY,
    max_retry_delay: float = MAX_RETRY_DELAY,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Run `task` until it returns or this is cancelled; restart it after a crash."""
    name = task_name(task)
    delay = retry_delay
    while True:
        started = clock()
        try:
            await task(broker, settings)
        except Exception:  # a crash must not end the process, only this run
            if clock() - started >= max_retry_delay:
                delay = retry_delay
            logger.exception("background task %s crashed; restart in %gs", name, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_retry_delay)
            continue
        logger.info("background task %s finished", name)
        return


@contextlib.asynccontextmanager
async def run_background(
    tasks: Sequence[BackgroundTask], broker: Broker, settings: Settings
) -> AsyncIterator[tuple[asyncio.Task[None], ...]]:
    """Run each of `tasks` under supervise() for the duration of the block.

    On exit every task is cancelled and awaited, so none outlives the databases and
    the broker it uses.
    """
    running = tuple(
        asyncio.create_task(supervise(task, broker, settings), name=task_name(task))
        for task in tasks
    )
    try:
        yield running
    finally:
        await asyncio.gather(*(stop_task(each) for each in running))


async def stop_task(
    task: asyncio.Task[Any], *, attempts: int = 20, interval: float = 0.5
) -> None:
    """Cancel `task` and wait for it, cancelling again every `interval` seconds;
    what it raised (its cancellation included) is not ours and is dropped.

    A cancellation that lands inside a database driver's or redis-py's await can
    be swallowed: the call returns, the task runs on and only says "cancelling"
    (procrastinate's worker, cancelled while it registered itself, hung an app's
    shutdown for good behind one `cancel(); await`). After `attempts` the task is
    left and logged, so a shutdown always ends."""
    for _ in range(attempts):
        task.cancel()
        done, _pending = await asyncio.wait({task}, timeout=interval)
        if done:
            if not task.cancelled() and task.exception() is not None:
                logger.debug("%s ended with %r", task.get_name(), task.exception())
            return
    logger.warning(
        "%s did not stop within %.0f s of cancelling",
        task.get_name(),
        attempts * interval,
    )
