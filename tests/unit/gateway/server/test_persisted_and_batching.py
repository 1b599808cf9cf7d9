"""APQ, trusted documents, rate limits and batches through the HTTP endpoint."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import orjson
import pytest

from gateway.config import hash_api_key, load_config
from gateway.server import create_app
from gateway.transport import MockTransport

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from gateway.transport import SubgraphRequest
    from gateway.types import JSONObject

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "composition"
SINGLE = (FIXTURES / "single_subgraph" / "supergraph.graphql").read_text()
PREFLIGHT = {"apollo-require-preflight": "1"}
ME = "query Me { me { id name } }"
ME_HASH = hashlib.sha256(ME.encode()).hexdigest()


def answer(request: SubgraphRequest) -> JSONObject:
    return {"data": {"me": {"id": "1", "name": "Ada"}}}


def apq(sha256: str) -> JSONObject:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256}}


@pytest.fixture
def accounts() -> MockTransport:
    return MockTransport(answer)


def client_for(
    accounts: MockTransport, values: dict[str, Any] | None = None
) -> httpx.AsyncClient:
    config = load_config(environ={}, values=values or {})
    app = create_app(SINGLE, transports={"accounts": accounts}, config=config)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gw"
    )


@pytest.fixture
async def client(accounts: MockTransport) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(accounts) as client:
        yield client


def codes(response: httpx.Response) -> list[str]:
    return [e["extensions"]["code"] for e in response.json()["errors"]]


async def test_apq_misses_registers_then_serves_the_hash_alone_over_get(
    client: httpx.AsyncClient, accounts: MockTransport
) -> None:
    miss = await client.post("/graphql", json={"extensions": apq(ME_HASH)})
    assert codes(miss) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert miss.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    assert accounts.requests == []
    register = await client.post(
        "/graphql", json={"query": ME, "extensions": apq(ME_HASH)}
    )
    assert register.json() == {"data": {"me": {"id": "1", "name": "Ada"}}}
    hit = await client.get(
        "/graphql",
        params={"extensions": orjson.dumps(apq(ME_HASH)).decode()},
        headers=PREFLIGHT,
    )
    assert hit.json() == {"data": {"me": {"id": "1", "name": "Ada"}}}


async def test_a_hash_that_is_not_the_documents_is_refused(
    client: httpx.AsyncClient, accounts: MockTransport
) -> None:
    wrong = await client.post(
        "/graphql", json={"query": ME, "extensions": apq("0" * 64)}
    )
    assert codes(wrong) == ["PERSISTED_QUERY_HASH_MISMATCH"]
    stolen = await client.post("/graphql", json={"extensions": apq("0" * 64)})
    # Nothing was registered under the wrong hash.
    assert codes(stolen) == ["PERSISTED_QUERY_NOT_FOUND"]
    odd = await client.post(
        "/graphql", json={"extensions": {"persistedQuery": {"version": 2}}}
    )
    assert codes(odd) == ["PERSISTED_QUERY_NOT_SUPPORTED"]
    assert accounts.requests == []


def partner_values(tmp_path: Path, **client: Any) -> dict[str, Any]:
    manifest = tmp_path / "partner.json"
    manifest.write_text(
        orjson.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [
                    {"id": "me-v1", "name": "Me", "type": "query", "body": ME}
                ],
            }
        ).decode()
    )
    return {
        "clients": [
            {
                "name": "partner",
                "api_key_sha256": [hash_api_key("partner-key")],
                "manifests": [str(manifest)],
                "free_form": False,
                **client,
            }
        ]
    }


async def test_a_partner_runs_its_documents_and_nothing_else(
    accounts: MockTransport, tmp_path: Path
) -> None:
    key = {"x-api-key": "partner-key"}
    async with client_for(accounts, partner_values(tmp_path)) as client:
        by_id = await client.post("/graphql", json={"documentId": "me-v1"}, headers=key)
        by_hash = await client.post(
            "/graphql", json={"extensions": apq(ME_HASH)}, headers=key
        )
        by_text = await client.post("/graphql", json={"query": ME}, headers=key)
        assert len(accounts.requests) == 3
        for allowed in (by_id, by_hash, by_text):
            assert allowed.json() == {"data": {"me": {"id": "1", "name": "Ada"}}}
        other = "{ me { id } }"
        refused = [
            await client.post("/graphql", json={"query": other}, headers=key),
            await client.post("/graphql", json={"documentId": "nope"}, headers=key),
            await client.post(
                "/graphql",
                json={
                    "query": other,
                    "extensions": apq(hashlib.sha256(other.encode()).hexdigest()),
                },
                headers=key,
            ),
        ]
        for response in refused:
            assert codes(response) == ["PERSISTED_QUERY_NOT_IN_LIST"]
        # The refused operations never reached a subgraph.
        assert len(accounts.requests) == 3
        # Anyone else may still send free-form operations.
        free = await client.post("/graphql", json={"query": other})
        assert free.json() == {"data": {"me": {"id": "1"}}}


async def test_safelist_log_mode_runs_the_operation_and_says_so(
    accounts: MockTransport, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    values = partner_values(tmp_path, safelist_mode="log")
    async with client_for(accounts, values) as client:
        response = await client.post(
            "/graphql",
            json={"query": "{ me { id } }"},
            headers={"x-api-key": "partner-key"},
        )
    assert response.json() == {"data": {"me": {"id": "1"}}}
    assert "outside its trusted documents" in caplog.text


async def test_a_rate_limit_refuses_with_retry_after(accounts: MockTransport) -> None:
    values = {"rate_limits": {"per_caller": {"limit": 2, "period": 60}}}
    async with client_for(accounts, values) as client:
        answers = [await client.post("/graphql", json={"query": ME}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    limited = answers[2]
    assert codes(limited) == ["RATE_LIMITED"]
    retry_after = limited.json()["errors"][0]["extensions"]["retryAfter"]
    assert 25 < retry_after <= 30
    assert limited.headers["retry-after"] == str(int(-(-retry_after // 1)))
    assert len(accounts.requests) == 2


async def test_a_rate_limit_may_charge_the_estimated_cost(
    accounts: MockTransport,
) -> None:
    values = {
        "rate_limits": {"per_caller": {"limit": 3, "period": 60}, "charge": "cost"}
    }
    async with client_for(accounts, values) as client:
        # `me` costs 1 (one object): three fit, the fourth does not.
        answers = [await client.post("/graphql", json={"query": ME}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]


async def test_a_batch_runs_every_item_through_the_pipeline(
    client: httpx.AsyncClient, accounts: MockTransport
) -> None:
    response = await client.post(
        "/graphql",
        json=[
            {"query": ME},
            {"query": "{ me { nope } }"},
            {"query": "{ me { id } }"},
            "not an operation",
        ],
    )
    assert response.status_code == 200
    first, invalid, third, shapeless = response.json()
    assert first == {"data": {"me": {"id": "1", "name": "Ada"}}}
    assert invalid["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert third == {"data": {"me": {"id": "1"}}}
    assert shapeless["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert len(accounts.requests) == 2


async def test_a_batch_over_the_clients_size_is_refused_whole(
    accounts: MockTransport,
) -> None:
    async with client_for(accounts, {"batching": {"max_size": 2}}) as client:
        response = await client.post("/graphql", json=[{"query": ME}] * 3)
    assert response.status_code == 400
    assert codes(response) == ["BATCH_LIMIT_EXCEEDED"]
    assert response.json()["errors"][0]["extensions"]["limit"] == 2
    assert accounts.requests == []
