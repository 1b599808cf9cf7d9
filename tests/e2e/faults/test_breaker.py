"""The circuit breaker in front of a real Agora subgraph (issue 13): `python -m
subgraphs.accounts` (SQLite in a temporary directory) behind `python -m gateway
serve` over the checked-in supergraph. Accounts SIGSTOPped: after three timeouts
its fields answer in milliseconds, SUBGRAPH_UNAVAILABLE, a mutation included (never
sent, so not OUTCOME_UNKNOWN); resumed, the first request after the cool-down closes
the breaker; a mutation that hangs past the timeout is OUTCOME_UNKNOWN, retryable
with a key.
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

from tests.integration.subscriptions.realgraph import (
    Process,
    free_port,
    gateway_process,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

ROOT = Path(__file__).resolve().parents[3]
RULES = "{ passwordRules { minLength } }"
LOGIN = (
    "mutation($e: String!, $p: String!) "
    "{ login(email: $e, password: $p) { accessToken } }"
)


@contextlib.asynccontextmanager
async def accounts_and_gateway(
    tmp_path: Path, **settings: str
) -> AsyncIterator[tuple[Process, str]]:
    accounts_port, gateway_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_GATEWAY_")}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.update({"AGORA_DATA_DIR": str(tmp_path / "data"), "LOG_LEVEL": "warning"})
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(
        (ROOT / "schema" / "supergraph.graphql")
        .read_text()
        .replace("127.0.0.1:4001", f"127.0.0.1:{accounts_port}")
    )
    accounts = Process(
        "accounts",
        [sys.executable, "-m", "subgraphs.accounts", "--port", str(accounts_port)],
        env,
        f"http://127.0.0.1:{accounts_port}/health",
        tmp_path / "accounts.log",
    )
    gateway = gateway_process(
        supergraph,
        gateway_port,
        {**env, **{f"AGORA_GATEWAY_{k.upper()}": v for k, v in settings.items()}},
        tmp_path / "gateway.log",
    )
    try:
        await accounts.start()
        await gateway.start()
        yield accounts, f"http://127.0.0.1:{gateway_port}"
    finally:
        await gateway.stop(10)
        await accounts.stop(10)


async def ask(
    client: httpx.AsyncClient,
    url: str,
    query: str,
    variables: dict[str, Any] | None = None,
    **headers: str,
) -> tuple[dict[str, Any], float]:
    started_at = time.perf_counter()
    response = await client.post(
        url + "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={k.replace("_", "-"): v for k, v in headers.items()},
    )
    body: dict[str, Any] = response.json()
    return body, time.perf_counter() - started_at


def extensions(body: dict[str, Any]) -> dict[str, Any]:
    return dict(body["errors"][0]["extensions"])


async def test_a_stopped_subgraph_costs_milliseconds_once_the_breaker_is_open(
    tmp_path: Path,
) -> None:
    async with (
        accounts_and_gateway(
            tmp_path,
            subgraph_timeout="1",
            resilience_breaker_failure_threshold="3",
            resilience_breaker_open_for="1.5",
            resilience_retry_max_retries="0",
        ) as (accounts, url),
        httpx.AsyncClient(timeout=30) as client,
    ):
        body, _ = await ask(client, url, RULES)
        assert body["data"]["passwordRules"]["minLength"] > 0
        accounts.signal(signal.SIGSTOP)
        try:
            hung = [await ask(client, url, RULES) for _ in range(3)]
            assert [extensions(b)["code"] for b, _ in hung] == ["SUBGRAPH_TIMEOUT"] * 3
            assert all(0.9 < seconds < 2.5 for _, seconds in hung)
            fast = [await ask(client, url, RULES) for _ in range(5)]
            assert all(
                extensions(b)
                == {"code": "SUBGRAPH_UNAVAILABLE", "serviceName": "accounts"}
                for b, _ in fast
            )
            assert max(seconds for _, seconds in fast) < 0.25  # the timeout is 1 s
            login, seconds = await ask(
                client,
                url,
                LOGIN,
                {"e": "ada@example.org", "p": "x" * 12},
                idempotency_key="login-1",
            )
            # Refused before sending: certainly not applied.
            assert extensions(login)["code"] == "SUBGRAPH_UNAVAILABLE"
            assert seconds < 0.25
            ready = (await client.get(url + "/ready")).json()
            assert ready["subgraphs"]["accounts"]["ready"] is False
            assert (await client.get(url + "/health")).status_code == 200
        finally:
            accounts.signal(signal.SIGCONT)
        await asyncio.sleep(1.6)
        body, _ = await ask(client, url, RULES)
        assert body.get("data", {}).get("passwordRules"), body
        ready = (await client.get(url + "/ready")).json()
        assert ready["subgraphs"]["accounts"]["breaker"] == "closed"

        # A hung mutation: sent, then no answer within the timeout.
        accounts.signal(signal.SIGSTOP)
        try:
            login, seconds = await ask(
                client,
                url,
                LOGIN,
                {"e": "ada@example.org", "p": "x" * 12},
                idempotency_key="login-2",
            )
        finally:
            accounts.signal(signal.SIGCONT)
        assert extensions(login) == {
            "code": "OUTCOME_UNKNOWN",
            "serviceName": "accounts",
            "retryable": True,
        }
        assert 0.9 < seconds < 2.5
