"""Circuit breaker, retry budget and bulkhead state machines; ResilientTransport's
deadline header, mutation outcomes, retries and fail-fast; the idempotency key on
its way through the app."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from gateway.config import ConfigError, load_config
from gateway.errors import (
    SubgraphNotCalled,
    SubgraphOutcomeUnknown,
    SubgraphTimeout,
    SubgraphUnavailable,
)
from gateway.server import create_app
from gateway.transport import Http11Transport, MockTransport, SubgraphRequest
from gateway.transport.resilience import (
    BreakerState,
    Bulkhead,
    CircuitBreaker,
    ResilientTransport,
    RetryBudget,
    RetryPolicy,
    resilient_transport,
)
from gateway.transport.scope import (
    RequestScope,
    current_scope,
    derived_key,
    root_response_keys,
)

if TYPE_CHECKING:
    from gateway.types import JSONObject

FIXTURES = Path(__file__).resolve().parents[4] / "tests" / "fixtures" / "composition"
ROOT_OPERATIONS = (FIXTURES / "root_operations" / "supergraph.graphql").read_text()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _state(breaker: CircuitBreaker) -> BreakerState:
    return breaker.state  # read through a call: the state changes between reads


def test_breaker_opens_after_consecutive_failures_and_probes_after_cool_down() -> None:
    clock = Clock()
    changes: list[BreakerState] = []
    breaker = CircuitBreaker(
        failure_threshold=3, open_for=5.0, clock=clock, on_change=changes.append
    )
    for _ in range(2):
        assert breaker.acquire()
        breaker.failure("refused")
    assert breaker.acquire()
    breaker.success()  # a success in between resets the count
    for _ in range(3):
        assert breaker.acquire()
        breaker.failure("refused")
    assert _state(breaker) is BreakerState.OPEN
    assert not breaker.acquire()
    clock.now += 4.9
    assert not breaker.acquire()
    assert breaker.retry_after() == pytest.approx(0.1)
    clock.now += 0.1
    assert breaker.state.value == "half_open"
    assert breaker.acquire()  # the one probe
    assert not breaker.acquire()  # no second while it runs
    breaker.failure("still refused")
    assert _state(breaker) is BreakerState.OPEN
    clock.now += 5.0
    assert breaker.acquire()
    breaker.success()
    assert _state(breaker) is BreakerState.CLOSED
    assert breaker.acquire()
    assert changes == [
        BreakerState.OPEN,
        BreakerState.HALF_OPEN,
        BreakerState.OPEN,
        BreakerState.HALF_OPEN,
        BreakerState.CLOSED,
    ]


def test_breaker_opens_on_a_failure_rate_over_its_window() -> None:
    clock = Clock()
    breaker = CircuitBreaker(
        failure_threshold=0,
        failure_rate=0.5,
        minimum_requests=10,
        window=10.0,
        clock=clock,
    )
    for index in range(9):
        breaker.acquire()
        if index % 2:
            breaker.failure()
        else:
            breaker.success()
    assert _state(breaker) is BreakerState.CLOSED  # 4 of 9: under the minimum
    breaker.failure()  # 5 of 10
    assert breaker.state.value == "open"


def test_breaker_rate_forgets_what_left_the_window() -> None:
    clock = Clock()
    breaker = CircuitBreaker(
        failure_threshold=0, failure_rate=0.5, minimum_requests=4, clock=clock
    )
    for _ in range(3):
        breaker.failure()
    clock.now += 11
    breaker.success()
    breaker.success()
    breaker.success()
    breaker.failure()  # 1 of 4 now
    assert _state(breaker) is BreakerState.CLOSED


def test_an_abandoned_probe_lets_another_through() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, open_for=1.0, clock=clock)
    breaker.failure()
    clock.now += 1
    assert breaker.acquire()
    assert not breaker.acquire()
    breaker.abandon()
    assert breaker.acquire()


def test_retry_budget_is_a_share_of_requests_plus_a_floor() -> None:
    clock = Clock()
    budget = RetryBudget(ratio=0.2, min_per_second=0.0, window=10.0, clock=clock)
    for _ in range(10):
        budget.deposit()
    assert budget.withdraw()
    assert budget.withdraw()
    assert not budget.withdraw()  # 2 of 10 requests spent
    clock.now += 10.0  # all of it leaves the window
    assert not budget.withdraw()
    floor = RetryBudget(ratio=0.0, min_per_second=1.0, window=3.0, clock=clock)
    assert [floor.withdraw() for _ in range(4)] == [True, True, True, False]


def test_backoff_is_jittered_under_an_exponential_cap() -> None:
    policy = RetryPolicy(max_retries=5, base_backoff=0.1, max_backoff=0.3)
    for retry, cap in ((0, 0.1), (1, 0.2), (2, 0.3), (4, 0.3)):
        waits = [policy.backoff(retry) for _ in range(50)]
        assert all(0 <= wait <= cap for wait in waits)
        assert len(set(waits)) > 1


async def test_bulkhead_caps_concurrency_and_bounds_the_wait() -> None:
    bulkhead = Bulkhead(2, max_wait=0.05)
    assert await bulkhead.acquire()
    assert await bulkhead.acquire()
    assert bulkhead.in_use == 2
    started = asyncio.get_running_loop().time()
    assert not await bulkhead.acquire()
    assert asyncio.get_running_loop().time() - started < 0.5
    waiting = asyncio.ensure_future(bulkhead.acquire())
    await asyncio.sleep(0)
    bulkhead.release()  # handed to the waiter
    assert await waiting
    assert bulkhead.in_use == 2
    bulkhead.release()
    bulkhead.release()
    assert bulkhead.in_use == 0
    fail_fast = Bulkhead(1, max_wait=0.0)
    assert await fail_fast.acquire()
    assert not await fail_fast.acquire()


def _query(subgraph: str = "accounts") -> SubgraphRequest:
    return SubgraphRequest(subgraph, "{ me { id } }")


def _mutation(query: str = "mutation { login(email: $e) }") -> SubgraphRequest:
    return SubgraphRequest("accounts", query, idempotent=False)


async def test_the_deadline_header_is_the_least_of_timeout_and_deadline() -> None:
    seen: list[str] = []

    def handler(request: SubgraphRequest) -> JSONObject:
        seen.append(request.headers["x-agora-deadline-ms"])
        return {"data": {}}

    transport = ResilientTransport("accounts", MockTransport(handler), timeout=2.0)
    await transport.fetch(_query())
    loop = asyncio.get_running_loop()
    token = current_scope.set(RequestScope(deadline=loop.time() + 0.5))
    try:
        await transport.fetch(_query())
    finally:
        current_scope.reset(token)
    assert int(seen[0]) == 2000
    assert 400 < int(seen[1]) <= 500


async def test_a_mutation_sent_and_unanswered_has_an_unknown_outcome() -> None:
    async def hang(request: SubgraphRequest) -> JSONObject:
        await asyncio.sleep(5)
        return {"data": {}}

    mock = MockTransport(hang)
    transport = ResilientTransport(
        "accounts",
        mock,
        timeout=0.05,
        retry=RetryPolicy(max_retries=3, base_backoff=0.0),
    )
    with pytest.raises(SubgraphOutcomeUnknown) as unkeyed:
        await transport.fetch(_mutation())
    assert unkeyed.value.extensions == {"retryable": False}
    loop = asyncio.get_running_loop()
    token = current_scope.set(
        RequestScope(deadline=loop.time() + 5, idempotency_key="k-1")
    )
    try:
        with pytest.raises(SubgraphOutcomeUnknown) as keyed:
            await transport.fetch(_mutation())
    finally:
        current_scope.reset(token)
    assert keyed.value.code == "OUTCOME_UNKNOWN"
    assert keyed.value.retryable
    assert len(mock.requests) == 2  # never retried
    assert mock.requests[1].headers["idempotency-key"] == "k-1"


async def test_a_mutation_never_sent_fails_plainly() -> None:
    def refuse(request: SubgraphRequest) -> JSONObject:
        raise SubgraphUnavailable("accounts", "connection refused", sent=False)

    transport = ResilientTransport("accounts", MockTransport(refuse), timeout=1.0)
    with pytest.raises(SubgraphUnavailable) as failed:
        await transport.fetch(_mutation())
    assert failed.value.code == "SUBGRAPH_UNAVAILABLE"


async def test_queries_are_retried_on_transient_failures_only() -> None:
    calls: list[str] = []

    def flaky(request: SubgraphRequest) -> JSONObject:
        calls.append(request.query)
        if len(calls) < 3:
            raise SubgraphUnavailable("accounts", "HTTP 503", status=503)
        return {"data": {"me": None}}

    transport = ResilientTransport(
        "accounts",
        MockTransport(flaky),
        timeout=1.0,
        retry=RetryPolicy(max_retries=2, base_backoff=0.001),
        budget=RetryBudget(),
    )
    response = await transport.fetch(_query())
    assert response.data == {"me": None}
    assert len(calls) == 3

    def server_error(request: SubgraphRequest) -> JSONObject:
        calls.append(request.query)
        raise SubgraphUnavailable("accounts", "HTTP 500", status=500)

    calls.clear()
    transport.inner = MockTransport(server_error)
    with pytest.raises(SubgraphUnavailable):
        await transport.fetch(_query())
    assert len(calls) == 1


async def test_an_open_breaker_fails_fast_without_sending() -> None:
    async def hang(request: SubgraphRequest) -> JSONObject:
        await asyncio.sleep(5)
        return {"data": {}}

    mock = MockTransport(hang)
    transport = ResilientTransport(
        "accounts",
        mock,
        timeout=0.05,
        breaker=CircuitBreaker(failure_threshold=2, open_for=60),
    )
    for _ in range(2):
        with pytest.raises(SubgraphTimeout):
            await transport.fetch(_query())
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(SubgraphNotCalled, match="circuit breaker open"):
        await transport.fetch(_mutation())
    assert loop.time() - started < 0.02
    assert len(mock.requests) == 2


def test_derived_keys_differ_per_field_and_batch_position() -> None:
    assert root_response_keys(
        "mutation M($e: String!) { a: login(email: $e) b: x }"
    ) == (
        "a",
        "b",
    )
    one = derived_key("k", "", ("a",))
    assert one != derived_key("k", "", ("b",))
    assert one != derived_key("k", "0", ("a",))
    assert one == derived_key("k", "", ("a",))
    assert len(one) == 64


def _app(seen: dict[str, list[SubgraphRequest]]) -> httpx.AsyncClient:
    def handler(name: str) -> MockTransport:
        def answer(request: SubgraphRequest) -> JSONObject:
            seen.setdefault(name, []).append(request)
            if "login" in request.query or "send" in request.query:
                keys = root_response_keys(request.query)
                return {"data": {key: "x" for key in keys}}
            return {"data": {"me": "1"}}

        return MockTransport(answer, name=name)

    config = load_config(environ={})
    app = create_app(
        ROOT_OPERATIONS,
        transports={"accounts": handler("accounts"), "chat": handler("chat")},
        config=config,
    )
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gw"
    )


async def test_the_idempotency_key_goes_with_mutations_only() -> None:
    seen: dict[str, list[SubgraphRequest]] = {}
    async with _app(seen) as client:
        await client.post(
            "/graphql",
            json={"query": 'mutation { login(email: "a@b") }'},
            headers={"idempotency-key": "key-1"},
        )
        await client.post(
            "/graphql",
            json={"query": "{ me }"},
            headers={"idempotency-key": "key-2"},
        )
    login, me = seen["accounts"]
    assert login.headers["idempotency-key"] == "key-1"
    assert "idempotency-key" not in me.headers


async def test_several_root_mutation_fields_get_a_key_each() -> None:
    seen: dict[str, list[SubgraphRequest]] = {}
    query = 'mutation { a: login(email: "a@b") b: login(email: "c@d") }'
    async with _app(seen) as client:
        response = await client.post(
            "/graphql", json={"query": query}, headers={"idempotency-key": "key-1"}
        )
    assert "errors" not in response.json()
    keys = [request.headers["idempotency-key"] for request in seen["accounts"]]
    fields = [root_response_keys(request.query) for request in seen["accounts"]]
    assert keys == [derived_key("key-1", "", f) for f in fields]
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize("key", ["k" * 256, "bad\x01key", "naïve"])
async def test_an_invalid_idempotency_key_is_refused_before_any_fetch(
    key: str,
) -> None:
    seen: dict[str, list[SubgraphRequest]] = {}
    async with _app(seen) as client:
        response = await client.post(
            "/graphql",
            json={"query": 'mutation { login(email: "a@b") }'},
            headers=[(b"idempotency-key", key.encode("latin-1"))],
        )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert seen == {}


async def test_a_mutation_still_waiting_for_a_connection_was_never_sent() -> None:
    async def never_answer(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.read(1 << 16)
        await asyncio.sleep(5)
        writer.close()

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    inner = Http11Transport(
        "accounts", f"http://127.0.0.1:{port}/graphql", timeout=0.2, max_connections=1
    )
    transport = ResilientTransport("accounts", inner, timeout=0.2)
    try:
        outcomes = await asyncio.gather(
            transport.fetch(_mutation()),
            transport.fetch(_mutation()),
            return_exceptions=True,
        )
    finally:
        await inner.aclose()
        server.close()
    codes = sorted(type(outcome).__name__ for outcome in outcomes)
    # One was written and hangs; the other never got the one connection.
    assert codes == ["SubgraphOutcomeUnknown", "SubgraphTimeout"]
    (waited,) = [o for o in outcomes if isinstance(o, SubgraphTimeout)]
    assert waited.sent is False


async def test_a_timeout_is_retried_only_when_asked() -> None:
    async def hang(request: SubgraphRequest) -> JSONObject:
        await asyncio.sleep(5)
        return {"data": {}}

    for on_timeout, attempts in ((False, 1), (True, 3)):
        mock = MockTransport(hang)
        transport = ResilientTransport(
            "accounts",
            mock,
            timeout=0.02,
            retry=RetryPolicy(2, base_backoff=0.001, on_timeout=on_timeout),
        )
        with pytest.raises(SubgraphTimeout):
            await transport.fetch(_query())
        assert len(mock.requests) == attempts


async def test_each_operation_of_a_batch_gets_its_own_key() -> None:
    seen: dict[str, list[SubgraphRequest]] = {}
    write = 'mutation { login(email: "a@b") }'
    async with _app(seen) as client:
        response = await client.post(
            "/graphql",
            json=[{"query": write}, {"query": write}, {"query": "{ me }"}],
            headers={"idempotency-key": "key-1"},
        )
    assert response.status_code == 200
    keys = sorted(
        request.headers.get("idempotency-key", "") for request in seen["accounts"]
    )
    assert keys == sorted(
        [
            "",
            derived_key("key-1", "0", ("login",)),
            derived_key("key-1", "1", ("login",)),
        ]
    )


def test_a_subgraph_changes_the_gateways_resilience_settings(tmp_path: Path) -> None:
    path = tmp_path / "gateway.yaml"
    path.write_text(
        "resilience: {breaker: {failure_threshold: 7}, bulkhead: {max_wait: 0.5}}\n"
        "subgraph_resilience:\n"
        "  directory: {bulkhead: {max_concurrent: 16}, retry: {max_retries: 0}}\n"
    )
    config = load_config(
        path, environ={"AGORA_GATEWAY_RESILIENCE_BREAKER_OPEN_FOR": "9"}
    )
    directory = config.resilience_for("directory")
    assert directory.bulkhead.max_concurrent == 16
    assert directory.bulkhead.max_wait == 0.5  # the gateway's, kept
    assert directory.breaker.failure_threshold == 7
    assert directory.breaker.open_for == 9.0  # the environment's, kept
    assert directory.retry.max_retries == 0
    chat = config.resilience_for("chat")
    assert chat == config.resilience
    assert chat.bulkhead.max_concurrent == 128
    transport = resilient_transport(
        "directory", MockTransport(lambda r: {"data": {}}), config
    )
    assert transport.bulkhead is not None
    assert transport.bulkhead.max_concurrent == 16
    assert transport.retry is None


def test_resilience_settings_are_checked_by_name(tmp_path: Path) -> None:
    path = tmp_path / "gateway.yaml"
    path.write_text("subgraph_resilience: {chat: {breaker: {failure_rate: 2}}}\n")
    with pytest.raises(
        ConfigError, match=r"subgraph_resilience\.chat\.breaker\.failure_rate"
    ):
        load_config(path, environ={})
    with pytest.raises(ConfigError, match=r"resilience\.retry\.max_retrys"):
        load_config(environ={}, values={"resilience": {"retry": {"max_retrys": 1}}})
