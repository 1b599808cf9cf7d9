"""Writes under faults, with real processes (issue 13): what each client was told
against what the database holds, with zero disagreement once every client has
retried with its idempotency key.

PostgreSQL, `python -m subgraphs.<name>` and `python -m gateway serve`:
1. inventory stopped (SIGSTOP) while reserves are in flight, longer than the
   gateway's subgraph timeout, then resumed: nothing it was abandoned for is
   committed later, and each retry gives one stored reservation;
2. every PostgreSQL backend terminated every 50 ms during reserve, release,
   sendMessage (keyed by its clientId argument) and register;
3. the gateway killed mid-mutation, the clients retrying against a new gateway.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import logging
import signal
import time
import uuid
from typing import TYPE_CHECKING, Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no stubs
import httpx
import pytest

from ._graph import (
    DEMO_CHAMBER,
    DEMO_CONVERSATION,
    DEMO_USER,
    FARM,
    FARMER,
    GREEN_FARMS,
    PRODUCT,
    REGISTER,
    RELEASE,
    RESERVE,
    SEND,
    WriteGraph,
    call,
    codes,
    mint,
    retryable,
    terminate_backends,
    write_graph,
)

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration
logger = logging.getLogger(__name__)

RESERVE_ONE = {"p": PRODUCT, "f": FARM, "q": 1}
# Seconds the PostgreSQL backends are terminated every 50 ms.
KILL_FOR = 3.0
# The breaker opens under these faults; a short open_for lets retries through soon.
GATEWAY_ENV = {
    "AGORA_GATEWAY_SUBGRAPH_TIMEOUT": "1",
    "AGORA_GATEWAY_RESILIENCE_BREAKER_OPEN_FOR": "0.3",
}


async def settle(
    client: httpx.AsyncClient,
    graph: WriteGraph,
    query: str,
    variables: dict[str, Any],
    *,
    token: str | None,
    key: str | None,
    told: list[dict[str, Any]],
    patience: float = 20.0,
) -> dict[str, Any]:
    """Send until the answer is final (not retryable), the same key each time;
    every answer is appended to `told`."""
    give_up = time.monotonic() + patience
    while True:
        body = await call(client, graph.url, query, variables, token=token, key=key)
        told.append(body)
        if not retryable(body) or time.monotonic() > give_up:
            return body
        await asyncio.sleep(0.05)


async def reservations(graph: WriteGraph) -> dict[str, str]:
    rows = await graph.sql(
        "SELECT id::text, status FROM inventory.inventory_reservation "
        "WHERE user_id = $1",
        FARMER,
    )
    return {str(row["id"]): str(row["status"]) for row in rows}


async def test_a_stopped_subgraph_commits_nothing_it_was_abandoned_for(
    tmp_path: Path,
) -> None:
    token = mint(FARMER, GREEN_FARMS, ("tenant_admin",))
    async with (
        write_graph(
            tmp_path, ["accounts", "inventory"], gateway_env=GATEWAY_ENV
        ) as graph,
        httpx.AsyncClient(timeout=10) as client,
    ):
        warm = await call(client, graph.url, RESERVE, RESERVE_ONE, token=token)
        assert "errors" not in warm, warm
        keys = [f"stopped-{n}-{uuid.uuid4().hex}" for n in range(10)]
        inventory = graph.subgraphs["inventory"]
        inventory.signal(signal.SIGSTOP)
        try:
            started = time.monotonic()
            first = await asyncio.gather(
                *(
                    call(client, graph.url, RESERVE, RESERVE_ONE, token=token, key=k)
                    for k in keys
                )
            )
            waited = time.monotonic() - started
            # Stopped for twice the gateway's timeout in all.
            await asyncio.sleep(max(0.0, 2.0 - waited))
        finally:
            inventory.signal(signal.SIGCONT)
        # Time for the backlog the gateway abandoned: none of it may commit.
        await asyncio.sleep(1.5)
        after_resume = await reservations(graph)
        told: list[dict[str, Any]] = []
        retried = [
            await settle(
                client, graph, RESERVE, RESERVE_ONE, token=token, key=k, told=told
            )
            for k in keys
        ]
        again = [
            await call(client, graph.url, RESERVE, RESERVE_ONE, token=token, key=k)
            for k in keys
        ]
        # The same key with another request is refused, nothing reserved.
        reused = await call(
            client,
            graph.url,
            RESERVE,
            {**RESERVE_ONE, "q": 2},
            token=token,
            key=keys[0],
        )
        stored = await reservations(graph)
    warm_id = warm["data"]["reserve"]["id"]
    logger.info(
        "inventory stopped: %d answers in %.2f s (%s); stored after resuming: %d; "
        "after the retries: %d",
        len(first),
        waited,
        collections.Counter(codes(body)[0] for body in first if codes(body)),
        len(after_resume) - 1,
        len(stored) - 1,
    )
    assert waited < 1.9, "the gateway answered within its timeout"
    for body in first:
        assert codes(body)[0] == "OUTCOME_UNKNOWN", body
        assert body["errors"][0]["extensions"].get("retryable") is True, body
    assert set(after_resume) == {warm_id}
    ids = [body["data"]["reserve"]["id"] for body in retried]
    assert len(set(ids)) == len(keys)
    assert [body["data"]["reserve"]["id"] for body in again] == ids
    assert codes(reused)[0] == "IDEMPOTENCY_KEY_REUSED", reused
    assert set(stored) == {warm_id, *ids}


async def test_terminated_backends_every_50ms_leave_no_disagreement(
    tmp_path: Path,
) -> None:
    farmer = mint(FARMER, GREEN_FARMS, ("tenant_admin",))
    member = mint(DEMO_USER, DEMO_CHAMBER)
    env = {**GATEWAY_ENV, "AGORA_GATEWAY_SUBGRAPH_TIMEOUT": "3"}
    told: list[dict[str, Any]] = []
    reserved: dict[str, str] = {}
    released: dict[str, str] = {}
    sent: dict[str, str] = {}
    registered: set[str] = set()
    stop = asyncio.Event()
    terminated = 0

    async def kill(graph: WriteGraph) -> None:
        # For KILL_FOR seconds; then the clients' retries go through.
        nonlocal terminated
        admin = await asyncpg.connect(graph.database)
        try:
            until = time.monotonic() + KILL_FOR
            while time.monotonic() < until:
                terminated += await terminate_backends(admin)
                await asyncio.sleep(0.05)
        finally:
            stop.set()
            await admin.close()

    async def stock(client: httpx.AsyncClient, graph: WriteGraph) -> None:
        for i in itertools.takewhile(lambda _: not stop.is_set(), itertools.count()):
            key = f"r-{i}-{uuid.uuid4().hex}"
            body = await settle(
                client, graph, RESERVE, RESERVE_ONE, token=farmer, key=key, told=told
            )
            assert "errors" not in body, body
            reserved[key] = body["data"]["reserve"]["id"]
            if i % 2:
                continue
            key = f"l-{key}"
            body = await settle(
                client,
                graph,
                RELEASE,
                {"id": reserved[key[2:]]},
                token=farmer,
                key=key,
                told=told,
            )
            assert "errors" not in body, body
            released[key] = body["data"]["releaseReservation"]["id"]
            assert body["data"]["releaseReservation"]["status"] == "RELEASED"

    async def chat(client: httpx.AsyncClient, graph: WriteGraph) -> None:
        for i in itertools.takewhile(lambda _: not stop.is_set(), itertools.count()):
            client_id = f"c-{i}-{uuid.uuid4().hex[:16]}"
            text = f"message {i}"
            body = await settle(
                client,
                graph,
                SEND,
                {
                    "input": {
                        "conversationId": DEMO_CONVERSATION,
                        "text": text,
                        "clientId": client_id,
                    }
                },
                token=member,
                key=None,  # the clientId argument is the key
                told=told,
            )
            assert "errors" not in body, body
            sent[client_id] = body["data"]["sendMessage"]["id"]

    async def register(client: httpx.AsyncClient, graph: WriteGraph) -> None:
        for i in itertools.takewhile(lambda _: not stop.is_set(), itertools.count()):
            email = f"user{i}-{uuid.uuid4().hex[:8]}@faults.test"
            body = await settle(
                client,
                graph,
                REGISTER,
                {
                    "input": {
                        "email": email,
                        "password": "correct horse battery staple",
                        "displayName": f"User {i}",
                    }
                },
                token=None,
                key=f"g-{email}",
                told=told,
            )
            assert "errors" not in body, body
            registered.add(email)

    async with (
        write_graph(
            tmp_path,
            ["accounts", "chat", "inventory"],
            gateway_env=env,
            subgraph_env={"ACCOUNTS_REGISTRATIONS_PER_ADDRESS": "100000"},
        ) as graph,
        httpx.AsyncClient(timeout=10) as client,
    ):
        async with asyncio.timeout(60):
            await asyncio.gather(
                kill(graph),
                stock(client, graph),
                stock(client, graph),
                chat(client, graph),
                chat(client, graph),
                register(client, graph),
            )
        rows = await reservations(graph)
        messages = await graph.sql(
            "SELECT client_id, id::text FROM chat.chat_message "
            "WHERE client_id LIKE 'c-%'"
        )
        users = await graph.sql(
            "SELECT email FROM accounts.accounts_user WHERE email LIKE '%@faults.test'"
        )
        levels = await graph.sql(
            "SELECT l.reserved, "
            "(SELECT coalesce(sum(quantity), 0) FROM inventory.inventory_reservation r "
            " WHERE r.stock_level_id = l.id AND r.status = 'ACTIVE') AS active "
            "FROM inventory.inventory_stock_level l"
        )
    faults = [body for body in told if retryable(body)]
    summary = (
        f"{terminated} backends terminated; {len(told)} answers, {len(faults)} "
        f"retryable; stored: {len(reserved)} reserve, {len(released)} release, "
        f"{len(sent)} sendMessage, {len(registered)} register; codes: "
        f"{collections.Counter(c for body in told for c in codes(body))}"
    )
    # --log-cli-level=INFO shows the figures (the closing note quotes them).
    logger.info(summary)
    assert terminated > 20, summary
    assert faults, summary
    # Every error a client saw was one it could retry (never INTERNAL_SERVER_ERROR).
    assert all(retryable(body) for body in told if body.get("errors")), [
        codes(body) for body in told if body.get("errors")
    ]
    assert set(rows) == set(reserved.values())
    assert len(rows) == len(reserved)
    assert {i for i, status in rows.items() if status == "RELEASED"} == set(
        released.values()
    )
    assert {row["client_id"]: row["id"] for row in messages} == sent
    assert len(messages) == len(sent)
    assert sorted(row["email"] for row in users) == sorted(registered)
    assert all(level["reserved"] == level["active"] for level in levels)


async def test_a_gateway_killed_mid_mutation_leaves_nothing_a_retry_cannot_settle(
    tmp_path: Path,
) -> None:
    token = mint(FARMER, GREEN_FARMS, ("tenant_admin",))
    keys = [f"killed-{n}-{uuid.uuid4().hex}" for n in range(12)]
    async with (
        write_graph(
            tmp_path, ["accounts", "inventory"], gateway_env=GATEWAY_ENV
        ) as graph,
        httpx.AsyncClient(timeout=10) as client,
    ):
        inventory = graph.subgraphs["inventory"]
        # Half the requests reach inventory and are held there (stopped), the
        # gateway dies with them in flight.
        first_half = [
            asyncio.create_task(
                call(client, graph.url, RESERVE, RESERVE_ONE, token=token, key=k)
            )
            for k in keys[:6]
        ]
        await asyncio.sleep(0.3)
        inventory.signal(signal.SIGSTOP)
        second_half = [
            asyncio.create_task(
                call(client, graph.url, RESERVE, RESERVE_ONE, token=token, key=k)
            )
            for k in keys[6:]
        ]
        await asyncio.sleep(0.3)
        await graph.gateway.kill()
        inventory.signal(signal.SIGCONT)
        first = await asyncio.gather(*first_half, *second_half)
        await graph.new_gateway(graph.gateway.env)
        told: list[dict[str, Any]] = []
        final = [
            await settle(
                client, graph, RESERVE, RESERVE_ONE, token=token, key=k, told=told
            )
            for k in keys
        ]
        stored = await reservations(graph)
    lost = [body for body in first if "transport" in body]
    logger.info(
        "gateway killed: %d of %d clients cut off, %d answered before; "
        "%d reservations stored after the retries",
        len(lost),
        len(keys),
        len(keys) - len(lost),
        len(stored),
    )
    assert lost, "expected the kill to cut some clients off"
    ids = [body["data"]["reserve"]["id"] for body in final]
    # What a client was told before the kill stands after it.
    for before, after in zip(first, final, strict=True):
        if "data" in before and before["data"] and before["data"].get("reserve"):
            assert before["data"]["reserve"]["id"] == after["data"]["reserve"]["id"]
    assert len(set(ids)) == len(keys)
    assert set(stored) == set(ids)
