"""What every DataLoader batch function does: parse the keys, put rows back in order.

A batch function gets string keys (GraphQL IDs) and must return one value per key, in
key order, with an exception in the slot of a key that matches nothing (a malformed
id matches nothing either: it never reaches SQL). `BatchKeys` does both halves:

    keys = BatchKeys.of(raw_keys)
    rows = await User.filter(id__in=keys.ids) if keys else []
    return keys.one_each(rows, lambda key: NotFound("User", key))
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from subgraphs.kit.errors import NotFound

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from tortoise.models import Model

__all__ = ["BatchKeys", "group_by_text", "load_by_ids", "parse_uuids"]

R = TypeVar("R")
M = TypeVar("M", bound="Model")


def parse_uuids(keys: Iterable[object]) -> dict[str, uuid.UUID]:
    """The keys that are valid UUIDs, mapped to them; the rest can match nothing."""
    parsed: dict[str, uuid.UUID] = {}
    for key in keys:
        try:
            parsed[str(key)] = uuid.UUID(str(key))
        except ValueError:
            continue
    return parsed


@dataclass(frozen=True, slots=True)
class BatchKeys:
    """The keys of one batch, in order, and those of them that are UUIDs."""

    keys: tuple[str, ...]
    parsed: dict[str, uuid.UUID]

    @classmethod
    def of(cls, keys: Iterable[object]) -> BatchKeys:
        ordered = tuple(str(key) for key in keys)
        return cls(ordered, parse_uuids(ordered))

    def __bool__(self) -> bool:
        """False when no key can match a row (no SQL needed)."""
        return bool(self.parsed)

    @property
    def ids(self) -> list[uuid.UUID]:
        """The distinct UUIDs, for one `IN (...)`."""
        return list(set(self.parsed.values()))

    def one_each(
        self,
        rows: Iterable[R],
        missing: Callable[[str], Exception],
        *,
        column: str = "pk",
    ) -> list[R | Exception]:
        """One row per key, matched on `column`; `missing(key)` where none matched."""
        by_value = {_uuid(getattr(row, column)): row for row in rows}
        found: list[R | Exception] = []
        for key in self.keys:
            row = by_value.get(self.parsed.get(key))
            found.append(row if row is not None else missing(key))
        return found

    def grouped(self, rows: Iterable[R], column: str) -> list[list[R]]:
        """The rows of each key, matched on `column`, in the order given."""
        groups: dict[uuid.UUID | None, list[R]] = defaultdict(list)
        for row in rows:
            groups[_uuid(getattr(row, column))].append(row)
        return [list(groups.get(self.parsed.get(key), ())) for key in self.keys]


async def load_by_ids(
    model: type[M], keys: Sequence[str], typename: str
) -> list[M | Exception]:
    """Rows of `model` by id, in key order; NotFound(typename, key) for a miss.

    One SELECT, none when no key is a UUID. For a batch function that needs no
    filter besides the ids (access rules go in a query of their own).
    """
    batch = BatchKeys.of(keys)
    rows = await model.filter(id__in=batch.ids) if batch else []
    return batch.one_each(rows, lambda key: NotFound(typename, key))


def group_by_text(keys: Sequence[str], rows: Iterable[R], column: str) -> list[list[R]]:
    """The rows of each key, for keys that are plain text (another subgraph's ids):
    matched on `str(row.<column>)`, in the order given; [] for a key with none."""
    groups: dict[str, list[R]] = defaultdict(list)
    for row in rows:
        groups[str(getattr(row, column))].append(row)
    return [list(groups.get(key, ())) for key in keys]


def _uuid(value: Any) -> uuid.UUID | None:
    # Raw queries return UUID columns as text on SQLite.
    if value is None or isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
