"""Audit suite `simple-entity-call`: a field reached through a different key than
the one the client asked about (User by `email`, the root returning it). The
audit's `nickname` subgraph is not in our copy and is reconstructed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.audit.conftest import Case, link, run_case
from tests.conformance.harness import Subgraph

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

SDLS = {
    "email": link("2.0", "@key")
    + """
type Query { user: User }
type User @key(fields: "id") { id: ID! email: String! }
""",
    "nickname": link("2.0", "@key", "@external")
    + """
type User @key(fields: "email") { email: String! @external nickname: String! }
""",
}

USER = {"id": "u1", "email": "u1@example.com", "nickname": "u1-nickname"}


def subgraphs() -> dict[str, Subgraph]:
    in_email = {"id": USER["id"], "email": USER["email"]}
    return {
        "email": Subgraph(
            SDLS["email"], query={"user": in_email}, entities={"User": [in_email]}
        ),
        "nickname": Subgraph(
            SDLS["nickname"],
            entities={"User": [{"email": USER["email"], "nickname": USER["nickname"]}]},
        ),
    }


CASES: list[Case] = [
    (
        "a field reached by another key of the entity",
        "{ user { id nickname } }",
        {"data": {"user": {"id": "u1", "nickname": "u1-nickname"}}},
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_simple_entity_call(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
