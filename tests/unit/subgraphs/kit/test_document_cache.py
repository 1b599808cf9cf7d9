"""A subgraph parses and validates a text once (issue 14), and the cache changes
no answer: errors are never remembered, and the gateway-only refusal still holds
for a text the gateway's own request had validated."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import pytest
import strawberry

from subgraphs.kit import _document_cache
from subgraphs.kit.app import SubgraphSpec, create_subgraph_app
from subgraphs.kit.context import gateway_identity_headers
from subgraphs.kit.settings import Settings

if TYPE_CHECKING:
    from pathlib import Path


@strawberry.type
class Query:
    @strawberry.field
    def double(self, n: int) -> int:
        return 2 * n


def _spec() -> SubgraphSpec:
    schema = strawberry.federation.Schema(query=Query)
    return SubgraphSpec(name="toy", schema=schema, models=[])


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url="sqlite://:memory:", data_dir=tmp_path)


async def _post(
    client: Any, query: str, headers: dict[str, str] | None = None, **variables: Any
) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers or {}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _cached(query: str) -> tuple[bool, bool]:
    parsed = any(key[0] == query for key in _document_cache._parsed._items)
    valid = any(key[2][0] == query for key in _document_cache._valid._items)
    return parsed, valid


async def test_a_valid_text_is_parsed_and_validated_once(
    asgi_client: Any, settings: Settings
) -> None:
    query = "query($n: Int!) { double(n: $n) } # once"
    async with asgi_client(create_subgraph_app(_spec(), settings)) as client:
        first = await _post(client, query, n=2)
        assert _cached(query) == (True, True)
        document = _document_cache._parsed.get((query, ()))
        second = await _post(client, query, n=3)
        bad_variable = await _post(client, query, n=1.5)
    assert first == {"data": {"double": 4}}
    assert second == {"data": {"double": 6}}
    assert bad_variable["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert _document_cache._parsed.get((query, ())) is document


@pytest.mark.parametrize(
    ("query", "code", "parsed"),
    [
        ("{ double(n: 2 # broken", "GRAPHQL_PARSE_FAILED", False),
        ("{ double(n: 1.5) } # invalid", "GRAPHQL_VALIDATION_FAILED", True),
    ],
)
async def test_errors_are_not_remembered(
    asgi_client: Any, settings: Settings, query: str, code: str, parsed: bool
) -> None:
    async with asgi_client(create_subgraph_app(_spec(), settings)) as client:
        results = [await _post(client, query) for _ in range(2)]
    for result in results:
        assert result["data"] is None
        assert [e["extensions"]["code"] for e in result["errors"]] == [code]
    assert _cached(query) == (parsed, False)


async def test_the_gateway_only_refusal_holds_for_a_text_validated_before(
    asgi_client: Any, settings: Settings
) -> None:
    closed = dataclasses.replace(settings, gateway_only=True)
    query = "{ _service { sdl } } # cached"
    gateway = gateway_identity_headers(closed.gateway_secret, user_id=None)
    async with asgi_client(create_subgraph_app(_spec(), closed)) as client:
        answered = await _post(client, query, gateway)
        assert _cached(query) == (True, True)
        refused = await _post(client, query)
    assert "double" in answered["data"]["_service"]["sdl"]
    assert refused["data"] is None
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]


def test_the_caches_are_bounded() -> None:
    lru: _document_cache._LRU[int, int] = _document_cache._LRU(3)
    for n in range(10):
        lru.put(n, n)
    assert len(lru) == 3
    assert lru.get(0) is None
    assert lru.get(9) == 9
