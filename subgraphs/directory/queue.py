"""The import job queue: procrastinate, on the PostgreSQL we already run.

Why procrastinate: the same task code runs on a durable queue in production and
in process in the embedded mode. On PostgreSQL (DATABASE_URL) jobs live in the
`directory_queue` schema of the directory's database, taken by a worker process
(`python -m subgraphs.directory worker`) or by the subgraph itself; a worker that
dies leaves its job "doing" with a stale heartbeat, and the next worker to start
(or any running one, every `stalled_timeout` / 2 seconds) retries it, and
`run_import` resumes after the last committed batch. Without PostgreSQL (SQLite,
the embedded default) procrastinate's in-memory connector runs the same task in
this process; the jobs a restart lost are queued again from the ImportJob table at
start-up. arq and SAQ would need Redis, which the embedded mode does not have.

Settings: DIRECTORY_IMPORT_WORKER (`in-process`, the default, or `external`: only
worker processes take jobs), DIRECTORY_WORKER_STALLED_TIMEOUT (seconds, 30).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

import procrastinate
from procrastinate import testing

from subgraphs.directory.importing import run_import
from subgraphs.directory.models import ImportJob, ImportStatus
from subgraphs.kit.background import stop_task
from subgraphs.kit.database import migration_lock

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from subgraphs.kit.pubsub import Broker
    from subgraphs.kit.settings import Settings

__all__ = ["IMPORT_QUEUE", "ImportQueue", "QueueSettings", "import_queue"]

logger = logging.getLogger("agora.subgraphs")

IMPORT_QUEUE = "directory-imports"
TASK_NAME = "directory.import_members"
QUEUE_SCHEMA = "directory_queue"


@dataclass(frozen=True, slots=True)
class QueueSettings:
    in_process: bool = True
    stalled_timeout: float = 30.0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> QueueSettings:
        env = os.environ if environ is None else environ
        mode = (env.get("DIRECTORY_IMPORT_WORKER") or "in-process").strip().lower()
        if mode not in ("in-process", "external"):
            raise ValueError(
                f"DIRECTORY_IMPORT_WORKER must be in-process or external, got {mode!r}"
            )
        timeout = float(env.get("DIRECTORY_WORKER_STALLED_TIMEOUT") or 30.0)
        return cls(in_process=mode == "in-process", stalled_timeout=timeout)


def _postgres_conninfo(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "asyncpg"):
        return None
    query = dict(parse_qsl(parts.query))
    query.pop("schema", None)
    return parts._replace(scheme="postgresql", query="").geturl()


class ImportQueue:
    """The directory's import queue (a kit service): `enqueue`, and a worker."""

    def __init__(
        self, settings: Settings, broker: Broker | None, options: QueueSettings
    ) -> None:
        self.settings = settings
        self.broker = broker
        self.options = options
        self.conninfo = _postgres_conninfo(settings.database_url_for("directory"))
        connector: procrastinate.BaseConnector
        if self.conninfo is None:
            connector = testing.InMemoryConnector()
        else:
            connector = procrastinate.PsycopgConnector(
                conninfo=self.conninfo,
                kwargs={"options": f"-c search_path={QUEUE_SCHEMA}"},
                min_size=1,
                max_size=4,
            )
        self.app = procrastinate.App(connector=connector)
        self.durable = self.conninfo is not None

        @self.app.task(name=TASK_NAME, queue=IMPORT_QUEUE, pass_context=False)
        async def import_members(job_id: str) -> None:
            await run_import(job_id, broker=self.broker)

        self._task = import_members

    async def prepare(self) -> None:
        """Create the queue's tables once (PostgreSQL), under the migration lock."""
        if self.conninfo is None:
            return
        url = self.settings.database_url_for("directory")
        async with migration_lock(QUEUE_SCHEMA, url):
            connector = self.app.connector
            exists = await connector.execute_query_one_async(
                "SELECT to_regclass(%(name)s) IS NOT NULL AS found",
                name=f"{QUEUE_SCHEMA}.procrastinate_jobs",
            )
            if not exists["found"]:
                await connector.execute_query_async(
                    f"CREATE SCHEMA IF NOT EXISTS {QUEUE_SCHEMA}"
                )
                await self.app.schema_manager.apply_schema_async()

    async def enqueue(self, job_id: str) -> None:
        await self._task.defer_async(job_id=job_id)

    async def requeue_lost(self) -> int:
        """Queue again the unfinished jobs an in-memory queue forgot (a restart)."""
        if self.durable:
            return 0
        unfinished = await ImportJob.filter(
            status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]
        ).values_list("id", flat=True)
        for job_id in unfinished:
            await self.enqueue(str(job_id))
        return len(unfinished)

    async def retry_stalled(self) -> int:
        """Retry the jobs of workers whose heartbeat stopped (they died)."""
        if not self.durable:
            return 0
        manager = self.app.job_manager
        stalled = await manager.get_stalled_jobs(
            queue=IMPORT_QUEUE, seconds_since_heartbeat=self.options.stalled_timeout
        )
        count = 0
        for job in stalled:
            logger.warning("retrying import job %s of a dead worker", job.id)
            await manager.retry_job(job)
            count += 1
        return count

    async def work(self) -> None:
        """Take jobs until cancelled; retry stalled ones now and then."""
        heartbeat = max(self.options.stalled_timeout / 3, 0.2)
        worker = asyncio.create_task(
            self.app.run_worker_async(
                queues=[IMPORT_QUEUE],
                wait=True,
                install_signal_handlers=False,
                update_heartbeat_interval=heartbeat,
                stalled_worker_timeout=self.options.stalled_timeout,
                fetch_job_polling_interval=1.0,
            )
        )
        try:
            while not worker.done():
                await self.retry_stalled()
                await asyncio.wait({worker}, timeout=self.options.stalled_timeout / 2)
            await worker
        finally:
            await stop_task(worker)


@contextlib.asynccontextmanager
async def import_queue(
    settings: Settings, broker: Broker, *, options: QueueSettings | None = None
) -> AsyncIterator[ImportQueue]:
    """The queue service: open, tables made, jobs a restart lost queued again, and
    (unless DIRECTORY_IMPORT_WORKER=external) a worker in this process."""
    queue = ImportQueue(settings, broker, options or QueueSettings.from_env())
    async with queue.app.open_async():
        await queue.prepare()
        await queue.requeue_lost()
        worker = asyncio.create_task(queue.work()) if queue.options.in_process else None
        try:
            yield queue
        finally:
            if worker is not None:
                await stop_task(worker)
