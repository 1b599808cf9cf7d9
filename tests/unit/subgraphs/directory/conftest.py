"""Directory fixtures: the app on each backend, callers, and a GraphQL helper."""

from __future__ import annotations

import contextlib
import dataclasses
from typing import TYPE_CHECKING, Any

import pytest

from subgraphs.directory.app import create_app
from subgraphs.kit.context import gateway_identity_headers
from subgraphs.kit.principal import Principal

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from pathlib import Path

    import httpx

    from subgraphs.kit.settings import Settings

DEMO_TENANT = "7d3c0a2e-0000-4000-8000-000000000001"
DEMO_CHAMBER = "7d3c0a2e-0000-4000-8000-000000000201"
# demo@agora.dev: the Demo Chamber's admin in the seed.
ADMIN = Principal(
    "7d3c0a2e-0000-4000-8000-000000000101", DEMO_TENANT, frozenset({"member"})
)
# agent@agora.dev: a member of the Demo Chamber.
MEMBER = Principal(
    "7d3c0a2e-0000-4000-8000-000000000103", DEMO_TENANT, frozenset({"member"})
)
STRANGER = Principal("user-stranger", None, frozenset({"member"}))


def headers_for(caller: Principal, settings: Settings) -> dict[str, str]:
    return gateway_identity_headers(
        settings.gateway_secret,
        user_id=caller.user_id,
        tenant_id=caller.tenant_id,
        roles=caller.roles,
    )


async def gql(
    client: httpx.AsyncClient,
    settings: Settings,
    caller: Principal | None,
    query: str,
    **variables: Any,
) -> dict[str, Any]:
    headers = headers_for(caller, settings) if caller else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def directory_settings(settings: Settings, tmp_path: Path) -> Settings:
    return dataclasses.replace(settings, data_dir=tmp_path)


@pytest.fixture
def directory_client(
    directory_settings: Settings, asgi_client: Any, monkeypatch: pytest.MonkeyPatch
) -> Callable[[], contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]:
    """`async with directory_client() as client:` the directory app, started."""
    monkeypatch.setenv("DIRECTORY_WORKER_STALLED_TIMEOUT", "2")

    @contextlib.asynccontextmanager
    async def open_client() -> AsyncIterator[httpx.AsyncClient]:
        async with asgi_client(create_app(directory_settings)) as client:
            yield client

    return open_client
