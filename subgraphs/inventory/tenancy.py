"""Tenant isolation: the one place that scopes every inventory query to a tenant.

Two layers, both keyed on the tenant of the current `tenant_transaction`:

1. `TenantManager` is the default manager of every inventory model, so any ORM query
   (`Product.filter(...)`, `.get()`, `.update()`, `.delete()`) gets
   `WHERE tenant_id = <tenant>` in its SQL; a query outside a tenant scope raises
   TenantScopeMissing instead of reading everything.
2. On PostgreSQL the transaction sets `agora.tenant_id` with `set_config(..., true)`
   (transaction-local, so a pooled connection never carries it into the next
   transaction) and switches to the `agora_inventory_tenant` role, which the row level
   security policies of migration 0002 restrict to that tenant's rows.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from tortoise.manager import Manager
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from subgraphs.inventory.errors import Forbidden, TenantScopeMissing
from subgraphs.kit.principal import Principal

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tortoise.backends.base.client import BaseDBAsyncClient

    from subgraphs.kit.context import RequestContext

__all__ = [
    "CONNECTION",
    "RLS_ROLE",
    "TENANT_SETTING",
    "TenantManager",
    "caller_from_context",
    "current_tenant",
    "require_admin",
    "tenant_transaction",
]

# The Tortoise connection the kit opens for this subgraph (named after it).
CONNECTION = "inventory"
TENANT_SETTING = "agora.tenant_id"
RLS_ROLE = "agora_inventory_tenant"

_current_tenant: ContextVar[str | None] = ContextVar(
    "agora_inventory_tenant", default=None
)

# One statement per transaction: the tenant setting, and the restricted role when it
# exists and the connecting user may take it (superusers bypass RLS otherwise).
_ENTER_TENANT_SQL = f"""
SELECT set_config('{TENANT_SETTING}', $1, true),
       CASE WHEN to_regrole('{RLS_ROLE}') IS NULL THEN NULL
            WHEN pg_has_role('{RLS_ROLE}', 'MEMBER')
            THEN set_config('role', '{RLS_ROLE}', true)
       END
"""


def require_admin(caller: Principal) -> None:
    """Raise Forbidden unless the caller administers their tenant."""
    if not caller.is_tenant_admin:
        raise Forbidden("requires the tenant_admin role")


def current_tenant() -> str:
    """The tenant of the enclosing `tenant_transaction` (else TenantScopeMissing)."""
    tenant_id = _current_tenant.get()
    if tenant_id is None:
        raise TenantScopeMissing()
    return tenant_id


class TenantManager(Manager):
    """Default manager of every inventory model: every queryset is tenant-filtered."""

    def get_queryset(self) -> QuerySet[Any]:
        return QuerySet(self._model).filter(tenant_id=current_tenant())


@asynccontextmanager
async def tenant_transaction(tenant_id: str | None) -> AsyncIterator[BaseDBAsyncClient]:
    """Run the block in one transaction whose every query is limited to `tenant_id`.

    Nested use with the same tenant becomes a savepoint; a different tenant inside an
    open scope is a bug and raises TenantScopeMissing.
    """
    if not tenant_id:
        raise Forbidden("the caller belongs to no tenant")
    outer = _current_tenant.get()
    if outer is not None:
        if outer != tenant_id:
            raise TenantScopeMissing()
        async with in_transaction(CONNECTION) as connection:
            yield connection
        return
    token = _current_tenant.set(tenant_id)
    try:
        async with in_transaction(CONNECTION) as connection:
            if connection.capabilities.dialect == "postgres":
                await connection.execute_query(_ENTER_TENANT_SQL, [tenant_id])
            yield connection
    finally:
        _current_tenant.reset(token)


def caller_from_context(ctx: RequestContext) -> Principal:
    """The caller of a request: Unauthenticated without a user, Forbidden without a
    tenant (every inventory row belongs to one)."""
    user_id = ctx.require_user()
    if not ctx.tenant_id:
        raise Forbidden("the caller belongs to no tenant")
    return Principal(user_id=user_id, tenant_id=ctx.tenant_id, roles=ctx.roles)
