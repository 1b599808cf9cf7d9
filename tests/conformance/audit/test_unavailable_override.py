"""Audit suite `unavailable-override`: `@override(from:)` naming a subgraph that does
not exist is ignored; the shareable field stays resolvable in both subgraphs. The
audit's subgraph `a` is not in our copy and is reconstructed from the plans."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.audit.conftest import Case, link, run_case
from tests.conformance.harness import Subgraph

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

SDLS = {
    "a": link("2.3", "@key", "@shareable")
    + """
type Post @key(fields: "id") { id: ID! createdAt: String! @shareable }
type Query { feed: [Post] @shareable aFeed: [Post] }
""",
    "b": link("2.3", "@key", "@override", "@shareable")
    + """
type Post @key(fields: "id") {
  id: ID!
  createdAt: String! @override(from: "non-existing") @shareable
}
type Query { feed: [Post] @shareable bFeed: [Post] }
""",
}

POSTS = [{"id": f"p{i}", "createdAt": f"p{i}-createdAt"} for i in (1, 2)]


def subgraphs() -> dict[str, Subgraph]:
    return {
        "a": Subgraph(
            SDLS["a"],
            query={"feed": POSTS, "aFeed": [POSTS[1]]},
            entities={"Post": POSTS},
        ),
        "b": Subgraph(
            SDLS["b"],
            query={"feed": POSTS, "bFeed": [POSTS[0]]},
            entities={"Post": POSTS},
        ),
    }


CASES: list[Case] = [
    (
        "a shared root with the field overridden from nowhere",
        "{ feed { createdAt } }",
        {
            "data": {
                "feed": [{"createdAt": "p1-createdAt"}, {"createdAt": "p2-createdAt"}]
            }
        },
    ),
    (
        "each subgraph's own root answers the field itself",
        "{ aFeed { createdAt } bFeed { createdAt } }",
        {
            "data": {
                "aFeed": [{"createdAt": "p2-createdAt"}],
                "bFeed": [{"createdAt": "p1-createdAt"}],
            }
        },
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_unavailable_override(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
