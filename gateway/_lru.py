"""A least-recently-used map bounded in entries and, optionally, in weight (the
documents and plans of gateway.request, the entities of the entity cache)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

__all__ = ["LRU"]

_K = TypeVar("_K")
_V = TypeVar("_V")


class LRU(Generic[_K, _V]):
    """The `size` most recently used entries, and with `max_weight` at most that
    much weight (each `put` says its entry's weight, such as its text's length)."""

    __slots__ = ("_items", "_weights", "max_weight", "size", "weight")

    def __init__(self, size: int, max_weight: int | None = None) -> None:
        self.size = max(1, size)
        self.max_weight = max_weight
        self.weight = 0
        self._items: OrderedDict[_K, _V] = OrderedDict()
        self._weights: dict[_K, int] = {}

    def get(self, key: _K) -> _V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: _K, value: _V, weight: int = 0) -> None:
        if self.max_weight is not None:
            if weight > self.max_weight:
                return  # never kept: it alone is over the budget
            self.weight += weight - self._weights.pop(key, 0)
            self._weights[key] = weight
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size or (
            self.max_weight is not None and self.weight > self.max_weight
        ):
            old, _ = self._items.popitem(last=False)
            if self.max_weight is not None:
                self.weight -= self._weights.pop(old, 0)

    def pop(self, key: _K) -> None:
        """Forget `key` (nothing if it is not held)."""
        if self._items.pop(key, None) is not None and self.max_weight is not None:
            self.weight -= self._weights.pop(key, 0)

    def clear(self) -> None:
        self._items.clear()
        self._weights.clear()
        self.weight = 0

    def __len__(self) -> int:
        return len(self._items)
