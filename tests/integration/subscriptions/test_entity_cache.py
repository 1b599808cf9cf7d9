"""The gateway's entity cache on the real graph (issue 14): accounts, chat and the
gateway as separate processes over HTTP, PostgreSQL and a Redis of the test's own.

A chat event's sender is fetched from accounts once and then answered from the
gateway's memory while accounts' `Cache-Control: public, max-age=30` (capped here
by `entity_cache.max_ttl`) holds; a rename shows once that has run out; and what
accounts answers per caller (a user's email) is never shared.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
import uuid
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx
import pytest

from .realgraph import (
    AGENT,
    AGENT_TOKEN,
    DEMO_CONVERSATION,
    MESSAGE_EVENTS,
    USER_TOKEN,
    RealGraph,
    Subscriber,
    real_graph,
    send_message,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

pytestmark = pytest.mark.integration

MAX_TTL = 3.0

SENDERS_EMAIL = (
    "query($id: ID!) { messages(conversationId: $id, first: 5) "
    "{ edges { node { seq sender { id email } } } } }"
)


async def metrics(graph: RealGraph) -> dict[str, float]:
    """The gateway's counters: entity cache hits and misses for accounts, and the
    fetches that reached accounts."""
    async with httpx.AsyncClient(timeout=10) as client:
        text = (await client.get(graph.gateway_url + "/metrics")).text
    found = {"hit": 0.0, "miss": 0.0, "fetches": 0.0}
    for line in text.splitlines():
        if line.startswith("agora_gateway_entity_cache_total{") and (
            'subgraph="accounts"' in line
        ):
            result = "hit" if 'result="hit"' in line else "miss"
            found[result] += float(line.rsplit(" ", 1)[1])
        elif (
            line.startswith("agora_gateway_subgraph_fetch_seconds_count{")
            and 'subgraph="accounts"' in line
        ):
            found["fetches"] += float(line.rsplit(" ", 1)[1])
    return found


async def rename(graph: RealGraph, user: str, name: str) -> None:
    """What an operator's fix in accounts' database would do."""
    connection = await asyncpg.connect(graph.accounts_database)
    try:
        status = await connection.execute(
            "UPDATE accounts.accounts_user SET display_name = $1 WHERE id = $2",
            name,
            uuid.UUID(user),
        )
    finally:
        await connection.close()
    assert status == "UPDATE 1"


async def send_and_receive(
    client: httpx.AsyncClient,
    graph: RealGraph,
    listener: Subscriber,
    text: str,
    timeout: float = 10.0,
) -> dict[str, Any]:
    """Send one message as the agent; the event the listener got for it."""
    answer = await send_message(
        client, graph.gateway_url, AGENT_TOKEN, DEMO_CONVERSATION, text
    )
    assert "errors" not in answer, answer
    seq = answer["data"]["sendMessage"]["seq"]
    await listener.wait_for(lambda: seq in listener.seqs, timeout)
    for message in listener.messages:
        event = (message.get("payload") or {}).get("data", {}).get("messageEvents")
        if event and event["message"]["seq"] == seq:
            found: dict[str, Any] = event["message"]
            return found
    raise AssertionError(f"no event for seq {seq}")


@contextlib.asynccontextmanager
async def listening(
    client: httpx.AsyncClient, graph: RealGraph
) -> AsyncIterator[tuple[Subscriber, dict[str, Any]]]:
    """The demo user subscribed to the demo conversation's messageEvents, once it
    gets events (sent until one arrives), and that first event's message."""
    listener = await Subscriber.open(graph.websocket_url, USER_TOKEN)
    try:
        await listener.subscribe(MESSAGE_EVENTS, {"id": DEMO_CONVERSATION})
        for attempt in range(50):
            with contextlib.suppress(TimeoutError):
                first = await send_and_receive(
                    client, graph, listener, f"warm-up {attempt}", timeout=0.5
                )
                break
        else:
            raise AssertionError("the subscription never started")
        yield listener, first
    finally:
        await listener.close()


async def test_a_senders_name_is_fetched_once_then_renamed_after_max_ttl(
    tmp_path: Path,
) -> None:
    env = {"AGORA_GATEWAY_ENTITY_CACHE_MAX_TTL": str(MAX_TTL)}
    async with (
        real_graph(tmp_path, gateway_env=env) as graph,
        httpx.AsyncClient(timeout=20) as client,
        listening(client, graph) as (listener, first),
    ):
        name = first["sender"]["displayName"]
        assert name
        before = await metrics(graph)
        started = time.monotonic()
        events = [
            await send_and_receive(client, graph, listener, f"cached {i}")
            for i in range(5)
        ]
        within_ttl = time.monotonic() - started < MAX_TTL - 0.5
        after = await metrics(graph)
        assert [e["sender"]["displayName"] for e in events] == [name] * 5
        if within_ttl:
            # Five events, one entity each, none of them asked of accounts.
            assert after["hit"] - before["hit"] == 5
            assert after["fetches"] == before["fetches"]
        else:  # a slow machine: some entries ran out; still fewer fetches
            assert after["hit"] - before["hit"] >= 1
        await rename(graph, AGENT, "Renamed Agent")
        # Held until its time runs out, then accounts' answer again.
        deadline = time.monotonic() + MAX_TTL + 5
        seen: list[str] = []
        while time.monotonic() < deadline:
            event = await send_and_receive(
                client, graph, listener, f"after {len(seen)}"
            )
            seen.append(event["sender"]["displayName"])
            if seen[-1] == "Renamed Agent":
                break
            await asyncio.sleep(0.3)
        assert seen[-1] == "Renamed Agent", seen
        assert set(seen) <= {name, "Renamed Agent"}


async def test_what_accounts_answers_per_caller_is_never_shared(
    tmp_path: Path,
) -> None:
    """The agent (a support agent) may read every participant's email, the demo
    user only their own: the agent's answer must never reach the user."""
    async with (
        real_graph(tmp_path) as graph,
        httpx.AsyncClient(timeout=20) as client,
    ):
        answer = await send_message(
            client, graph.gateway_url, AGENT_TOKEN, DEMO_CONVERSATION, "email"
        )
        assert "errors" not in answer, answer

        async def senders(token: str) -> dict[str, str | None]:
            response = await client.post(
                graph.gateway_url + "/graphql",
                headers={"authorization": f"Bearer {token}"},
                json={"query": SENDERS_EMAIL, "variables": {"id": DEMO_CONVERSATION}},
            )
            body = response.json()
            assert "errors" not in body, body
            edges = body["data"]["messages"]["edges"]
            return {
                e["node"]["sender"]["id"]: e["node"]["sender"]["email"] for e in edges
            }

        before = await metrics(graph)
        as_agent = await senders(AGENT_TOKEN)
        assert as_agent[AGENT]  # the agent reads its own email
        for _ in range(2):
            as_user = await senders(USER_TOKEN)
            assert as_user[AGENT] is None
        after = await metrics(graph)
        assert after["hit"] == before["hit"]
        assert after["fetches"] - before["fetches"] == 3


async def test_held_senders_are_named_while_accounts_is_down(tmp_path: Path) -> None:
    """accounts hung (SIGSTOP): events of a sender the gateway holds still carry
    the name; a sender it does not hold gets the subgraph's timeout, not a hang."""
    env = {"AGORA_GATEWAY_SUBGRAPH_TIMEOUTS": "accounts=1"}
    async with (
        real_graph(tmp_path, gateway_env=env) as graph,
        httpx.AsyncClient(timeout=20) as client,
        listening(client, graph) as (listener, first),
    ):
        name = first["sender"]["displayName"]
        graph.accounts.signal(signal.SIGSTOP)
        try:
            held = await send_and_receive(client, graph, listener, "held")
            assert held["sender"]["displayName"] == name
            assert listener.errors == []
            # The demo user's own message: its name was never fetched.
            answer = await send_message(
                client, graph.gateway_url, USER_TOKEN, DEMO_CONVERSATION, "mine"
            )
            assert "errors" not in answer, answer
            # sender is non-null: the event comes as an error for the field.
            await listener.wait_for(lambda: listener.errors, 10)
            codes = {e["extensions"]["code"] for e in listener.errors}
            assert "SUBGRAPH_TIMEOUT" in codes, listener.errors
        finally:
            graph.accounts.signal(signal.SIGCONT)
