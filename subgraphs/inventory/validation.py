"""Checks on input values, run before any write so bad input writes nothing."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import TypeGuard
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from subgraphs.inventory.errors import (
    InvalidInput,
    InvalidPriceTier,
    InvalidQuantity,
    NotFound,
)

__all__ = [
    "DEFAULT_MAX_RESERVATION_TTL",
    "MAX_QUANTITY",
    "MAX_RESERVATION_TTL",
    "PriceTier",
    "PriceTierKind",
    "max_reservation_ttl",
    "parse_price_tiers",
    "price_for",
    "require_id",
    "require_positive_quantity",
    "require_quantity_change",
    "require_text",
    "require_timezone",
    "require_ttl",
]

# Keeps every sum of quantities inside a 32-bit INTEGER column.
MAX_QUANTITY = 1_000_000_000
# What INVENTORY_MAX_RESERVATION_TTL may say at most, and its default (issue 12: a
# member held a farm's whole stock for 7 days).
MAX_RESERVATION_TTL = timedelta(days=7)
DEFAULT_MAX_RESERVATION_TTL = timedelta(hours=1)


def max_reservation_ttl() -> timedelta:
    """The longest reservation anyone may ask for: INVENTORY_MAX_RESERVATION_TTL
    seconds (default 3600; never above 7 days, a bad value means the default)."""
    raw = os.environ.get("INVENTORY_MAX_RESERVATION_TTL")
    try:
        seconds = int(raw) if raw else None
    except ValueError:
        seconds = None
    if seconds is None or seconds < 1:
        return DEFAULT_MAX_RESERVATION_TTL
    return min(timedelta(seconds=seconds), MAX_RESERVATION_TTL)


class PriceTierKind(StrEnum):
    RETAIL = "RETAIL"
    WHOLESALE = "WHOLESALE"


@dataclass(frozen=True, slots=True)
class PriceTier:
    """A unit price that applies from `min_quantity` units upwards."""

    kind: PriceTierKind
    min_quantity: int
    unit_price_cents: int

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "min_quantity": self.min_quantity,
            "unit_price_cents": self.unit_price_cents,
        }

    @classmethod
    def from_json(cls, value: dict[str, object]) -> PriceTier:
        return cls(
            kind=PriceTierKind(str(value["kind"])),
            min_quantity=int(str(value["min_quantity"])),
            unit_price_cents=int(str(value["unit_price_cents"])),
        )


def _is_whole(value: object) -> TypeGuard[int]:
    # bool is an int subclass; True is not a quantity.
    return isinstance(value, int) and not isinstance(value, bool)


def require_positive_quantity(field: str, value: object) -> int:
    """`value` as a whole number in 1..MAX_QUANTITY; InvalidQuantity otherwise."""
    if not _is_whole(value) or not 0 < value <= MAX_QUANTITY:
        raise InvalidQuantity(field, value, f"a whole number from 1 to {MAX_QUANTITY}")
    return value


def require_quantity_change(field: str, value: object) -> int:
    """`value` as a non-zero whole number (a stock adjustment may be negative)."""
    if not _is_whole(value) or value == 0 or abs(value) > MAX_QUANTITY:
        raise InvalidQuantity(field, value, "a non-zero whole number")
    return value


def require_ttl(seconds: object) -> timedelta:
    """A reservation's time to live: whole seconds, at least 1, at most
    max_reservation_ttl() (an hour by default)."""
    limit = int(max_reservation_ttl().total_seconds())
    if not _is_whole(seconds) or not 0 < seconds <= limit:
        raise InvalidQuantity("ttl", seconds, f"whole seconds from 1 to {limit}")
    return timedelta(seconds=seconds)


def require_text(field: str, value: str, *, max_length: int) -> str:
    """`value` stripped; InvalidInput when empty or longer than `max_length`."""
    stripped = value.strip()
    if not stripped or len(stripped) > max_length:
        raise InvalidInput(f"{field} must be 1 to {max_length} characters", field=field)
    return stripped


def require_timezone(value: str) -> str:
    """An IANA timezone name such as Europe/Berlin; InvalidInput otherwise."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidInput(f"unknown timezone {value!r}", field="timezone") from error
    return value


def parse_price_tiers(tiers: list[PriceTier]) -> list[PriceTier]:
    """Check tiers: prices >= 0, minimum quantities >= 1, one tier per (kind, minimum).

    Returns them sorted by minimum quantity; a product needs a RETAIL tier from 1.
    """
    seen: set[tuple[PriceTierKind, int]] = set()
    for index, tier in enumerate(tiers):
        if not _is_whole(tier.unit_price_cents) or tier.unit_price_cents < 0:
            raise InvalidPriceTier(index, "unit price must not be below zero")
        if (
            not _is_whole(tier.min_quantity)
            or not 0 < tier.min_quantity <= MAX_QUANTITY
        ):
            raise InvalidPriceTier(index, "minimum quantity must be at least 1")
        key = (tier.kind, tier.min_quantity)
        if key in seen:
            raise InvalidPriceTier(index, "duplicate tier for the same minimum")
        seen.add(key)
    if not any(t.kind is PriceTierKind.RETAIL and t.min_quantity == 1 for t in tiers):
        raise InvalidPriceTier(len(tiers), "a RETAIL tier from quantity 1 is required")
    return sorted(tiers, key=lambda t: (t.min_quantity, t.kind.value))


def price_for(tiers: list[PriceTier], quantity: int) -> int:
    """Unit price in cents for `quantity`: the cheapest tier whose minimum it meets."""
    eligible = [t.unit_price_cents for t in tiers if t.min_quantity <= quantity]
    return min(eligible) if eligible else 0


def require_id(kind: str, value: object) -> UUID:
    """`value` as a UUID; NotFound for anything else (no row can have that id)."""
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError as error:
        raise NotFound(kind, str(value)) from error
