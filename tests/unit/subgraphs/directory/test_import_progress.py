"""importProgress never misses the end (issue 14): a lost batch event or a broker
gap makes the stream read the job's row again, with the row errors in between."""

from __future__ import annotations

import asyncio
import itertools
from typing import TYPE_CHECKING, Any

from subgraphs.directory.app import create_app
from subgraphs.directory.importing import run_import
from subgraphs.directory.models import ImportJob
from subgraphs.directory.progress import import_progress
from subgraphs.kit._redis_backend import RESUBSCRIBED
from subgraphs.kit.pubsub import Broker

from .conftest import ADMIN
from .test_import import csv_file, upload

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import pytest

    from subgraphs.directory.events import ImportProgress
    from subgraphs.kit.settings import Settings

# 25 rows, every fifth one invalid: batches of 10 end at file rows 11, 21 and 26.
ROWS = [(f"m{n}@example.com" if n % 5 else f"bad-{n}", f"M {n}", "") for n in range(25)]
BAD_ROWS = [n + 2 for n in range(25) if n % 5 == 0]


class DroppingBroker(Broker):
    """A broker whose `drop`-th publish (1-based) is lost, as Redis can lose one."""

    def __init__(self, url: str, drop: set[int]) -> None:
        super().__init__(url)
        self.drop = drop
        self.published = 0

    async def publish_reliably(self, channel: str, payload: dict[str, Any]) -> bool:
        self.published += 1
        if self.published in self.drop:
            return True
        return await super().publish_reliably(channel, payload)


async def queued_job(
    settings: Settings, asgi_client: Any, monkeypatch: pytest.MonkeyPatch
) -> str:
    """A job of ROWS nobody runs yet (the worker is external)."""
    monkeypatch.setenv("DIRECTORY_IMPORT_WORKER", "external")
    async with asgi_client(create_app(settings)) as client:
        started = await upload(client, settings, ADMIN, "m.csv", csv_file(ROWS))
    job_id: str = started["data"]["startMemberImport"]["id"]
    return job_id


async def collect(stream: AsyncIterator[ImportProgress]) -> list[ImportProgress]:
    return [event async for event in stream]


def check(seen: list[ImportProgress]) -> None:
    """Each event says more than the one before (more rows, or the end), the end
    arrives last, and every row error comes exactly once."""
    for before, after in itertools.pairwise(seen):
        assert after.processed > before.processed or (
            after.processed == before.processed and after.status == "SUCCEEDED"
        ), (before, after)
    assert (seen[0].status, seen[0].processed) == ("QUEUED", 0)
    last = seen[-1]
    assert (last.status, last.processed, last.created, last.failed) == (
        "SUCCEEDED",
        25,
        20,
        5,
    )
    rows = [error["row"] for event in seen for error in event.errors]
    assert rows == BAD_ROWS


async def test_a_lost_batch_event_is_read_from_the_job(
    directory_settings: Settings, asgi_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = await queued_job(directory_settings, asgi_client, monkeypatch)
    async with asgi_client(create_app(directory_settings)):
        async with DroppingBroker("memory://", drop={2}) as broker:
            job = await ImportJob.get(id=job_id)
            stream = asyncio.ensure_future(collect(import_progress(job, broker=broker)))
            await asyncio.sleep(0.1)  # subscribed and read
            await run_import(job_id, broker=broker, batch_size=10)
            seen = await asyncio.wait_for(stream, 10)
    check(seen)
    # The second batch's event was lost: its rows came with the third's, read
    # from the job's row when the third batch's event said it starts after them
    # (the row may already say SUCCEEDED; if not, the end's own event follows).
    assert [event.processed for event in seen][:3] == [0, 10, 25]
    assert [len(event.errors) for event in seen][:3] == [0, 2, 3]


async def test_after_a_broker_gap_the_final_state_is_read_from_the_job(
    directory_settings: Settings, asgi_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = await queued_job(directory_settings, asgi_client, monkeypatch)
    async with asgi_client(create_app(directory_settings)):
        async with (
            Broker("memory://") as broker,
            DroppingBroker("memory://", drop=set(range(1, 10))) as lost,
        ):
            job = await ImportJob.get(id=job_id)
            stream = asyncio.ensure_future(collect(import_progress(job, broker=broker)))
            await asyncio.sleep(0.1)
            await run_import(job_id, broker=lost, batch_size=10)  # nothing heard
            await asyncio.sleep(0.1)
            assert not stream.done()
            # What the Redis backend reports once it has resubscribed after a drop
            # (the memory backend passes on only channels it was told to listen to).
            await broker.backend.subscribe(RESUBSCRIBED)
            await broker.backend.publish(RESUBSCRIBED, "")
            seen = await asyncio.wait_for(stream, 10)
    check(seen)
    assert [(event.processed, event.status) for event in seen] == [
        (0, "QUEUED"),
        (25, "SUCCEEDED"),
    ]
