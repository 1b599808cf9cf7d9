"""Who calls: one `Principal` with a closed set of `Role`s, for every subgraph.

The request context says what the gateway vouched for (strings from the identity
headers); a Principal is that caller once a resolver requires one, with the role
checks every subgraph asks. Roles outside `Role` (a newer gateway, another issuer)
are kept but grant nothing here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from subgraphs.kit.errors import Forbidden

if TYPE_CHECKING:
    from subgraphs.kit.context import RequestContext

__all__ = ["TENANT_ADMINS", "Principal", "Role"]


class Role(StrEnum):
    """The roles accounts grants, as tokens and identity headers carry them."""

    MEMBER = "member"
    CHAMBER_ADMIN = "chamber_admin"
    SUPPORT_AGENT = "support_agent"
    TENANT_ADMIN = "tenant_admin"
    PLATFORM_ADMIN = "platform_admin"


# Who administers a tenant's data: its own admin, or the platform's.
TENANT_ADMINS = frozenset({Role.TENANT_ADMIN, Role.PLATFORM_ADMIN})


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: user, tenant (None for platform staff) and roles."""

    user_id: str
    tenant_id: str | None = None
    roles: frozenset[str] = frozenset()

    @classmethod
    def from_context(cls, ctx: RequestContext) -> Principal:
        """The caller of a request; raises Unauthenticated when there is none."""
        return cls(user_id=ctx.require_user(), tenant_id=ctx.tenant_id, roles=ctx.roles)

    @classmethod
    def of_tenant(cls, ctx: RequestContext) -> Principal:
        """The caller, who must belong to a tenant: Unauthenticated without a user,
        Forbidden without a tenant."""
        principal = cls.from_context(ctx)
        if not principal.tenant_id:
            raise Forbidden("the caller belongs to no tenant")
        return principal

    def has_role(self, *roles: Role) -> bool:
        """True when the caller holds any of `roles`."""
        return not self.roles.isdisjoint(roles)

    def require_role(self, *roles: Role) -> None:
        """Raise Forbidden unless the caller holds one of `roles`."""
        if not self.has_role(*roles):
            names = ", ".join(sorted(role.value for role in roles))
            raise Forbidden(f"Requires one of the roles: {names}.")

    @property
    def is_platform_admin(self) -> bool:
        return Role.PLATFORM_ADMIN in self.roles

    @property
    def is_support_agent(self) -> bool:
        return Role.SUPPORT_AGENT in self.roles

    @property
    def is_tenant_admin(self) -> bool:
        """Administers its tenant: tenant_admin, or a platform admin."""
        return self.has_role(*TENANT_ADMINS)
