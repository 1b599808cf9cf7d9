"""An idempotency record keeps a mutation's result: every mutation of every subgraph
returns a value `freeze` can write and `thaw` builds again, field for field."""

from __future__ import annotations

import collections.abc
import dataclasses
import datetime
import decimal
import enum
import types
import typing
import uuid
from typing import Any

import pytest

from subgraphs.accounts.app import SPEC as ACCOUNTS
from subgraphs.chat.app import SPEC as CHAT
from subgraphs.directory.app import SPEC as DIRECTORY
from subgraphs.inventory.app import SPEC as INVENTORY
from subgraphs.kit._snapshot import freeze, thaw

SPECS = (ACCOUNTS, CHAT, INVENTORY, DIRECTORY)
NOW = datetime.datetime(2026, 12, 7, 8, 0, tzinfo=datetime.UTC)


def _sample(kind: Any, depth: int = 0) -> Any:
    """A value of the Python type `kind` (as a resolver's dataclass declares it)."""
    origin = typing.get_origin(kind)
    if origin is typing.Annotated:
        return _sample(typing.get_args(kind)[0], depth)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        return _sample(options[0], depth) if depth < 3 else None
    if origin in (list, collections.abc.Sequence):
        return [_sample(typing.get_args(kind)[0], depth + 1)]
    if origin is dict:
        return {"k": 1}
    if isinstance(kind, typing.NewType):
        return _sample(kind.__supertype__, depth)
    if isinstance(kind, type):
        if issubclass(kind, enum.Enum):
            return next(iter(kind))
        if issubclass(kind, bool):
            return True
        if issubclass(kind, int):
            return 7
        if issubclass(kind, float):
            return 1.5
        if issubclass(kind, str):
            return "text"
        if issubclass(kind, datetime.datetime):
            return NOW
        if issubclass(kind, datetime.date):
            return NOW.date()
        if issubclass(kind, uuid.UUID):
            return uuid.UUID(int=7)
        if issubclass(kind, decimal.Decimal):
            return decimal.Decimal("1.25")
        if dataclasses.is_dataclass(kind):
            return _instance(kind, depth + 1)
    # strawberry.ID, JSON and other scalars: their values are text or JSON.
    return "scalar"


def _instance(kind: type, depth: int) -> Any:
    hints = typing.get_type_hints(kind, include_extras=True)
    values = {
        item.name: _sample(hints[item.name], depth)
        for item in dataclasses.fields(kind)
        if item.init
    }
    return kind(**values)


def _mutation_types() -> list[tuple[str, type]]:
    found: dict[str, type] = {}
    for spec in SPECS:
        mutation = spec.schema.mutation
        assert mutation is not None
        for field in mutation.__strawberry_definition__.fields:  # type: ignore[attr-defined]
            kind: Any = field.type
            while hasattr(kind, "of_type"):  # list, optional
                kind = kind.of_type
            if isinstance(kind, type) and dataclasses.is_dataclass(kind):
                found[f"{spec.name}.{field.python_name}"] = kind
    return sorted(found.items())


@pytest.mark.parametrize(("field", "kind"), _mutation_types())
def test_every_mutation_result_survives_a_record(field: str, kind: type) -> None:
    value = _instance(kind, 0)
    back = thaw(freeze(value))
    assert type(back) is kind
    for item in dataclasses.fields(kind):
        if item.init:  # the others are resolvers, computed afresh
            assert getattr(back, item.name) == getattr(value, item.name), item.name


def test_scalars_and_containers_come_back_as_they_were() -> None:
    value = [
        NOW,
        NOW.date(),
        uuid.UUID(int=3),
        decimal.Decimal("2.5"),
        {"a": [1]},
        None,
    ]
    assert thaw(freeze(value)) == value


def test_what_cannot_be_rebuilt_is_never_stored() -> None:
    with pytest.raises(TypeError):
        freeze(object())
    with pytest.raises(TypeError):
        thaw({"$object": "os:system", "fields": {}})
