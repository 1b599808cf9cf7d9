"""Relay-style connections: one `PageInfo` for the whole graph, generic edges.

`PageInfo` is `@shareable`: every subgraph resolves it the same way, so the
supergraph has one type. `Connection[Message]` and `Edge[Message]` are named
`MessageConnection` and `MessageEdge` in the schema (Strawberry's generic naming).
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Generic, TypeVar

import strawberry

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = ["Connection", "Edge", "PageInfo", "decode_cursor", "encode_cursor"]

T = TypeVar("T")


@strawberry.federation.type(
    shareable=True, description="Where a page stands in its list (Relay)."
)
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None

    @classmethod
    def of(
        cls, cursors: Sequence[str], *, has_next_page: bool, has_previous_page: bool
    ) -> PageInfo:
        return cls(
            has_next_page=has_next_page,
            has_previous_page=has_previous_page,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        )


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo

    @classmethod
    def of(
        cls,
        nodes: Iterable[tuple[T, str]],
        *,
        has_next_page: bool,
        has_previous_page: bool,
    ) -> Connection[T]:
        """A page of `(node, cursor)` pairs, in the order given."""
        edges = [Edge(cursor=cursor, node=node) for node, cursor in nodes]
        return cls(
            edges=edges,
            page_info=PageInfo.of(
                [edge.cursor for edge in edges],
                has_next_page=has_next_page,
                has_previous_page=has_previous_page,
            ),
        )


def encode_cursor(kind: str, value: object) -> str:
    """An opaque cursor: `kind:value`, URL-safe base64 (clients must not parse it)."""
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode()


def decode_cursor(kind: str, cursor: str) -> str | None:
    """The value inside a cursor of `kind` that encode_cursor made; None otherwise."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    found, _, value = text.partition(":")
    return value if found == kind and value else None
