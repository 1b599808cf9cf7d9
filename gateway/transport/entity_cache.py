"""Entities a subgraph let every caller share, kept for as long as it said.

A subgraph that answers an `_entities` fetch with `Cache-Control: public,
max-age=N` (subgraphs declare it per type and field: subgraphs/kit/cache_control.py)
says the answer does not depend on who asks and stays right for N seconds. The
gateway then keeps each entity of it, per subgraph, document, other variables and
representation, and answers the next fetch of the same entities from memory: only
the representations it does not hold go to the subgraph, in one request, and a
fetch whose entities are all held sends nothing. That is Apollo Router's entity
cache, in process.

It pays where one entity is asked for over and over: the sender of every chat
message event (issue 14: the `displayName` fetch to accounts was ~60 % of the
gateway's CPU for an event), the author of every row of a list.

What is never kept: an answer without `public` and a max-age (the default: a
subgraph must opt in), any answer with an error, a mutation's, and entities that
are not objects. Nothing is keyed on the caller, which is why only `public`
answers are kept (a `private` one would need the caller in the key, as the
Router's `private_id`). A stale entity lives at most `min(max-age, max_ttl)`
seconds; the cache holds at most `max_entries` entities and `max_bytes` bytes of
their JSON, least recently used first out, and no entity larger than a hundredth
of that.
"""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Any

import orjson

from .._lru import LRU
from .models import SubgraphResponse

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..types import JSONObject
    from .models import SubgraphRequest, SubgraphTransport

__all__ = ["EntityCache", "EntityCacheTransport"]

# A representation longer than this (bytes, as JSON) is not kept: keys stay small.
_MAX_KEY_BYTES = 1024


class EntityCache:
    """Entities by key, each kept as its JSON with the time it expires: an LRU of
    at most `max_entries` entities and `max_bytes` bytes of JSON. Kept as bytes,
    an entity is a copy of what was fetched and gives a copy of its own to every
    fetch it answers (the executor merges into what it is handed)."""

    __slots__ = ("_items", "clock", "max_ttl")

    def __init__(
        self,
        max_entries: int,
        max_ttl: float,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self.max_ttl = max_ttl
        self.clock = clock
        self._items: LRU[tuple[Any, ...], tuple[float, bytes]] = LRU(
            max_entries, max_bytes
        )

    @property
    def bytes(self) -> int:
        """The bytes of JSON held."""
        return self._items.weight

    def get(self, key: tuple[Any, ...], now: float) -> JSONObject | None:
        item = self._items.get(key)
        if item is None:
            return None
        if item[0] <= now:
            self._items.pop(key)
            return None
        entity: JSONObject = orjson.loads(item[1])
        return entity

    def put(self, key: tuple[Any, ...], entity: JSONObject, expires: float) -> None:
        encoded = orjson.dumps(entity)
        # One entity may take a hundredth of the cache at most.
        max_bytes = self._items.max_weight or 0
        if len(encoded) <= max_bytes // 100:
            self._items.put(key, (expires, encoded), len(encoded))

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


class EntityCacheTransport:
    """Wraps a subgraph's transport: its `_entities` fetches are answered from
    `cache` where it can, and the public answers it passes on are kept there.
    `on_lookup(hits, misses)` counts each fetch's entities."""

    def __init__(
        self,
        inner: SubgraphTransport,
        cache: EntityCache,
        on_lookup: Callable[[int, int], None] | None = None,
    ) -> None:
        self.inner = inner
        self.cache = cache
        self.on_lookup = on_lookup

    async def fetch(self, request: SubgraphRequest) -> SubgraphResponse:
        variables = request.variables
        representations = variables.get("representations")
        if (
            not request.entity_fetch
            or not request.idempotent
            or not isinstance(representations, list)
            or not representations
        ):
            return await self.inner.fetch(request)
        cache = self.cache
        now = cache.clock()
        prefix = _prefix(request)
        keys: list[bytes | None] = []
        held: list[JSONObject | None] = []
        misses: list[int] = []
        for index, representation in enumerate(representations):
            key = orjson.dumps(representation, option=orjson.OPT_SORT_KEYS)
            if len(key) > _MAX_KEY_BYTES:
                keys.append(None)
                held.append(None)
                misses.append(index)
                continue
            keys.append(key)
            entity = cache.get((prefix, key), now)
            held.append(entity)
            if entity is None:
                misses.append(index)
        if self.on_lookup is not None:
            self.on_lookup(len(representations) - len(misses), len(misses))
        if not misses:
            return SubgraphResponse({"_entities": held})
        if len(misses) < len(representations):
            asked = [representations[i] for i in misses]
            request = dataclasses.replace(
                request, variables={**variables, "representations": asked}
            )
        response = await self.inner.fetch(request)
        data = response.data
        entities = data.get("_entities") if data is not None else None
        answered = isinstance(entities, list) and len(entities) == len(misses)
        if answered and response.public_max_age > 0:
            assert isinstance(entities, list)
            expires = now + min(response.public_max_age, cache.max_ttl)
            for index, entity in zip(misses, entities, strict=True):
                held_key = keys[index]
                if held_key is not None and type(entity) is dict:
                    cache.put((prefix, held_key), entity, expires)
        if len(misses) == len(representations) or not (answered or response.errors):
            # All asked (the answer is the fetch's own), or an answer that is not
            # one: the executor reports it as the subgraph's.
            return response
        return _with_held(response, held, misses, entities if answered else None)

    def __getattr__(self, name: str) -> Any:
        # start(), aclose(), name, url: the wrapped transport's.
        return getattr(self.inner, name)


def _prefix(request: SubgraphRequest) -> tuple[Any, ...]:
    """What, besides the representation, an entity's answer depends on (the caller
    aside: only answers that say they do not are kept)."""
    variables = request.variables
    others = (
        orjson.dumps(
            {k: v for k, v in variables.items() if k != "representations"},
            option=orjson.OPT_SORT_KEYS,
        )
        if len(variables) > 1
        else b""
    )
    return (request.subgraph, request.query, request.operation_name, others)


def _with_held(
    response: SubgraphResponse,
    held: list[JSONObject | None],
    misses: list[int],
    fetched: list[Any] | None,
) -> SubgraphResponse:
    """The answer to the whole fetch: held entities where they were, the fetched
    ones (None if the fetch gave none) at the representations that were asked,
    and the errors' `_entities` indexes moved to those."""
    entities: list[Any] = list(held)
    for position, index in enumerate(misses):
        entities[index] = fetched[position] if fetched is not None else None
    errors = tuple(_moved(error, misses) for error in response.errors)
    data = dict(response.data) if response.data is not None else {}
    data["_entities"] = entities
    return dataclasses.replace(response, data=data, errors=errors)


def _moved(error: JSONObject, misses: list[int]) -> JSONObject:
    path = error.get("path")
    if (
        isinstance(path, list)
        and len(path) > 1
        and path[0] == "_entities"
        and type(path[1]) is int
        and 0 <= path[1] < len(misses)
    ):
        return {**error, "path": ["_entities", misses[path[1]], *path[2:]]}
    return error
