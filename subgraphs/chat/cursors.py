"""Opaque message cursors: the message's sequence number in its conversation."""

from __future__ import annotations

import base64
import binascii

from .errors import InvalidCursor

__all__ = ["decode_cursor", "encode_cursor"]

_PREFIX = "message:"


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{seq}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    """The sequence number inside `cursor`; raises InvalidCursor for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise InvalidCursor(cursor) from exc
    if not raw.startswith(_PREFIX) or not raw[len(_PREFIX) :].isdigit():
        raise InvalidCursor(cursor)
    return int(raw[len(_PREFIX) :])
