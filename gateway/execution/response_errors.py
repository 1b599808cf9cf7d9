"""Errors in the client's response: subgraph errors re-pathed, failures described.

Subgraph errors keep their message and extensions, gain `extensions.serviceName`, and
have their path rewritten to the client's path; their `locations` point into the
subgraph's operation, which the client never saw, so they are dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .merge import response_path

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..errors import AgoraError, SubgraphError
    from ..types import JSONObject
    from .merge import ObjectPath

__all__ = [
    "entity_error_paths",
    "error_sort_key",
    "failure_error",
    "subgraph_error",
]

DOWNSTREAM_SERVICE_ERROR = "DOWNSTREAM_SERVICE_ERROR"


def subgraph_error(
    error: JSONObject, service_name: str, path: list[str | int] | None
) -> JSONObject:
    """A subgraph's error as the client sees it, at `path` (None: no path)."""
    extensions = dict(error.get("extensions") or {})
    extensions.setdefault("code", DOWNSTREAM_SERVICE_ERROR)
    extensions["serviceName"] = service_name
    out: JSONObject = {"message": error["message"]}
    if path is not None:
        out["path"] = path
    out["extensions"] = extensions
    return out


def failure_error(exc: SubgraphError | AgoraError, service_name: str) -> JSONObject:
    """The error for a fetch that produced no usable response at all (with what
    the error adds, as OUTCOME_UNKNOWN's `retryable`)."""
    return {
        "message": exc.message,
        "extensions": {
            "code": exc.code,
            "serviceName": service_name,
            **exc.extensions,
        },
    }


def entity_error_paths(
    error_path: Sequence[str | int] | None,
    origins: list[list[int]],
    object_paths: list[ObjectPath],
) -> list[list[str | int]] | None:
    """Client paths for an `_entities` error: `["_entities", i, *rest]` maps to
    `object_path + rest` for every object behind representation i; None when the
    path does not point into `_entities`."""
    if (
        not error_path
        or len(error_path) < 2
        or error_path[0] != "_entities"
        or not isinstance(error_path[1], int)
        or not 0 <= error_path[1] < len(origins)
    ):
        return None
    rest = list(error_path[2:])
    return [
        response_path(object_paths[origin]) + rest for origin in origins[error_path[1]]
    ]


def error_sort_key(error: JSONObject) -> tuple[object, ...]:
    """Errors sort by path (pathless first), then service and message, so a
    response does not depend on which parallel fetch answered first."""
    path = error.get("path") or ()
    keyed = tuple((0, k, "") if isinstance(k, int) else (1, 0, k) for k in path)
    extensions = error.get("extensions") or {}
    return (
        bool(path),
        keyed,
        str(extensions.get("serviceName", "")),
        str(error.get("message", "")),
    )
