"""stockChanged through Redis pub/sub, over a real websocket."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.integration.inventory.conftest import ON_POSTGRES
from tests.unit.subgraphs.inventory.test_subscriptions import check_stock_changed_flow

if TYPE_CHECKING:
    import contextlib
    from collections.abc import Callable

    from subgraphs.kit.settings import Settings

pytestmark = ON_POSTGRES


async def test_stock_changes_reach_a_websocket_subscriber_through_redis(
    redis_settings: Settings,
    uvicorn_server: Callable[..., contextlib.AbstractAsyncContextManager[str]],
) -> None:
    await check_stock_changed_flow(redis_settings, uvicorn_server)
