"""Merging subgraph JSON into the response, and finding the objects at a plan path."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from ..types import JSON, JSONObject

__all__ = [
    "ObjectPath",
    "collect_below",
    "collect_objects",
    "copy_json",
    "deep_merge",
    "response_path",
]

# A response path as a linked list (parent, key), like graphql-core's Path: cheap to
# extend per object, flattened only for an error.
ObjectPath: TypeAlias = "tuple[ObjectPath, str | int] | None"


def deep_merge(target: JSONObject, source: JSONObject) -> None:
    """Merge `source` into `target` by response key, recursing into objects and
    equally long lists (two fetches contribute different fields of the same objects)."""
    for key, value in source.items():
        existing = target.get(key)
        if existing is None or value is None:
            if key not in target or value is not None or existing is None:
                target[key] = value
            continue
        if isinstance(existing, dict) and isinstance(value, dict):
            deep_merge(existing, value)
        elif (
            isinstance(existing, list)
            and isinstance(value, list)
            and len(existing) == len(value)
        ):
            _merge_lists(existing, value)
        else:
            target[key] = value


def copy_json(value: JSONObject) -> JSONObject:
    """`value` with every object and list in it copied (scalars are shared)."""
    return {
        key: item if type(item) is not dict and type(item) is not list else _copy(item)
        for key, item in value.items()
    }


def _copy(value: JSON) -> JSON:
    if type(value) is dict:
        return copy_json(value)
    if type(value) is list:
        return [_copy(item) for item in value]
    return value


def _merge_lists(target: list[JSON], source: list[JSON]) -> None:
    for index, value in enumerate(source):
        existing = target[index]
        if isinstance(existing, dict) and isinstance(value, dict):
            deep_merge(existing, value)
        elif isinstance(existing, list) and isinstance(value, list):
            if len(existing) == len(value):
                _merge_lists(existing, value)
            else:
                target[index] = value
        elif value is not None or existing is None:
            target[index] = value


def collect_objects(
    data: JSONObject, path: tuple[str, ...]
) -> tuple[list[JSONObject], list[ObjectPath]]:
    """The objects found at a FlattenNode path, with each one's response path.

    `@` walks every item of a list (nested lists are flattened); `... on T` keeps
    only objects whose `__typename` is T (or one of `T1,T2`). Nulls and missing
    keys end a branch silently: there is nothing there to fetch for. Paths are
    linked tuples, flattened by `response_path` only when an error needs one.
    Walked a level at a time (in document order, as a depth-first walk would
    find them): one loop per path element, not one call per value.
    """
    return collect_below([data], [None], path)


def collect_below(
    objects: list[JSONObject], paths: list[ObjectPath], path: tuple[str, ...]
) -> tuple[list[JSONObject], list[ObjectPath]]:
    """`collect_objects` from `objects` (at `paths`) on: the objects at `path`
    below them, in order."""
    for element in path:
        if element == "@":
            # Lists are walked when met; an "@" on an object is a no-op.
            continue
        if element.startswith("... on "):
            names = element[7:].split(",")
            kept = [
                index
                for index, value in enumerate(objects)
                if value.get("__typename") in names
            ]
            objects = [objects[i] for i in kept]
            paths = [paths[i] for i in kept]
            continue
        found: list[JSONObject] = []
        found_paths: list[ObjectPath] = []
        for value, trail in zip(objects, paths, strict=True):
            child = value.get(element)
            if type(child) is dict:
                found.append(child)
                found_paths.append((trail, element))
            elif type(child) is list:
                _items(child, (trail, element), found, found_paths)
        objects = found
        paths = found_paths
    return objects, paths


def response_path(path: ObjectPath) -> list[str | int]:
    """The flat response path of a linked path from `collect_objects`."""
    keys: list[str | int] = []
    while path is not None:
        path, key = path
        keys.append(key)
    keys.reverse()
    return keys


def _items(
    values: list[JSON],
    trail: ObjectPath,
    objects: list[JSONObject],
    paths: list[ObjectPath],
) -> None:
    """The objects of a list (of lists ...), skipping nulls and scalars."""
    for index, item in enumerate(values):
        if type(item) is dict:
            objects.append(item)
            paths.append((trail, index))
        elif type(item) is list:
            _items(item, (trail, index), objects, paths)
