"""Entity representations: built from a fetch's `requires`, rewritten, de-duplicated.

Apollo Federation subgraph spec, `_entities(representations: [_Any!]!)`: each
representation is `__typename` plus the key (and @requires) fields of one object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

import orjson

from ..planner import (
    FieldSelection,
    InlineFragmentSelection,
    KeyRenamer,
    ValueSetter,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..planner import FetchNode, FetchRewrite, Selection
    from ..types import JSON, JSONObject

__all__ = [
    "EntityBatch",
    "apply_rewrites",
    "build_representation",
    "context_variables",
    "reader_for",
    "representation_reader",
]


class EntityBatch:
    """The unique representations of one entity fetch and the objects behind each.

    `origins[i]` lists the indexes (into the collected objects) that produced
    representation i, so `_entities[i]` is merged into each of them.
    """

    __slots__ = ("_index", "origins", "representations")

    def __init__(self) -> None:
        self.representations: list[JSONObject] = []
        self.origins: list[list[int]] = []
        self._index: dict[object, int] = {}

    def add(self, representation: JSONObject, origin: int, key: object = None) -> None:
        """Add `representation` (of the object at index `origin`); `key`, when
        given, stands for it among the keys given (equal exactly when the
        representations are), else its sorted JSON is its key."""
        if key is None:
            key = orjson.dumps(representation, option=orjson.OPT_SORT_KEYS)
        slot = self._index.get(key)
        if slot is None:
            self._index[key] = len(self.representations)
            self.representations.append(representation)
            self.origins.append([origin])
        else:
            self.origins[slot].append(origin)


def build_representation(
    value: JSONObject, requires: tuple[Selection, ...]
) -> JSONObject | None:
    """The representation of `value` for `requires`, or None when `value` does not
    match any type condition or lacks a required field (it cannot be resolved)."""
    out: JSONObject = {}
    try:
        matched = _select_into(value, requires, out)
    except _Incomplete:
        return None
    return out if matched else None


Reader: TypeAlias = "Callable[[JSONObject], tuple[JSONObject, object] | None]"


def representation_reader(requires: tuple[Selection, ...]) -> Reader | None:
    """A faster `build_representation` for the common `requires`: fragments on
    object types holding only leaf fields (`... on T { __typename id }`). The
    reader returns the representation and its de-duplication key (the type and
    the values, when every value is a string: two such keys are equal exactly
    when the representations are), or None as build_representation would.
    None when `requires` has another shape."""
    fields: dict[str, list[str]] = {}
    for selection in requires:
        if not isinstance(selection, InlineFragmentSelection):
            return None
        condition = selection.type_condition
        if condition is None:
            return None
        for inner in selection.selections:
            if not isinstance(inner, FieldSelection) or inner.selections:
                return None
            fields.setdefault(condition, []).append(inner.name)
    by_type = {
        name: tuple(dict.fromkeys(names)) for name, names in fields.items() if names
    }

    def read(value: JSONObject) -> tuple[JSONObject, object] | None:
        typename = value.get("__typename")
        if type(typename) is not str:
            return None
        names = by_type.get(typename)
        if names is None:
            return None
        out: JSONObject = {}
        strings = True
        for name in names:
            if name not in value:
                return None
            field_value = value[name]
            if type(field_value) is not str:
                strings = False
            out[name] = field_value
        if not strings:
            return out, orjson.dumps(out, option=orjson.OPT_SORT_KEYS)
        return out, (typename, *out.values())

    return read


_READERS: dict[tuple[Selection, ...], Reader | None] = {}


def reader_for(requires: tuple[Selection, ...]) -> Reader | None:
    """`representation_reader(requires)`, made once per `requires` (plans are
    cached, so a few hundred at most; forgotten all at once past 4096)."""
    try:
        return _READERS[requires]
    except KeyError:
        pass
    if len(_READERS) >= 4096:
        _READERS.clear()
    reader = _READERS[requires] = representation_reader(requires)
    return reader


def context_variables(
    data: JSONObject, path: list[str | int], node: FetchNode
) -> JSONObject:
    """The @fromContext variables of `node` for the object at response `path`:
    each read from the ancestor `levels` path elements up (null when absent)."""
    values: JSONObject = {}
    for context in node.context_values:
        ancestor: JSON = data
        for key in path[: len(path) - context.levels]:
            if isinstance(ancestor, dict) and isinstance(key, str):
                ancestor = ancestor.get(key)
            elif isinstance(ancestor, list) and isinstance(key, int):
                ancestor = ancestor[key] if key < len(ancestor) else None
            else:
                ancestor = None
        read = (
            build_representation(ancestor, context.selection)
            if isinstance(ancestor, dict)
            else None
        )
        values[context.variable] = next(iter(read.values()), None) if read else None
    return values


class _Incomplete(Exception):
    """A required field is absent from the object (an earlier fetch failed)."""


def _select_into(
    value: JSONObject, selections: tuple[Selection, ...], out: JSONObject
) -> bool:
    matched = False
    typename = value.get("__typename")
    for selection in selections:
        if isinstance(selection, FieldSelection):
            if selection.name not in value:
                raise _Incomplete
            field_value = value[selection.name]
            if selection.selections and field_value is not None:
                field_value = _select_value(field_value, selection.selections)
            out[selection.name] = field_value
            matched = True
            continue
        condition = selection.type_condition
        if condition is not None and condition != typename:
            continue
        matched = _select_into(value, selection.selections, out) or matched
    return matched


def _select_value(value: JSON, selections: tuple[Selection, ...]) -> JSON:
    if isinstance(value, list):
        return [
            item if item is None else _select_value(item, selections) for item in value
        ]
    if not isinstance(value, dict):
        return value
    out: JSONObject = {}
    _select_into(value, selections, out)
    return out


def apply_rewrites(value: JSONObject, rewrites: tuple[FetchRewrite, ...]) -> None:
    """Apply ValueSetters and KeyRenamers to `value` in place."""
    for rewrite in rewrites:
        _rewrite(value, rewrite, 0)


def _rewrite(value: JSON, rewrite: FetchRewrite, depth: int) -> None:
    if isinstance(value, list):
        for item in value:
            _rewrite(item, rewrite, depth)
        return
    if not isinstance(value, dict):
        return
    path = rewrite.path
    element = path[depth]
    if element.startswith("... on "):
        if value.get("__typename") == element[7:] and depth + 1 < len(path):
            _rewrite(value, rewrite, depth + 1)
        return
    if depth + 1 < len(path):
        if element in value:
            _rewrite(value[element], rewrite, depth + 1)
        return
    if isinstance(rewrite, ValueSetter):
        value[element] = rewrite.set_value_to
    elif isinstance(rewrite, KeyRenamer) and element in value:
        value[rewrite.rename_key_to] = value.pop(element)
