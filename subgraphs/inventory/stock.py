"""Stock levels: receive, adjust, reserve, release and expire, never overselling.

Every write is one conditional UPDATE (`... SET reserved = reserved + q WHERE
quantity >= reserved + q`), so the database decides who wins: on PostgreSQL the row
lock taken by UPDATE serialises concurrent reservations and READ COMMITTED re-checks
the WHERE clause against the committed row; on SQLite the writes are serialised by
the connection's transaction lock. The ledger entry is written in the same
transaction, and the `StockChanged` events are published only after it commits.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.queryset import QuerySet

from subgraphs.inventory.errors import (
    InsufficientStock,
    InvalidQuantity,
    NotFound,
    ReservationNotActive,
)
from subgraphs.inventory.events import (
    StockChanged,
    publish_stock_changed,
    stock_changed,
)
from subgraphs.inventory.ledger import record_movement
from subgraphs.inventory.models import (
    Farm,
    MovementReason,
    Product,
    Reservation,
    ReservationStatus,
    StockLevel,
)
from subgraphs.inventory.tenancy import (
    current_tenant,
    require_admin,
    tenant_transaction,
)
from subgraphs.inventory.validation import (
    require_id,
    require_positive_quantity,
    require_quantity_change,
    require_text,
    require_ttl,
)

if TYPE_CHECKING:
    from uuid import UUID

    from subgraphs.kit.principal import Principal
    from subgraphs.kit.pubsub import Broker

__all__ = [
    "adjust_stock",
    "expire_reservations",
    "low_stock",
    "receive_stock",
    "release_reservation",
    "reserve",
    "stock_for_farm",
    "stock_for_product",
]

DEFAULT_RESERVATION_TTL = 900


def utcnow() -> datetime:
    return datetime.now(UTC)


async def _farm(farm_id: object) -> Farm:
    farm = await Farm.get_or_none(id=require_id("Farm", farm_id))
    if farm is None:
        raise NotFound("Farm", str(farm_id))
    return farm


async def _product(product_id: object) -> Product:
    product = await Product.get_or_none(id=require_id("Product", product_id))
    if product is None:
        raise NotFound("Product", str(product_id))
    return product


async def _level(farm: Farm, product: Product) -> StockLevel:
    """The level of (farm, product), created empty on first use."""
    level = await StockLevel.get_or_none(farm_id=farm.id, product_id=product.id)
    if level is not None:
        return level
    try:
        # A savepoint, so losing a creation race does not abort the transaction.
        async with tenant_transaction(current_tenant()):
            return await StockLevel.create(
                tenant_id=current_tenant(), farm=farm, product=product
            )
    except IntegrityError:
        return await StockLevel.get(farm_id=farm.id, product_id=product.id)


async def _reload(level_id: UUID | str) -> StockLevel:
    return await StockLevel.get(id=level_id)


async def receive_stock(
    caller: Principal,
    *,
    farm_id: object,
    product_id: object,
    quantity: object,
    note: str = "",
    broker: Broker | None = None,
) -> StockLevel:
    """Add `quantity` units to a farm's stock of a product (tenant admins only).

    Raises InvalidQuantity, NotFound (farm or product not in the caller's tenant),
    Forbidden.
    """
    require_admin(caller)
    amount = require_positive_quantity("quantity", quantity)
    async with tenant_transaction(caller.tenant_id):
        level = await _level(await _farm(farm_id), await _product(product_id))
        await StockLevel.filter(id=level.id).update(quantity=F("quantity") + amount)
        await record_movement(
            level.id,
            reason=MovementReason.RECEIVED,
            quantity_delta=amount,
            note=note,
            actor_id=caller.user_id,
        )
        level = await _reload(level.id)
    await publish_stock_changed(broker, [stock_changed(level, "RECEIVED")])
    return level


async def adjust_stock(
    caller: Principal,
    *,
    farm_id: object,
    product_id: object,
    delta: object,
    reason: str,
    broker: Broker | None = None,
) -> StockLevel:
    """Correct a level by `delta` (a count, spoilage), recording `reason`.

    The quantity may not drop below what is reserved. Raises InvalidQuantity,
    InvalidInput (empty reason), NotFound, Forbidden.
    """
    require_admin(caller)
    change = require_quantity_change("delta", delta)
    why = require_text("reason", reason, max_length=500)
    async with tenant_transaction(caller.tenant_id):
        level = await _level(await _farm(farm_id), await _product(product_id))
        changed = (
            await StockLevel.filter(id=level.id)
            .filter(quantity__gte=F("reserved") - change)
            .update(quantity=F("quantity") + change)
        )
        if not changed:
            current = await _reload(level.id)
            raise InvalidQuantity(
                "delta",
                change,
                f"at least {current.reserved - current.quantity} "
                f"(quantity {current.quantity}, reserved {current.reserved})",
            )
        await record_movement(
            level.id,
            reason=MovementReason.ADJUSTED,
            quantity_delta=change,
            note=why,
            actor_id=caller.user_id,
        )
        level = await _reload(level.id)
    await publish_stock_changed(broker, [stock_changed(level, "ADJUSTED")])
    return level


async def reserve(
    caller: Principal,
    *,
    product_id: object,
    farm_id: object,
    quantity: object,
    ttl: object = DEFAULT_RESERVATION_TTL,
    broker: Broker | None = None,
    now: datetime | None = None,
) -> Reservation:
    """Hold `quantity` units for the caller until `ttl` seconds from `now`.

    Raises InvalidQuantity (quantity or ttl), NotFound, InsufficientStock when fewer
    units are available; in every error case nothing is written.
    """
    amount = require_positive_quantity("quantity", quantity)
    lifetime = require_ttl(ttl)
    at = now or utcnow()
    events: list[StockChanged] = []
    async with tenant_transaction(caller.tenant_id):
        farm = await _farm(farm_id)
        product = await _product(product_id)
        level = await StockLevel.get_or_none(farm_id=farm.id, product_id=product.id)
        if level is None:
            raise InsufficientStock(amount, 0)
        events += await _expire(_expired(at).filter(stock_level_id=level.id))
        won = (
            await StockLevel.filter(id=level.id)
            .filter(quantity__gte=F("reserved") + amount)
            .update(reserved=F("reserved") + amount)
        )
        if not won:
            current = await _reload(level.id)
            raise InsufficientStock(amount, current.available)
        reservation = await Reservation.create(
            tenant_id=caller.tenant_id,
            user_id=caller.user_id,
            stock_level_id=level.id,
            product_id=product.id,
            farm_id=farm.id,
            quantity=amount,
            expires_at=at + lifetime,
        )
        await record_movement(
            level.id,
            reason=MovementReason.RESERVED,
            reserved_delta=amount,
            reference_id=str(reservation.id),
            actor_id=caller.user_id,
        )
        events.append(stock_changed(await _reload(level.id), "RESERVED"))
    await publish_stock_changed(broker, events)
    return reservation


async def release_reservation(
    caller: Principal,
    reservation_id: object,
    *,
    broker: Broker | None = None,
) -> Reservation:
    """Give a reservation's units back (its holder or a tenant admin).

    Raises NotFound, Forbidden (someone else's), ReservationNotActive.
    """
    async with tenant_transaction(caller.tenant_id):
        reservation = await _reservation_of(caller, reservation_id)
        event = await _end_reservation(
            reservation, ReservationStatus.RELEASED, MovementReason.RELEASED, caller
        )
        reservation = await Reservation.get(id=reservation.id)
        if event is None:
            raise ReservationNotActive(str(reservation.id), reservation.status.value)
    await publish_stock_changed(broker, [event])
    return reservation


async def _reservation_of(caller: Principal, reservation_id: object) -> Reservation:
    """The reservation, if the caller holds it or administers the tenant."""
    reservation = await Reservation.get_or_none(
        id=require_id("Reservation", reservation_id)
    )
    if reservation is None or (
        reservation.user_id != caller.user_id and not caller.is_tenant_admin
    ):
        raise NotFound("Reservation", str(reservation_id))
    return reservation


def _expired(now: datetime) -> QuerySet[Reservation]:
    return Reservation.filter(status=ReservationStatus.ACTIVE, expires_at__lte=now)


async def _end_reservation(
    reservation: Reservation,
    status: ReservationStatus,
    reason: MovementReason,
    caller: Principal | None = None,
) -> StockChanged | None:
    """Move an ACTIVE reservation to `status` and unreserve its units.

    The status flip is conditional, so a reservation released and expired at the same
    time gives its units back once. None when it was no longer ACTIVE.
    """
    flipped = await Reservation.filter(
        id=reservation.id, status=ReservationStatus.ACTIVE
    ).update(status=status)
    if not flipped:
        return None
    await StockLevel.filter(id=reservation.stock_level_id).update(
        reserved=F("reserved") - reservation.quantity
    )
    await record_movement(
        reservation.stock_level_id,
        reason=reason,
        reserved_delta=-reservation.quantity,
        reference_id=str(reservation.id),
        actor_id=caller.user_id if caller else None,
    )
    return stock_changed(await _reload(reservation.stock_level_id), reason.value)


async def _expire(expired: QuerySet[Reservation]) -> list[StockChanged]:
    events = []
    # Every reservation locked before any level, as a release locks its reservation
    # then its level: ending them one by one (reservation, level, reservation...)
    # deadlocked with a holder releasing one of them at the same time.
    for reservation in await expired.select_for_update().order_by("id"):
        event = await _end_reservation(
            reservation, ReservationStatus.EXPIRED, MovementReason.EXPIRED
        )
        if event is not None:
            events.append(event)
    return events


async def expire_reservations(
    *,
    now: datetime | None = None,
    broker: Broker | None = None,
) -> int:
    """Release the units of every reservation past its expiry, in every tenant.

    Runs per tenant inside that tenant's scope; only the list of tenants with expired
    reservations is read across tenants (the system sweep). Returns how many expired.
    """
    at = now or utcnow()
    # The one cross-tenant read: which tenants have work. It bypasses TenantManager
    # on purpose and reads nothing but tenant ids.
    tenants = (
        await QuerySet(Reservation)
        .filter(status=ReservationStatus.ACTIVE, expires_at__lte=at)
        .distinct()
        .values_list("tenant_id", flat=True)
    )
    expired = 0
    for tenant_id in tenants:
        async with tenant_transaction(str(tenant_id)):
            events = await _expire(_expired(at))
        expired += len(events)
        await publish_stock_changed(broker, events)
    return expired


async def stock_for_product(caller: Principal, product_id: object) -> list[StockLevel]:
    """The product's level at every farm of the caller's tenant ([] for other ids)."""
    try:
        key = require_id("Product", product_id)
    except NotFound:
        return []
    async with tenant_transaction(caller.tenant_id):
        return await StockLevel.filter(product_id=key).order_by("farm_id")


async def low_stock(caller: Principal, threshold: object) -> list[StockLevel]:
    """Levels whose available units (quantity - reserved) are below `threshold`."""
    limit = require_positive_quantity("threshold", threshold)
    async with tenant_transaction(caller.tenant_id):
        return (
            await StockLevel.annotate(available_units=F("quantity") - F("reserved"))
            .filter(available_units__lt=limit)
            .order_by("available_units", "id")
        )


async def stock_for_farm(caller: Principal, farm_id: object) -> list[StockLevel]:
    """Every product's level at the farm ([] for ids outside the caller's tenant)."""
    try:
        key = require_id("Farm", farm_id)
    except NotFound:
        return []
    async with tenant_transaction(caller.tenant_id):
        return await StockLevel.filter(farm_id=key).order_by("product_id")
