"""Type aliases shared across the gateway."""

from __future__ import annotations

from typing import Any, TypeAlias

# JSON as it crosses the gateway's edges (client requests, subgraph responses).
JSON: TypeAlias = Any
JSONObject: TypeAlias = dict[str, Any]
# A response path as GraphQL reports it: field response keys and list indexes.
ResponsePath: TypeAlias = list[str | int]
