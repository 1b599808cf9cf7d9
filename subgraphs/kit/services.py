"""Per-app services: what a subgraph makes at start-up and its resolvers reach by type.

A service is anything one app shares between requests (chat's rate limiter and
presence, directory's job queue). Its factory is an async context manager
`factory(settings, broker)` named in `SubgraphSpec.services`: the start-up sequence
(subgraphs.kit.lifecycle) enters it once the database and the broker are up, puts
what it yields in the app's `Services`, and leaves it at shutdown. A resolver asks
`info.context.service(ChatRuntime)` and gets that type back.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from subgraphs.kit.pubsub import Broker
    from subgraphs.kit.settings import Settings

__all__ = ["ServiceFactory", "ServiceUnavailable", "Services"]

S = TypeVar("S")

ServiceFactory = Callable[
    ["Settings", "Broker"], contextlib.AbstractAsyncContextManager[Any]
]


class ServiceUnavailable(RuntimeError):
    """Raised when a service is asked for before start-up or after shutdown."""


class Services:
    """The running services of one app, one per type."""

    def __init__(self) -> None:
        self._by_type: dict[type[Any], Any] = {}

    def __repr__(self) -> str:
        return f"Services({', '.join(t.__name__ for t in self._by_type)})"

    def add(self, service: object) -> None:
        self._by_type[type(service)] = service

    def get(self, kind: type[S]) -> S:
        """The running service of `kind`; ServiceUnavailable when there is none."""
        service = self._by_type.get(kind)
        if service is None:
            raise ServiceUnavailable(f"expected a running {kind.__name__}, got none")
        assert isinstance(service, kind)  # added under its own type
        return service

    def find(self, kind: type[S]) -> S | None:
        """The running service of `kind`, or None."""
        service = self._by_type.get(kind)
        return service if isinstance(service, kind) else None

    def clear(self) -> None:
        self._by_type.clear()
