"""Opaque message cursors: the message's sequence number in its conversation."""

from __future__ import annotations

from subgraphs.chat.errors import InvalidCursor
from subgraphs.kit import pagination

__all__ = ["decode_cursor", "encode_cursor"]

_KIND = "message"


def encode_cursor(seq: int) -> str:
    return pagination.encode_cursor(_KIND, seq)


def decode_cursor(cursor: str) -> int:
    """The sequence number inside `cursor`; raises InvalidCursor for anything else."""
    value = pagination.decode_cursor(_KIND, cursor)
    if value is None or not value.isdigit():
        raise InvalidCursor(cursor)
    return int(value)
