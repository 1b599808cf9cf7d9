"""Identical subgraph requests in flight share one fetch, never one response."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from gateway.transport import MockTransport, SubgraphRequest
from gateway.transport.dedup import DedupTransport

if TYPE_CHECKING:
    from gateway.types import JSONObject

REQUEST = SubgraphRequest(subgraph="accounts", query="{ me { id } }")


async def _shared_by(count: int) -> tuple[MockTransport, list[JSONObject]]:
    release = asyncio.Event()

    async def slow(request: SubgraphRequest) -> JSONObject:
        await release.wait()
        return {"data": {"me": {"id": "1", "tags": ["a"]}}, "errors": [{"m": 1}]}

    inner = MockTransport(slow)
    shared = DedupTransport(inner)
    pending = [asyncio.create_task(shared.fetch(REQUEST)) for _ in range(count)]
    for _ in range(10):
        await asyncio.sleep(0)
    release.set()
    responses = await asyncio.gather(*pending)
    return inner, [
        {"data": response.data, "errors": response.errors} for response in responses
    ]


async def test_requests_that_share_a_fetch_get_objects_of_their_own() -> None:
    inner, answers = await _shared_by(3)
    assert len(inner.requests) == 1
    assert all(answer == answers[0] for answer in answers)
    # The executor merges into a response's objects in place: one request's
    # merge must never show in another's answer.
    first, second, third = (answer["data"] for answer in answers)
    assert first is not None
    assert second is not None
    assert third is not None
    first["me"]["name"] = "merged by the first request"
    first["me"]["tags"].append("b")
    assert second["me"] == third["me"] == {"id": "1", "tags": ["a"]}
    assert second["me"] is not third["me"]
    assert answers[0]["errors"][0] is not answers[1]["errors"][0]


async def test_a_waiter_that_gives_up_leaves_the_others_their_answer() -> None:
    release = asyncio.Event()

    async def slow(request: SubgraphRequest) -> JSONObject:
        await release.wait()
        return {"data": {"me": {"id": "1"}}}

    shared = DedupTransport(MockTransport(slow))
    quitter = asyncio.create_task(shared.fetch(REQUEST))
    stayer = asyncio.create_task(shared.fetch(REQUEST))
    for _ in range(10):
        await asyncio.sleep(0)
    quitter.cancel()
    release.set()
    response = await stayer
    assert response.data == {"me": {"id": "1"}}
    assert quitter.cancelled()


async def test_a_mutation_is_never_shared() -> None:
    inner = MockTransport(lambda request: {"data": {"reserve": {"id": "r"}}})
    shared = DedupTransport(inner)
    mutation = SubgraphRequest(
        subgraph="inventory", query="mutation { reserve { id } }", idempotent=False
    )
    await asyncio.gather(shared.fetch(mutation), shared.fetch(mutation))
    assert len(inner.requests) == 2
