"""Services: made by the start-up sequence, reached by type, gone at shutdown."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
import strawberry

from subgraphs.kit.app import SubgraphSpec, create_subgraph_app
from subgraphs.kit.context import RequestContext  # noqa: TC001 - Strawberry reads it
from subgraphs.kit.embedded import create_embedded
from subgraphs.kit.services import Services, ServiceUnavailable
from subgraphs.kit.settings import Settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from subgraphs.kit.pubsub import Broker


@dataclass
class Counter:
    value: int = 0
    closed: bool = False


@contextlib.asynccontextmanager
async def counter(settings: Settings, broker: Broker) -> AsyncIterator[Counter]:
    made = Counter()
    try:
        yield made
    finally:
        made.closed = True


@strawberry.type
class Query:
    @strawberry.field
    def tick(self, info: strawberry.Info[RequestContext, None]) -> int:
        service = info.context.service(Counter)
        service.value += 1
        return service.value


SPEC = SubgraphSpec(
    name="services_test",
    schema=strawberry.federation.Schema(query=Query),
    models=[],
    services=[counter],
)


def test_a_service_missing_is_a_clear_error() -> None:
    with pytest.raises(ServiceUnavailable, match="Counter"):
        Services().get(Counter)


@pytest.mark.parametrize("embedded", [False, True])
async def test_resolvers_reach_the_running_service_standalone_and_embedded(
    asgi_client: Any, tmp_path: Any, embedded: bool
) -> None:
    settings = Settings(data_dir=tmp_path)
    if embedded:
        apps, lifespan = create_embedded([SPEC], settings)
        app: Any = apps[SPEC.name]
    else:
        app = create_subgraph_app(SPEC, settings)
        lifespan = None
    services = app.state.services
    async with asgi_client(app, lifespan=lifespan) as client:
        for _ in range(2):
            response = await client.post("/graphql", json={"query": "{ tick }"})
        made = services.get(Counter)
    assert response.json() == {"data": {"tick": 2}}
    assert made.closed
    assert services.find(Counter) is None
