"""The StockMovement ledger: every change of quantity or reserved, with its reason.

Entries are written in the same transaction as the change they record, so summing a
level's entries always gives its stored quantity and reserved (`replay`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise.functions import Coalesce, Sum

from subgraphs.inventory.models import MovementReason, StockMovement
from subgraphs.inventory.tenancy import current_tenant

if TYPE_CHECKING:
    from uuid import UUID

__all__ = ["record_movement", "replay"]


async def record_movement(
    stock_level_id: UUID | str,
    *,
    reason: MovementReason,
    quantity_delta: int = 0,
    reserved_delta: int = 0,
    note: str = "",
    reference_id: str | None = None,
    actor_id: str | None = None,
) -> StockMovement:
    """Append one entry; call inside the `tenant_transaction` making the change."""
    return await StockMovement.create(
        tenant_id=current_tenant(),
        stock_level_id=stock_level_id,
        quantity_delta=quantity_delta,
        reserved_delta=reserved_delta,
        reason=reason,
        note=note,
        reference_id=reference_id,
        actor_id=actor_id,
    )


async def replay(stock_level_id: UUID | str) -> tuple[int, int]:
    """(quantity, reserved) of a level rebuilt from its ledger alone."""
    row = (
        await StockMovement.filter(stock_level_id=stock_level_id)
        .annotate(
            quantity=Coalesce(Sum("quantity_delta"), 0),
            reserved=Coalesce(Sum("reserved_delta"), 0),
        )
        .first()
        .values("quantity", "reserved")
    )
    if row is None:
        return 0, 0
    return int(row["quantity"]), int(row["reserved"])
