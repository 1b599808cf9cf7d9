"""Audit suite `corrupted-supergraph-node-id`: a shareable root `node` field in two
subgraphs, each of which has one implementation's `id` only as @external. The
planner must pick, per selection, the subgraph that really resolves it, and fail
planning (rather than return the subgraphs' "never" ids) when neither does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.audit.conftest import Case, link, run_case
from tests.conformance.harness import Subgraph

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

SDLS = {
    "a": link("2.3", "@key", "@shareable", "@external")
    + """
type Query { node(id: ID!): Node @shareable account(id: String!): Account }
interface Node { id: ID! }
type Account implements Node @key(fields: "id") { id: ID! username: String! }
type Chat implements Node @key(fields: "id") { id: ID! @external account: Account! }
""",
    "b": link("2.3", "@key", "@shareable", "@external")
    + """
type Query { node(id: ID!): Node @shareable chat(id: String!): Chat }
interface Node { id: ID! }
type Account implements Node @key(fields: "id") { id: ID! @external chats: [Chat!]! }
type Chat implements Node @key(fields: "id") { id: ID! text: String! }
""",
}

ACCOUNT = {"__typename": "Account", "id": "a1", "username": "a1-username"}
CHAT = {"__typename": "Chat", "id": "c1", "text": "c1-text"}


def subgraphs() -> dict[str, Subgraph]:
    # Each subgraph answers "never" for the id it only has as @external.
    in_a = {
        "a1": ACCOUNT,
        "c1": {"__typename": "Chat", "id": "never", "account": ACCOUNT},
    }
    chats = {"__typename": "Account", "chats": [CHAT]}
    in_b = {"a1": {**chats, "id": "never"}, "c1": CHAT}
    return {
        "a": Subgraph(
            SDLS["a"],
            query={
                "node": lambda parent, id: in_a.get(id),
                "account": lambda parent, id: ACCOUNT if id == "a1" else None,
            },
            entities={"Account": [ACCOUNT], "Chat": lambda rep: {"account": ACCOUNT}},
        ),
        "b": Subgraph(
            SDLS["b"],
            query={
                "node": lambda parent, id: in_b.get(id),
                "chat": lambda parent, id: CHAT if id == "c1" else None,
            },
            entities={"Chat": [CHAT], "Account": lambda rep: chats},
        ),
    }


def planning_failed(message: str) -> dict[str, Any]:
    return {
        "errors": [
            {"message": message, "extensions": {"code": "QUERY_PLANNING_FAILED"}}
        ],
        "data": None,
    }


NODE_UNPLANNABLE = "Cannot plan field 'node': no subgraph resolves it whole."


CASES: list[Case] = [
    (
        "an interface field no subgraph resolves for every implementation",
        '{ node(id: "a1") { id } }',
        planning_failed(NODE_UNPLANNABLE),
    ),
    (
        "only __typename: one subgraph answers both",
        '{ account: node(id: "a1") { __typename }'
        ' chat: node(id: "c1") { __typename } }',
        {
            "data": {
                "account": {"__typename": "Account"},
                "chat": {"__typename": "Chat"},
            }
        },
    ),
    (
        "each alias goes to the subgraph resolving its fragment",
        """{ account: node(id: "a1") { ... on Account { id username } }
          chat: node(id: "c1") { ... on Chat { id text } } }""",
        {
            "data": {
                "account": {"id": "a1", "username": "a1-username"},
                "chat": {"id": "c1", "text": "c1-text"},
            }
        },
    ),
    (
        "fragments on the other implementation select nothing",
        """{ account: node(id: "a1") { ... on Chat { id } }
          chat: node(id: "c1") { ... on Account { id } } }""",
        {"data": {"account": {}, "chat": {}}},
    ),
    (
        "__typename beside fragments on the other implementation",
        """{ account: node(id: "a1") { __typename ... on Chat { id } }
          chat: node(id: "c1") { __typename ... on Account { id } } }""",
        {
            "data": {
                "account": {"__typename": "Account"},
                "chat": {"__typename": "Chat"},
            }
        },
    ),
    (
        "an interface id beside a fragment still cannot be planned",
        """{ account: node(id: "a1") { id ... on Chat { id } }
          chat: node(id: "c1") { __typename ... on Account { id } } }""",
        planning_failed(NODE_UNPLANNABLE),
    ),
    (
        "a root field of one subgraph",
        '{ chat(id: "c1") { id } }',
        {"data": {"chat": {"id": "c1"}}},
    ),
    (
        "a root field of the other subgraph",
        '{ account(id: "a1") { id } }',
        {"data": {"account": {"id": "a1"}}},
    ),
    (
        "an entity jump from one to the other",
        '{ chat(id: "c1") { id text account { id } } }',
        {"data": {"chat": {"id": "c1", "text": "c1-text", "account": {"id": "a1"}}}},
    ),
    (
        "an entity jump the other way",
        '{ account(id: "a1") { id username chats { id } } }',
        {
            "data": {
                "account": {
                    "id": "a1",
                    "username": "a1-username",
                    "chats": [{"id": "c1"}],
                }
            }
        },
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_corrupted_supergraph_node_id(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
