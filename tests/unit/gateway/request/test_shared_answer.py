"""Requests that shared one run share its serialised answer too."""

from __future__ import annotations

import asyncio

import orjson

from gateway.request.inflight import Inflight, SharedAnswer


async def test_requests_sharing_a_run_get_one_serialisation() -> None:
    release = asyncio.Event()
    runs = 0

    async def work() -> SharedAnswer:
        nonlocal runs
        runs += 1
        await release.wait()
        return SharedAnswer({"data": {"me": {"id": "1"}}})

    inflight: Inflight[SharedAnswer] = Inflight()
    waiting = [asyncio.create_task(inflight.run("key", work)) for _ in range(3)]
    await asyncio.sleep(0)
    release.set()
    answers = await asyncio.gather(*waiting)
    assert runs == 1
    bodies = [answer.body() for answer in answers]
    assert bodies[0] == orjson.dumps({"data": {"me": {"id": "1"}}})
    assert all(body is bodies[0] for body in bodies)
