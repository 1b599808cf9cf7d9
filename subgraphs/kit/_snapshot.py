"""A resolver's return value as JSON and back: what an idempotency record keeps.

A mutation returns a Strawberry type (a dataclass of ids, numbers, text, times and
enums, its relations resolved later from those ids), a list of them, or a scalar.
`freeze` writes that value as JSON with the class of each object and enum named;
`thaw` builds it again. Only classes of `subgraphs.` modules are named and built:
a record never names arbitrary code. Anything else (a database row, a callable)
raises TypeError, so a value that could not be answered again is never stored.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import importlib
import uuid
from typing import Any

__all__ = ["freeze", "thaw"]

_PACKAGE = "subgraphs."


def _name(kind: type) -> str:
    if not kind.__module__.startswith(_PACKAGE):
        raise TypeError(f"expected a class of {_PACKAGE}*, got {kind!r}")
    return f"{kind.__module__}:{kind.__qualname__}"


def _class(name: str) -> Any:
    module, _, qualname = name.partition(":")
    if not module.startswith(_PACKAGE):
        raise TypeError(f"expected a class of {_PACKAGE}*, got {name!r}")
    found: Any = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


def _resolved_fields(kind: type) -> frozenset[str]:
    """A Strawberry type's fields that have resolvers (computed, never kept)."""
    definition = getattr(kind, "__strawberry_definition__", None)
    if definition is None:
        return frozenset()
    return frozenset(
        field.python_name
        for field in definition.fields
        if field.base_resolver is not None
    )


def freeze(value: object) -> Any:
    """`value` as JSON-encodable data; TypeError for what cannot be rebuilt."""
    # Enums first: a str or int enum is a str or int too.
    if isinstance(value, enum.Enum):
        return {"$enum": _name(type(value)), "value": freeze(value.value)}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"$date": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {"$uuid": str(value)}
    if isinstance(value, decimal.Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, list | tuple):
        return [freeze(item) for item in value]
    if isinstance(value, dict):
        return {"$map": [[freeze(k), freeze(v)] for k, v in value.items()]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        resolved = _resolved_fields(type(value))
        return {
            "$object": _name(type(value)),
            "fields": {
                item.name: freeze(getattr(value, item.name))
                for item in dataclasses.fields(value)
                if item.name not in resolved
            },
        }
    raise TypeError(f"cannot keep a {type(value).__name__} for a retry")


def thaw(data: Any) -> Any:
    """The value `freeze` wrote as `data`."""
    if isinstance(data, list):
        return [thaw(item) for item in data]
    if not isinstance(data, dict):
        return data
    if "$enum" in data:
        return _class(data["$enum"])(thaw(data["value"]))
    if "$datetime" in data:
        return datetime.datetime.fromisoformat(data["$datetime"])
    if "$date" in data:
        return datetime.date.fromisoformat(data["$date"])
    if "$uuid" in data:
        return uuid.UUID(data["$uuid"])
    if "$decimal" in data:
        return decimal.Decimal(data["$decimal"])
    if "$map" in data:
        return {thaw(k): thaw(v) for k, v in data["$map"]}
    kind = _class(data["$object"])
    built = object.__new__(kind)
    for name, item in data["fields"].items():
        # object.__setattr__: frozen dataclasses too.
        object.__setattr__(built, name, thaw(item))
    return built
