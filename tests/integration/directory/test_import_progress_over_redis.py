"""importProgress across a dropped Redis subscriber link (issue 14): every event of
the import is lost, Redis kills the stream's link, and once the broker has
resubscribed the stream reads the job's row and ends with its final state."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING, Any

import pytest
from redis import asyncio as aioredis

from subgraphs.directory.app import create_app
from subgraphs.directory.importing import run_import
from subgraphs.directory.models import ImportJob
from subgraphs.directory.progress import import_progress
from subgraphs.kit._redis_backend import ResilientRedisBackend
from subgraphs.kit.pubsub import Broker
from tests.unit.subgraphs.directory.test_import_progress import (
    DroppingBroker,
    check,
    collect,
    queued_job,
)

if TYPE_CHECKING:
    from pathlib import Path

    from subgraphs.kit.settings import Settings

pytestmark = [
    pytest.mark.integration,
    pytest.mark.parametrize("database_url", ["postgres"], indirect=True),
]


async def test_the_final_state_arrives_after_redis_kills_the_subscriber_link(
    settings: Settings,
    tmp_path: Path,
    asgi_client: Any,
    monkeypatch: pytest.MonkeyPatch,
    redis_url: str,
    redis_prefix: str,
) -> None:
    settings = dataclasses.replace(settings, data_dir=tmp_path)
    job_id = await queued_job(settings, asgi_client, monkeypatch)
    redis = aioredis.Redis.from_url(redis_url)
    async with (
        asgi_client(create_app(settings)),
        Broker(redis_url, prefix=redis_prefix) as broker,
        DroppingBroker("memory://", drop=set(range(1, 10))) as lost,
    ):
        try:
            job = await ImportJob.get(id=job_id)
            stream = asyncio.ensure_future(collect(import_progress(job, broker=broker)))
            await asyncio.sleep(0.2)  # subscribed and read
            await run_import(job_id, broker=lost, batch_size=10)  # nothing heard
            await asyncio.sleep(0.2)
            assert not stream.done()
            backend = broker.backend
            assert isinstance(backend, ResilientRedisBackend)
            links = await redis.client_list(_type="pubsub")
            (ours,) = [c for c in links if c.get("name") == backend.client_name]
            assert await redis.client_kill_filter(_id=ours["id"]) == 1
            seen = await asyncio.wait_for(stream, 15)
        finally:
            await redis.aclose()
    check(seen)
    assert [(event.processed, event.status) for event in seen] == [
        (0, "QUEUED"),
        (25, "SUCCEEDED"),
    ]
