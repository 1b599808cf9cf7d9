"""Background tasks: run with the lifespan, restarted on a crash, cancelled at exit."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from typing import TYPE_CHECKING, Any

import pytest
import strawberry

from subgraphs.kit.app import SubgraphSpec, create_subgraph_app
from subgraphs.kit.background import run_background, stop_task, supervise
from subgraphs.kit.embedded import create_embedded
from subgraphs.kit.pubsub import Broker
from subgraphs.kit.settings import Settings

if TYPE_CHECKING:
    from pathlib import Path


@strawberry.type
class Query:
    @strawberry.field
    def ok(self) -> bool:
        return True


SCHEMA = strawberry.federation.Schema(query=Query)


class Probe:
    """A background task that records its runs and crashes the first `crashes`."""

    def __init__(self, crashes: int = 0) -> None:
        self.crashes = crashes
        self.runs = 0
        self.settings: Settings | None = None
        self.broker: Broker | None = None
        self.running = asyncio.Event()
        self.cancelled = asyncio.Event()

    async def __call__(self, broker: Broker, settings: Settings) -> None:
        self.runs += 1
        self.broker, self.settings = broker, settings
        if self.runs <= self.crashes:
            raise RuntimeError(f"crash {self.runs}")
        self.running.set()
        try:
            await asyncio.Event().wait()
        finally:
            self.cancelled.set()


def _spec(name: str, *tasks: Any) -> SubgraphSpec:
    return SubgraphSpec(name=name, schema=SCHEMA, models=[], background=list(tasks))


@pytest.fixture
def memory_settings(tmp_path: Path) -> Settings:
    return Settings(database_url="sqlite://:memory:", data_dir=tmp_path)


async def test_spec_background_is_kept_as_a_tuple() -> None:
    probe = Probe()
    assert _spec("toy", probe).background == (probe,)
    assert _spec("toy").background == ()


async def test_a_standalone_app_runs_its_tasks_and_cancels_them_at_shutdown(
    memory_settings: Settings, asgi_client: Any
) -> None:
    probe = Probe()
    app = create_subgraph_app(_spec("toy", probe), memory_settings)
    async with asgi_client(app):
        async with asyncio.timeout(5):
            await probe.running.wait()
        assert not probe.cancelled.is_set()
        assert probe.broker is app.state.broker
        assert probe.settings is memory_settings
    assert probe.cancelled.is_set()


async def test_create_embedded_runs_the_tasks_of_every_spec_until_its_exit(
    memory_settings: Settings,
) -> None:
    first, second = Probe(), Probe()
    apps, lifespan = create_embedded(
        [_spec("one", first), _spec("two", second)], memory_settings
    )
    async with lifespan(None):
        async with asyncio.timeout(5):
            await first.running.wait()
            await second.running.wait()
        assert first.broker is second.broker is apps["one"].state.broker
    assert first.cancelled.is_set()
    assert second.cancelled.is_set()


async def test_a_crashing_task_is_logged_and_restarted_with_a_growing_back_off(
    memory_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    probe = Probe(crashes=4)
    broker = Broker("memory://")
    caplog.set_level(logging.ERROR, logger="agora.subgraphs")
    task = asyncio.create_task(
        supervise(
            probe, broker, memory_settings, retry_delay=0.001, max_retry_delay=0.004
        )
    )
    try:
        async with asyncio.timeout(5):
            await probe.running.wait()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert probe.runs == 5
    crashes = [r for r in caplog.records if "crashed" in r.getMessage()]
    assert [r.args[1] for r in crashes] == [0.001, 0.002, 0.004, 0.004]
    assert all(r.exc_info and "crash" in str(r.exc_info[1]) for r in crashes)
    assert probe.cancelled.is_set()


async def test_a_task_that_returns_is_not_restarted(memory_settings: Settings) -> None:
    runs: list[int] = []

    async def once(broker: Broker, settings: Settings) -> None:
        runs.append(1)

    async with run_background([once], Broker("memory://"), memory_settings) as tasks:
        async with asyncio.timeout(5):
            await asyncio.gather(*tasks)
    assert runs == [1]


async def test_the_task_name_in_logs_unwraps_a_partial(
    memory_settings: Settings,
) -> None:
    probe = Probe()
    task = functools.partial(probe.__call__)
    async with run_background([task], Broker("memory://"), memory_settings) as tasks:
        async with asyncio.timeout(5):
            await probe.running.wait()
        assert tasks[0].get_name().endswith("Probe.__call__")
    assert probe.cancelled.is_set()


# Shutdown ends even when a cancellation is swallowed: procrastinate's worker,
# cancelled while it registered itself, ran on behind a task that only said
# "cancelling", and one cancel-then-await hung a CI run's app shutdown for good.


async def test_a_task_that_swallows_its_first_cancellation_is_cancelled_again() -> None:
    swallowed = asyncio.Event()

    async def stubborn() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            swallowed.set()  # as the driver's await did
        await asyncio.sleep(30)  # and runs on

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    started = time.monotonic()
    await stop_task(task, interval=0.1)
    assert swallowed.is_set()
    assert task.cancelled()
    assert time.monotonic() - started < 1


async def test_a_task_that_never_ends_is_left_after_the_attempts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    deaf = True

    async def run_on() -> None:
        while True:
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                if not deaf:
                    raise

    task = asyncio.create_task(run_on())
    await asyncio.sleep(0)
    await stop_task(task, attempts=3, interval=0.05)
    assert not task.done()
    assert "did not stop" in caplog.text
    deaf = False
    await stop_task(task, attempts=1, interval=1)
    assert task.cancelled()
