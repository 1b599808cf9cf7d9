"""Containment and safe writes with real processes (issue 13): `python -m gateway
serve` in front of a subgraph process of the test's own (_probe_subgraph.py, plain
uvicorn) that records what it receives and misbehaves on demand, SIGSTOPped,
killed and started again.

Each test counts what the subgraph received against what the client was told, and
times the answers: a dead subgraph costs well under the timeout once its breaker
is open; a mutation is never sent twice; a query is retried within its budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from gateway.transport.scope import derived_key
from tests.integration.subscriptions.realgraph import (
    Process,
    free_port,
    gateway_process,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
WRITE = "mutation($id: String!) { write(id: $id) }"
TWO_WRITES = "mutation($id: String!) { a: write(id: $id) b: writeOther(id: $id) }"


class Graph:
    """The gateway and the probe subgraph, with a client for each."""

    def __init__(
        self, gateway: Process, probe: Process, gateway_url: str, probe_url: str
    ):
        self.gateway = gateway
        self.probe = probe
        self.gateway_url = gateway_url
        self.probe_url = probe_url
        self.client = httpx.AsyncClient(timeout=30.0)

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, **headers: str
    ) -> tuple[dict[str, Any], float]:
        """The gateway's answer to one operation, and the seconds it took."""
        started = time.perf_counter()
        response = await self.client.post(
            self.gateway_url + "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={name.replace("_", "-"): value for name, value in headers.items()},
        )
        body: dict[str, Any] = response.json()
        body["status"] = response.status_code
        return body, time.perf_counter() - started

    async def seen(self) -> list[dict[str, Any]]:
        """What the probe subgraph received, but the gateway's readiness probes."""
        response = await self.client.get(self.probe_url + "/seen")
        return [r for r in response.json() if "AgoraProbe" not in r["query"]]

    async def control(self, **settings: Any) -> None:
        await self.client.post(self.probe_url + "/control", json=settings)

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(self.gateway_url + path)


@contextlib.asynccontextmanager
async def graph(tmp_path: Path, **settings: str) -> AsyncIterator[Graph]:
    """The probe subgraph and `python -m gateway serve` with `settings` as
    AGORA_GATEWAY_* variables."""
    probe_port, gateway_port = free_port(), free_port()
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(
        (HERE / "probe_supergraph.graphql").read_text().replace("PORT", str(probe_port))
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AGORA_GATEWAY_")
    }
    probe = Process(
        "probe",
        [sys.executable, str(HERE / "_probe_subgraph.py"), str(probe_port)],
        env,
        f"http://127.0.0.1:{probe_port}/health",
        tmp_path / "probe.log",
    )
    gateway_env = {
        **env,
        **{f"AGORA_GATEWAY_{key.upper()}": value for key, value in settings.items()},
    }
    gateway = gateway_process(
        supergraph, gateway_port, gateway_env, tmp_path / "gateway.log"
    )
    await probe.start()
    running = Graph(
        gateway,
        probe,
        f"http://127.0.0.1:{gateway_port}",
        f"http://127.0.0.1:{probe_port}",
    )
    try:
        await gateway.start()
        yield running
    finally:
        await running.client.aclose()
        await gateway.stop()
        await probe.stop()


def code_of(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


async def test_an_open_breaker_answers_fast_and_the_subgraph_coming_back_closes_it(
    tmp_path: Path,
) -> None:
    async with graph(
        tmp_path,
        subgraph_timeout="1",
        resilience_breaker_failure_threshold="3",
        resilience_breaker_open_for="1",
        resilience_retry_max_retries="0",
    ) as g:
        body, _ = await g.post("{ ping }")
        assert body["data"] == {"ping": "pong"}
        g.probe.signal(signal.SIGSTOP)  # hung: the connection opens, nothing answers
        try:
            timed_out = [await g.post("{ ping }") for _ in range(3)]
            assert [code_of(body) for body, _ in timed_out] == ["SUBGRAPH_TIMEOUT"] * 3
            assert all(0.9 < seconds < 2.0 for _, seconds in timed_out)
            fast = [await g.post("{ ping }") for _ in range(5)]
            for body, seconds in fast:
                assert code_of(body) == "SUBGRAPH_UNAVAILABLE"
                assert "circuit breaker open" in body["errors"][0]["message"]
                assert body["errors"][0]["extensions"]["serviceName"] == "probe"
                assert seconds < 0.2  # the timeout is 1 s
            ready = (await g.get("/ready")).json()
            assert ready["status"] == "degraded"
            assert ready["subgraphs"]["probe"]["ready"] is False
            assert ready["subgraphs"]["probe"]["breaker"] in ("open", "half_open")
            assert (await g.get("/health")).status_code == 200
            metrics = (await g.get("/metrics")).text
            assert 'agora_gateway_subgraph_breaker_state{subgraph="probe"} 2.0' in (
                metrics
            )
            # A mutation is refused before sending: its failure is certain.
            body, seconds = await g.post(WRITE, {"id": "m"}, idempotency_key="k")
            assert code_of(body) == "SUBGRAPH_UNAVAILABLE"
            assert seconds < 0.2
        finally:
            g.probe.signal(signal.SIGCONT)
        await asyncio.sleep(1.1)  # open_for
        # The backlog the stopped subgraph holds is answered, then the probe closes it.
        body, seconds = await g.post("{ ping }")
        assert body.get("data") == {"ping": "pong"}, body
        ready = (await g.get("/ready")).json()
        assert ready["subgraphs"]["probe"] == {
            "ready": True,
            "healthy": True,
            "breaker": "closed",
        }
        metrics = (await g.get("/metrics")).text
        assert 'agora_gateway_subgraph_breaker_state{subgraph="probe"} 0.0' in metrics
        assert (
            'agora_gateway_subgraph_breaker_transitions_total{state="open",'
            'subgraph="probe"} 1.0' in metrics
        )
        # Sent while it was stopped: the three timed-out pings; none while open.
        pings = [r for r in await g.seen() if "ping" in r["query"]]
        assert len(pings) == 1 + 3 + 1


async def test_a_killed_subgraph_opens_the_breaker_and_its_restart_closes_it(
    tmp_path: Path,
) -> None:
    async with graph(
        tmp_path,
        resilience_breaker_failure_threshold="2",
        resilience_breaker_open_for="0.5",
        resilience_retry_max_retries="0",
    ) as g:
        await g.probe.kill()
        refused = [await g.post(WRITE, {"id": str(i)}) for i in range(2)]
        # Connection refused: nothing was sent, so not OUTCOME_UNKNOWN.
        assert [code_of(body) for body, _ in refused] == ["SUBGRAPH_UNAVAILABLE"] * 2
        body, _ = await g.post("{ ping }")
        assert "circuit breaker open" in body["errors"][0]["message"]
        await g.probe.start()
        await asyncio.sleep(0.6)
        body, _ = await g.post("{ ping }")
        assert body.get("data") == {"ping": "pong"}, body
        assert (await g.get("/ready")).json()["subgraphs"]["probe"]["breaker"] == (
            "closed"
        )


async def test_a_hung_mutation_answers_outcome_unknown_and_is_sent_once(
    tmp_path: Path,
) -> None:
    async with graph(
        tmp_path, subgraph_timeout="0.5", resilience_breaker_enabled="false"
    ) as g:
        await g.control(hang_mutations=2.0)
        keyed, seconds = await g.post(WRITE, {"id": "a"}, idempotency_key="order-17")
        error = keyed["errors"][0]
        assert error["extensions"] == {
            "code": "OUTCOME_UNKNOWN",
            "serviceName": "probe",
            "retryable": True,
        }
        assert "may or may not have been applied" in error["message"]
        assert keyed["data"] == {"write": None}
        assert 0.45 < seconds < 1.5
        unkeyed, _ = await g.post(WRITE, {"id": "b"})
        assert unkeyed["errors"][0]["extensions"]["retryable"] is False
        await asyncio.sleep(2.0)  # the subgraph finishes what it was sent
        writes = [r for r in await g.seen() if "write" in r["query"]]
        assert len(writes) == 2  # never retried
        first = writes[0]["headers"]
        assert first["idempotency-key"] == "order-17"
        assert 300 < int(first["x-agora-deadline-ms"]) <= 500
        assert "idempotency-key" not in writes[1]["headers"]


async def test_keys_reach_the_subgraph_per_root_mutation_field_never_with_queries(
    tmp_path: Path,
) -> None:
    async with graph(tmp_path) as g:
        body, _ = await g.post(TWO_WRITES, {"id": "x"}, idempotency_key="batch-9")
        assert body["data"]["a"].startswith("write:")
        body, _ = await g.post("{ ping }", idempotency_key="q-1")
        assert body["data"] == {"ping": "pong"}
        body, _ = await g.post(WRITE, {"id": "y"}, idempotency_key="k\tey")
        assert body["status"] == 400
        assert code_of(body) == "BAD_REQUEST"
        body, _ = await g.post(WRITE, {"id": "y"}, idempotency_key="k" * 256)
        assert code_of(body) == "BAD_REQUEST"
        seen = await g.seen()
        # Both fields are the probe's: one fetch, with the key derived from the
        # client's and its fields' response keys (the subgraph's kit scopes a key
        # by response key, so each field is recorded on its own).
        (write,) = [r["headers"] for r in seen if r["query"].startswith("mutation")]
        assert write["idempotency-key"] == derived_key("batch-9", "", ("a", "b"))
        (ping,) = [r["headers"] for r in seen if "ping" in r["query"]]
        assert "idempotency-key" not in ping
        assert 4000 < int(ping["x-agora-deadline-ms"]) <= 5000  # the 5 s default


async def test_queries_are_retried_within_the_budget_and_mutations_never(
    tmp_path: Path,
) -> None:
    async with graph(
        tmp_path,
        resilience_breaker_enabled="false",
        resilience_retry_max_retries="2",
        resilience_retry_base_backoff="0.01",
        resilience_retry_budget_ratio="0.1",
        resilience_retry_budget_min_per_second="0.3",
        resilience_retry_budget_window="10",
    ) as g:
        await g.control(fail_next=2, status=503)
        body, _ = await g.post("{ ping }")
        assert body["data"] == {"ping": "pong"}  # two 503s, then an answer
        assert len(await g.seen()) == 3

        await g.control(fail_next=1, status=503)
        body, _ = await g.post(WRITE, {"id": "z"})
        assert code_of(body) == "OUTCOME_UNKNOWN"  # a 503 after sending
        assert len(await g.seen()) == 4  # the mutation went once

        await g.control(fail_next=1000, status=503)
        answers = [await g.post("{ ping }") for _ in range(20)]
        assert all(code_of(b) == "SUBGRAPH_UNAVAILABLE" for b, _ in answers)
        hits = len(await g.seen()) - 4
        # 20 first attempts and what the budget leaves: 10% of the 21 queries in
        # the window plus 0.3/s over 10 s (5.1), less the 2 retries spent before;
        # without a budget it would be 60.
        assert 20 < hits <= 20 + 3
        metrics = (await g.get("/metrics")).text
        assert (
            'agora_gateway_subgraph_retries_total{outcome="budget_exhausted",'
            'subgraph="probe"}' in metrics
        )


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    monkeypatch.delenv("http_proxy", raising=False)


async def test_websocket_and_sse_mutations_carry_their_keys(tmp_path: Path) -> None:
    async with graph(tmp_path) as g:
        url = g.gateway_url.replace("http", "ws", 1) + "/graphql"
        async with connect(
            url, subprotocols=[Subprotocol("graphql-transport-ws")]
        ) as socket:
            await socket.send(orjson.dumps({"type": "connection_init"}).decode())
            assert orjson.loads(await socket.recv())["type"] == "connection_ack"
            for id, key in (("1", "ws-key"), ("2", 7)):
                payload = {
                    "query": WRITE,
                    "variables": {"id": id},
                    "extensions": {"idempotencyKey": key},
                }
                await socket.send(
                    orjson.dumps(
                        {"id": id, "type": "subscribe", "payload": payload}
                    ).decode()
                )
            answers: dict[str, Any] = {}
            while len(answers) < 2:
                message = orjson.loads(await socket.recv())
                if message["type"] == "next":
                    answers[message["id"]] = message["payload"]
        assert answers["1"]["data"]["write"].startswith("write:")
        assert answers["2"]["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
        async with g.client.stream(
            "POST",
            g.gateway_url + "/graphql",
            json={"query": WRITE, "variables": {"id": "sse"}},
            headers={"accept": "text/event-stream", "idempotency-key": "sse-key"},
        ) as response:
            text = "".join([chunk async for chunk in response.aiter_text()])
        assert "write:" in text
        async with g.client.stream(
            "POST",
            g.gateway_url + "/graphql",
            json={"query": WRITE, "variables": {"id": "sse-bad"}},
            headers={"accept": "text/event-stream", "idempotency-key": "k\tey"},
        ) as response:
            refused = "".join([chunk async for chunk in response.aiter_text()])
        assert "BAD_REQUEST" in refused
        keys = [
            r["headers"].get("idempotency-key")
            for r in await g.seen()
            if r["query"].startswith("mutation")
        ]
        assert keys == ["ws-key", "sse-key"]


async def test_a_full_bulkhead_refuses_after_its_wait(tmp_path: Path) -> None:
    async with graph(
        tmp_path,
        dedup_inbound="false",
        dedup_upstream="false",
        resilience_bulkhead_max_concurrent="2",
        resilience_bulkhead_max_wait="0.2",
    ) as g:
        await g.control(hang=1.0)  # every query takes a second
        answers = await asyncio.gather(*(g.post("{ ping }") for _ in range(5)))
        served = [s for b, s in answers if b.get("data") == {"ping": "pong"}]
        refused = [
            s
            for b, s in answers
            if b.get("errors") and "bulkhead full" in b["errors"][0]["message"]
        ]
        assert len(served) == 2
        assert all(0.9 < s < 3 for s in served)
        assert len(refused) == 3
        assert all(0.15 < s < 0.9 for s in refused)
        assert {code_of(b) for b, _ in answers if b.get("errors")} == {
            "SUBGRAPH_UNAVAILABLE"
        }
        assert len(await g.seen()) == 2  # the refused ones never reached it
        metrics = (await g.get("/metrics")).text
        assert (
            'agora_gateway_subgraph_bulkhead_rejections_total{subgraph="probe"} 3.0'
            in metrics
        )
        assert 'agora_gateway_subgraph_bulkhead_in_use{subgraph="probe"} 0.0' in (
            metrics
        )
