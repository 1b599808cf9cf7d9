"""`python -m subgraphs.directory worker`: take import jobs until SIGTERM or SIGINT.

Opens the directory's database and the broker (progress events go to subscribers
through it, so give the worker the subgraph's REDIS_URL), then runs the queue's
worker (queue.ImportQueue.work): jobs of workers that died are retried, and each
resumes after its last committed batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from subgraphs.directory.queue import ImportQueue, QueueSettings
from subgraphs.kit.database import close_databases, init_databases
from subgraphs.kit.pubsub import Broker
from subgraphs.kit.settings import Settings

__all__ = ["main", "run_worker"]

logger = logging.getLogger("agora.subgraphs")


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Work until `stop` is set."""
    from subgraphs.directory.app import SPEC

    await init_databases([SPEC], settings)
    broker = Broker.from_settings(settings)
    try:
        await broker.connect()
        queue = ImportQueue(settings, broker, QueueSettings.from_env())
        async with queue.app.open_async():
            await queue.prepare()
            work = asyncio.create_task(queue.work())
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({work, stopping}, return_when=asyncio.FIRST_COMPLETED)
            for task in (work, stopping):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    finally:
        await broker.disconnect()
        await close_databases()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = Settings.from_env()
    settings.check_production()
    if not (settings.database_url or "").startswith(("postgres", "asyncpg")):
        # The in-memory queue lives in the subgraph's process: nothing to take.
        raise SystemExit(
            "python -m subgraphs.directory worker: the job queue needs DATABASE_URL "
            "on PostgreSQL (without it the subgraph runs its imports in process)"
        )

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        logger.info("directory import worker started")
        await run_worker(settings, stop)

    asyncio.run(run())
