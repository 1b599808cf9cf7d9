"""Principal: the one caller type, and its role checks."""

from __future__ import annotations

import pytest

from subgraphs.kit.context import RequestContext
from subgraphs.kit.errors import Forbidden, Unauthenticated
from subgraphs.kit.principal import Principal, Role
from subgraphs.kit.settings import Settings


def test_roles_from_the_token_compare_equal_to_the_enum() -> None:
    agent = Principal("u", "t", frozenset({"support_agent", "from-elsewhere"}))
    assert agent.is_support_agent
    assert agent.has_role(Role.SUPPORT_AGENT)
    assert not agent.is_platform_admin
    assert not agent.is_tenant_admin


def test_a_platform_admin_administers_every_tenant() -> None:
    assert Principal("u", None, frozenset({Role.PLATFORM_ADMIN})).is_tenant_admin


def test_require_role_names_the_roles_it_wanted() -> None:
    with pytest.raises(Forbidden, match="chamber_admin, platform_admin"):
        Principal("u").require_role(Role.PLATFORM_ADMIN, Role.CHAMBER_ADMIN)


def test_from_context_needs_a_user_and_of_tenant_a_tenant() -> None:
    with pytest.raises(Unauthenticated):
        Principal.from_context(RequestContext(settings=Settings()))
    with pytest.raises(Forbidden):
        Principal.of_tenant(RequestContext(settings=Settings(), user_id="u"))
    context = RequestContext(
        settings=Settings(), user_id="u", tenant_id="t", roles=frozenset({"member"})
    )
    assert Principal.of_tenant(context) == Principal("u", "t", frozenset({"member"}))
