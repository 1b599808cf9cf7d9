"""The inventory subgraph schema: thin resolvers over catalog, stock and orders.

`Product` and `Farm` are entities; `Tenant` (owned by accounts) gains `farms` and
`products`; `Order.buyer` is a `User` reference. Every relation goes through a
per-request DataLoader (loaders.py); every operation runs as the caller's tenant.
"""

from __future__ import annotations

from collections.abc import (  # noqa: TC003 - Strawberry reads annotations at runtime
    AsyncGenerator,
    Awaitable,
    Callable,
)
from datetime import datetime  # noqa: TC003 - Strawberry reads annotations at runtime
from typing import Protocol, TypeVar

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet
from strawberry.types import Info

# The modules, not the package: the package's front door imports this one.
import subgraphs.inventory.catalog as catalog
import subgraphs.inventory.orders as orders
import subgraphs.inventory.stock as stock
import subgraphs.inventory.streams as streams
from subgraphs.inventory.errors import InvalidInput, NotFound
from subgraphs.inventory.loaders import (
    load_farms,
    load_farms_by_tenant,
    load_order_lines,
    load_products,
    load_products_by_tenant,
    load_stock_by_farm,
    load_stock_by_product,
)
from subgraphs.inventory.models import Farm as FarmRow
from subgraphs.inventory.models import (
    FarmStatus,
    OrderStatus,
    ReservationStatus,
)
from subgraphs.inventory.models import Order as OrderRow
from subgraphs.inventory.models import OrderLine as OrderLineRow
from subgraphs.inventory.models import Product as ProductRow
from subgraphs.inventory.models import Reservation as ReservationRow
from subgraphs.inventory.models import StockLevel as StockLevelRow
from subgraphs.inventory.tenancy import caller_from_context
from subgraphs.inventory.validation import PriceTier as PriceTierValue
from subgraphs.inventory.validation import PriceTierKind
from subgraphs.kit import SubgraphSchema
from subgraphs.kit.context import RequestContext
from subgraphs.kit.pagination import Connection

__all__ = ["schema"]

InventoryInfo = Info[RequestContext, None]
R = TypeVar("R")
T = TypeVar("T")

strawberry.enum(FarmStatus)
strawberry.enum(OrderStatus)
strawberry.enum(ReservationStatus)
strawberry.enum(PriceTierKind)


async def _convert(awaitable: Awaitable[R], convert: Callable[[R], T]) -> T:
    return convert(await awaitable)


def _id(value: object) -> strawberry.ID:
    return strawberry.ID(str(value))


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class User:
    """A user of the accounts subgraph."""

    id: strawberry.ID


@strawberry.federation.type(keys=["id"])
class Tenant:
    """A tenant (accounts owns it); here its farms and products."""

    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID, info: InventoryInfo) -> Tenant:
        return cls(id=id)

    @strawberry.federation.field(
        description="Empty unless the caller belongs to this tenant.",
        authenticated=True,
    )
    async def farms(self, info: InventoryInfo) -> list[Farm]:
        rows = await info.context.loader(load_farms_by_tenant).load(str(self.id))
        return [Farm.from_row(row) for row in rows]

    @strawberry.federation.field(
        description="Empty unless the caller belongs to this tenant.",
        authenticated=True,
    )
    async def products(self, info: InventoryInfo) -> list[Product]:
        rows = await info.context.loader(load_products_by_tenant).load(str(self.id))
        return [Product.from_row(row) for row in rows]


@strawberry.type
class PriceTier:
    """A unit price that applies from `minQuantity` units upwards."""

    kind: PriceTierKind
    min_quantity: int
    unit_price_cents: int


@strawberry.federation.type(keys=["id"])
class Farm:
    id: strawberry.ID
    name: str
    location: str
    timezone: str = strawberry.field(description="IANA name, e.g. Europe/Berlin.")
    status: FarmStatus
    tenant_id: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: FarmRow) -> Farm:
        return cls(
            id=_id(row.id),
            name=row.name,
            location=row.location,
            timezone=row.timezone,
            status=row.status,
            tenant_id=row.tenant_id,
        )

    @classmethod
    def resolve_reference(
        cls, id: strawberry.ID, info: InventoryInfo
    ) -> Awaitable[Farm]:
        return _convert(info.context.loader(load_farms).load(str(id)), cls.from_row)

    @strawberry.field
    def tenant(self) -> Tenant:
        return Tenant(id=_id(self.tenant_id))

    @strawberry.field(description="This farm's level of every product it holds.")
    async def stock(self, info: InventoryInfo) -> list[StockLevel]:
        rows = await info.context.loader(load_stock_by_farm).load(str(self.id))
        return [StockLevel.from_row(row) for row in rows]


@strawberry.federation.type(keys=["id"])
class Product:
    id: strawberry.ID
    sku: str
    name: str
    category: str
    unit: str
    currency: str
    price_tiers: list[PriceTier]
    tenant_id: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: ProductRow) -> Product:
        tiers = [PriceTierValue.from_json(t) for t in row.price_tiers]
        return cls(
            id=_id(row.id),
            sku=row.sku,
            name=row.name,
            category=row.category,
            unit=row.unit,
            currency=row.currency,
            price_tiers=[
                PriceTier(
                    kind=t.kind,
                    min_quantity=t.min_quantity,
                    unit_price_cents=t.unit_price_cents,
                )
                for t in tiers
            ],
            tenant_id=row.tenant_id,
        )

    @classmethod
    def resolve_reference(
        cls, id: strawberry.ID, info: InventoryInfo
    ) -> Awaitable[Product]:
        return _convert(info.context.loader(load_products).load(str(id)), cls.from_row)

    @strawberry.field
    def tenant(self) -> Tenant:
        return Tenant(id=_id(self.tenant_id))

    @strawberry.field(description="The product's level at each farm holding it.")
    async def stock(self, info: InventoryInfo) -> list[StockLevel]:
        rows = await info.context.loader(load_stock_by_product).load(str(self.id))
        return [StockLevel.from_row(row) for row in rows]


class _AtFarm(Protocol):
    farm_id: str
    product_id: str


async def _farm_of(root: _AtFarm, info: InventoryInfo) -> Farm:
    """The farm a stock level, reservation or order line is held at (batched)."""
    return Farm.from_row(await info.context.loader(load_farms).load(root.farm_id))


async def _product_of(root: _AtFarm, info: InventoryInfo) -> Product:
    """The product a stock level, reservation or order line is of (batched)."""
    return Product.from_row(
        await info.context.loader(load_products).load(root.product_id)
    )


@strawberry.type
class StockLevel:
    """How much of a product one farm holds; `available = quantity - reserved`."""

    id: strawberry.ID
    quantity: int
    reserved: int
    available: int
    updated_at: datetime
    farm_id: strawberry.Private[str]
    product_id: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: StockLevelRow) -> StockLevel:
        return cls(
            id=_id(row.id),
            quantity=row.quantity,
            reserved=row.reserved,
            available=row.available,
            updated_at=row.updated_at,
            farm_id=str(row.farm_id),
            product_id=str(row.product_id),
        )

    farm: Farm = strawberry.field(resolver=_farm_of)
    product: Product = strawberry.field(resolver=_product_of)


@strawberry.type
class Reservation:
    """Units held for a buyer until `expiresAt`."""

    id: strawberry.ID
    quantity: int
    status: ReservationStatus
    expires_at: datetime
    created_at: datetime
    user_id: strawberry.Private[str]
    farm_id: strawberry.Private[str]
    product_id: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: ReservationRow) -> Reservation:
        return cls(
            id=_id(row.id),
            quantity=row.quantity,
            status=row.status,
            expires_at=row.expires_at,
            created_at=row.created_at,
            user_id=row.user_id,
            farm_id=str(row.farm_id),
            product_id=str(row.product_id),
        )

    @strawberry.field
    def holder(self) -> User:
        return User(id=_id(self.user_id))

    farm: Farm = strawberry.field(resolver=_farm_of)
    product: Product = strawberry.field(resolver=_product_of)


@strawberry.type
class OrderLine:
    id: strawberry.ID
    quantity: int
    unit_price_cents: int
    line_total_cents: int
    farm_id: strawberry.Private[str]
    product_id: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: OrderLineRow) -> OrderLine:
        return cls(
            id=_id(row.id),
            quantity=row.quantity,
            unit_price_cents=row.unit_price_cents,
            line_total_cents=row.line_total_cents,
            farm_id=str(row.farm_id),
            product_id=str(row.product_id),
        )

    farm: Farm = strawberry.field(resolver=_farm_of)
    product: Product = strawberry.field(resolver=_product_of)


@strawberry.type
class Order:
    id: strawberry.ID
    status: OrderStatus
    currency: str
    total_cents: int
    created_at: datetime
    cancelled_at: datetime | None
    buyer_id: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: OrderRow) -> Order:
        return cls(
            id=_id(row.id),
            status=row.status,
            currency=row.currency,
            total_cents=row.total_cents,
            created_at=row.created_at,
            cancelled_at=row.cancelled_at,
            buyer_id=row.buyer_id,
        )

    @strawberry.field
    def buyer(self) -> User:
        return User(id=_id(self.buyer_id))

    @strawberry.field
    async def lines(self, info: InventoryInfo) -> list[OrderLine]:
        rows = await info.context.loader(load_order_lines).load(str(self.id))
        return [OrderLine.from_row(row) for row in rows]


@strawberry.type
class StockChange:
    """A stock level as it is now; `reason` is CURRENT when it was read from the
    database (the first snapshot, or after events were lost) rather than heard."""

    stock_level_id: strawberry.ID
    farm_id: strawberry.ID
    product_id: strawberry.ID
    quantity: int
    reserved: int
    available: int
    reason: str
    version: int = strawberry.field(
        description="The level's change number (1, 2, 3... in commit order): a "
        "subscriber receives each level's versions in increasing order."
    )


@strawberry.input
class ProductFilterInput:
    category: str | None = None
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive part of the name."
    )


@strawberry.input
class PriceTierInput:
    kind: PriceTierKind
    min_quantity: int
    unit_price_cents: int

    def to_value(self) -> PriceTierValue:
        return PriceTierValue(self.kind, self.min_quantity, self.unit_price_cents)


@strawberry.input
class CreateFarmInput:
    name: str
    location: str = ""
    timezone: str = "UTC"


@strawberry.input
class CreateProductInput:
    sku: str
    name: str
    price_tiers: list[PriceTierInput]
    category: str = ""
    unit: str = "piece"
    currency: str = "EUR"


@strawberry.input
class UpdateProductInput:
    name: str | None = None
    category: str | None = None
    unit: str | None = None
    price_tiers: list[PriceTierInput] | None = None


@strawberry.input
class ReceiveStockInput:
    farm_id: strawberry.ID
    quantity: int
    product_id: strawberry.ID | None = strawberry.field(
        default=None, description="The product, or give its `sku` instead."
    )
    sku: str | None = None
    note: str = ""


@strawberry.input
class AdjustStockInput:
    farm_id: strawberry.ID
    product_id: strawberry.ID
    delta: int
    reason: str


@strawberry.type
class Query:
    @strawberry.federation.field(
        description="The caller's tenant's products, by SKU.",
        authenticated=True,
    )
    async def products(
        self,
        info: InventoryInfo,
        filter: ProductFilterInput | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Product]:
        caller = caller_from_context(info.context)
        page = await catalog.list_products(
            caller,
            filter=catalog.ProductFilter(filter.category, filter.search)
            if filter
            else None,
            first=first,
            after=after,
        )
        return Connection.of(
            [
                (Product.from_row(p), catalog.encode_cursor(p.sku))
                for p in page.products
            ],
            has_next_page=page.has_next_page,
            has_previous_page=after is not None,
        )

    @strawberry.federation.field(
        description="Null when no product of the caller's tenant has it.",
        authenticated=True,
    )
    async def product(self, info: InventoryInfo, id: strawberry.ID) -> Product | None:
        caller_from_context(info.context)
        try:
            row = await info.context.loader(load_products).load(str(id))
        except NotFound:
            return None
        return Product.from_row(row)

    @strawberry.federation.field(
        description="NOT_FOUND when the SKU is unknown in the tenant.",
        authenticated=True,
    )
    async def product_by_sku(self, info: InventoryInfo, sku: str) -> Product:
        caller = caller_from_context(info.context)
        return Product.from_row(await catalog.product_by_sku(caller, sku))

    @strawberry.federation.field(authenticated=True)
    async def farms(self, info: InventoryInfo) -> list[Farm]:
        caller = caller_from_context(info.context)
        return [Farm.from_row(row) for row in await catalog.list_farms(caller)]

    @strawberry.federation.field(
        description="The product's level at each farm.",
        authenticated=True,
    )
    async def stock(
        self, info: InventoryInfo, product_id: strawberry.ID
    ) -> list[StockLevel]:
        caller = caller_from_context(info.context)
        rows = await stock.stock_for_product(caller, product_id)
        return [StockLevel.from_row(row) for row in rows]

    @strawberry.federation.field(
        description="Levels whose available units are below threshold.",
        authenticated=True,
    )
    async def low_stock(self, info: InventoryInfo, threshold: int) -> list[StockLevel]:
        caller = caller_from_context(info.context)
        return [
            StockLevel.from_row(r) for r in await stock.low_stock(caller, threshold)
        ]

    @strawberry.federation.field(
        description="The caller's orders; all of them for tenant admins.",
        authenticated=True,
    )
    async def orders(self, info: InventoryInfo) -> list[Order]:
        caller = caller_from_context(info.context)
        return [Order.from_row(row) for row in await orders.list_orders(caller)]


@strawberry.type
class Mutation:
    @strawberry.federation.mutation(authenticated=True)
    async def create_farm(self, info: InventoryInfo, input: CreateFarmInput) -> Farm:
        caller = caller_from_context(info.context)
        row = await catalog.create_farm(
            caller, name=input.name, location=input.location, timezone=input.timezone
        )
        return Farm.from_row(row)

    @strawberry.federation.mutation(authenticated=True)
    async def create_product(
        self, info: InventoryInfo, input: CreateProductInput
    ) -> Product:
        caller = caller_from_context(info.context)
        row = await catalog.create_product(
            caller,
            sku=input.sku,
            name=input.name,
            category=input.category,
            unit=input.unit,
            currency=input.currency,
            price_tiers=[t.to_value() for t in input.price_tiers],
        )
        return Product.from_row(row)

    @strawberry.federation.mutation(authenticated=True)
    async def update_product(
        self, info: InventoryInfo, id: strawberry.ID, input: UpdateProductInput
    ) -> Product:
        caller = caller_from_context(info.context)
        row = await catalog.update_product(
            caller,
            id,
            name=input.name,
            category=input.category,
            unit=input.unit,
            price_tiers=None
            if input.price_tiers is None
            else [t.to_value() for t in input.price_tiers],
        )
        return Product.from_row(row)

    @strawberry.federation.mutation(authenticated=True)
    async def receive_stock(
        self, info: InventoryInfo, input: ReceiveStockInput
    ) -> StockLevel:
        caller = caller_from_context(info.context)
        product_id: object = input.product_id
        if (input.product_id is None) == (input.sku is None):
            raise InvalidInput("give exactly one of productId or sku", field="sku")
        if input.sku is not None:
            product_id = (await catalog.product_by_sku(caller, input.sku)).id
        row = await stock.receive_stock(
            caller,
            farm_id=input.farm_id,
            product_id=product_id,
            quantity=input.quantity,
            note=input.note,
            broker=info.context.broker,
        )
        return StockLevel.from_row(row)

    @strawberry.federation.mutation(authenticated=True)
    async def adjust_stock(
        self, info: InventoryInfo, input: AdjustStockInput
    ) -> StockLevel:
        caller = caller_from_context(info.context)
        row = await stock.adjust_stock(
            caller,
            farm_id=input.farm_id,
            product_id=input.product_id,
            delta=input.delta,
            reason=input.reason,
            broker=info.context.broker,
        )
        return StockLevel.from_row(row)

    @strawberry.federation.mutation(
        description="Hold units for `ttl` seconds (default 15 min).",
        authenticated=True,
    )
    async def reserve(
        self,
        info: InventoryInfo,
        product_id: strawberry.ID,
        farm_id: strawberry.ID,
        quantity: int,
        ttl: int = stock.DEFAULT_RESERVATION_TTL,
    ) -> Reservation:
        caller = caller_from_context(info.context)
        row = await stock.reserve(
            caller,
            product_id=product_id,
            farm_id=farm_id,
            quantity=quantity,
            ttl=ttl,
            broker=info.context.broker,
        )
        return Reservation.from_row(row)

    @strawberry.federation.mutation(authenticated=True)
    async def release_reservation(
        self, info: InventoryInfo, id: strawberry.ID
    ) -> Reservation:
        caller = caller_from_context(info.context)
        row = await stock.release_reservation(caller, id, broker=info.context.broker)
        return Reservation.from_row(row)

    @strawberry.federation.mutation(
        description="Turn the caller's reservations into an order.",
        authenticated=True,
    )
    async def place_order(
        self, info: InventoryInfo, reservation_ids: list[strawberry.ID]
    ) -> Order:
        caller = caller_from_context(info.context)
        row = await orders.place_order(
            caller, list(reservation_ids), broker=info.context.broker
        )
        return Order.from_row(row)

    @strawberry.federation.mutation(authenticated=True)
    async def cancel_order(self, info: InventoryInfo, id: strawberry.ID) -> Order:
        caller = caller_from_context(info.context)
        row = await orders.cancel_order(caller, id, broker=info.context.broker)
        return Order.from_row(row)


@strawberry.type
class Subscription:
    @strawberry.federation.field(
        is_subscription=True,
        description="Levels of one product (productId) or one farm (farmId): first "
        "the current levels, then every change after it is committed; each level's "
        "versions only go up, and after lost events the level is read again "
        "(reason CURRENT).",
        authenticated=True,
    )
    async def stock_changed(
        self,
        info: InventoryInfo,
        product_id: strawberry.ID | None = None,
        farm_id: strawberry.ID | None = None,
    ) -> AsyncGenerator[StockChange, None]:
        caller = caller_from_context(info.context)
        if (product_id is None) == (farm_id is None):
            raise InvalidInput(
                "give exactly one of productId or farmId", field="productId"
            )
        broker = info.context.broker
        if broker is None:
            raise RuntimeError("expected a broker on the context, got None")
        async for event in streams.stock_changes(
            caller, broker=broker, product_id=product_id, farm_id=farm_id
        ):
            yield StockChange(
                stock_level_id=_id(event.stock_level_id),
                farm_id=_id(event.farm_id),
                product_id=_id(event.product_id),
                quantity=event.quantity,
                reserved=event.reserved,
                available=event.available,
                reason=event.reason,
                version=event.version,
            )


schema = SubgraphSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Tenant, User],
)
