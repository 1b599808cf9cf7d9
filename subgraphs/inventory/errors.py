"""Errors of the inventory subgraph; each is a kit GraphQL error with `extensions.code`.

AgoraGraphQLError (subgraphs.kit.errors)
├── BadUserInput
│   └── InvalidInput              BAD_USER_INPUT: malformed argument
│       ├── InvalidQuantity           negative, zero or non-integer quantity
│       ├── InvalidPriceTier          price below zero, bad minimum quantity
│       ├── InsufficientStock         a reservation larger than what is available
│       └── ReservationNotActive      expired, released or already ordered
├── NotFound
│   └── NotFound                  NOT_FOUND: no such id (or not in the caller's tenant)
│       └── UnknownSku                no product with that SKU in the caller's tenant
├── Conflict
│   └── Conflict                  CONFLICT: the request clashes with stored state
├── Forbidden
│   └── Forbidden                 FORBIDDEN: the caller's role or tenant forbids it
└── TenantScopeMissing            INTERNAL_SERVER_ERROR: query outside a tenant scope
"""

from __future__ import annotations

from subgraphs.kit import errors as kit

__all__ = [
    "Conflict",
    "Forbidden",
    "InsufficientStock",
    "InvalidInput",
    "InvalidPriceTier",
    "InvalidQuantity",
    "NotFound",
    "ReservationNotActive",
    "TenantScopeMissing",
    "UnknownSku",
]


class InvalidInput(kit.BadUserInput):
    """Raised when an argument is malformed; nothing is written."""


class InvalidQuantity(InvalidInput):
    """Raised for a quantity that is not a positive whole number (or a zero change)."""

    def __init__(self, field: str, value: object, rule: str) -> None:
        super().__init__(f"{field} must be {rule}, got {value!r}", field=field)
        self.field = field


class InvalidPriceTier(InvalidInput):
    """Raised for a price tier with a negative price or a minimum quantity below 1."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(f"price tier {index}: {reason}", field="priceTiers")


class InsufficientStock(InvalidInput):
    """Raised when a reservation asks for more than the farm has available."""

    def __init__(self, requested: int, available: int) -> None:
        super().__init__(
            f"cannot reserve {requested}: only {available} available",
            reason="INSUFFICIENT_STOCK",
            available=available,
        )
        self.requested = requested
        self.available = available


class ReservationNotActive(InvalidInput):
    """Raised when an order or release names a reservation no longer holding stock."""

    def __init__(self, reservation_id: str, status: str) -> None:
        super().__init__(
            f"reservation {reservation_id} is {status.lower()}",
            reason=f"RESERVATION_{status.upper()}",
        )
        self.status = status


class NotFound(kit.NotFound):
    """Raised when an id names nothing the caller's tenant can see."""

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(kind, key)
        self.kind = kind
        self.key = key


class UnknownSku(NotFound):
    """Raised when no product of the caller's tenant has the SKU."""

    def __init__(self, sku: str) -> None:
        super().__init__("Product with SKU", sku)


class Conflict(kit.Conflict):
    """Raised when a write clashes with stored state (duplicate SKU, order state)."""


class Forbidden(kit.Forbidden):
    """Raised when the caller's role or tenant does not allow the operation."""


class TenantScopeMissing(kit.AgoraGraphQLError):
    """Raised when a query runs outside `tenant_transaction`: a bug, not user input."""

    def __init__(self) -> None:
        super().__init__("inventory query outside a tenant scope")
