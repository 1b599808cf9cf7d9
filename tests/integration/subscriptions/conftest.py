"""The two-subgraph graph behind a real gateway, all on 127.0.0.1 free ports."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from gateway.compose import SubgraphDefinition, compose
from gateway.config import GatewayConfig, load_config
from gateway.server import create_app

from .graph import Bus, people_app, rooms_app, starlette_app, subgraph_sdl

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from starlette.applications import Starlette

JWT_SECRET = "subscriptions-test-secret-of-at-least-32-bytes"


@dataclass
class Graph:
    bus: Bus
    gateway_url: str  # http://127.0.0.1:PORT
    app: Starlette

    @property
    def ws_url(self) -> str:
        return self.gateway_url.replace("http://", "ws://") + "/graphql"


async def compose_graph(urls: dict[str, str], apps: dict[str, Any]) -> str:
    definitions = [
        SubgraphDefinition(name, url, await subgraph_sdl(apps[name]))
        for name, url in urls.items()
    ]
    result = compose(definitions)
    assert result.supergraph_sdl is not None, result.errors
    return result.supergraph_sdl


@pytest.fixture
def gateway_config() -> GatewayConfig:
    return load_config(
        environ={},
        values={"auth": {"jwt_secret": JWT_SECRET}, "subscription": {"keepalive": 0}},
    )


@pytest.fixture
async def graph(
    uvicorn_server: Callable[..., contextlib.AbstractAsyncContextManager[str]],
    gateway_config: GatewayConfig,
) -> AsyncIterator[Graph]:
    """Subgraphs and gateway each under their own uvicorn (distributed mode)."""
    bus = Bus()
    apps = {"rooms": rooms_app(bus), "people": people_app(bus)}
    async with contextlib.AsyncExitStack() as stack:
        urls = {
            name: await stack.enter_async_context(uvicorn_server(starlette_app(app)))
            + "/graphql"
            for name, app in apps.items()
        }
        app = create_app(
            await compose_graph(urls, apps),
            config=gateway_config,
        )
        gateway_url = await stack.enter_async_context(uvicorn_server(app))
        yield Graph(bus, gateway_url, app)
