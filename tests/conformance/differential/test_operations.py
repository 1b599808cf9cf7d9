"""Random operations are valid, reproducible from their seed, and made of what
planners get wrong."""

from __future__ import annotations

from graphql import build_schema, parse, validate

from .operations import random_operations

SCHEMA = build_schema(
    """
    type Query { node(id: ID!): Node, items(first: Int): [Item!]!, search: [Result] }
    interface Node { id: ID! }
    type Item implements Node { id: ID!, name: String, price(currency: String): Int }
    type User implements Node { id: ID!, name: String!, items: [Item] }
    union Result = Item | User
    """
)


def test_every_operation_is_valid_against_the_schema() -> None:
    operations = random_operations(SCHEMA, seed=1, count=50)
    assert len(operations) == 50
    for operation in operations:
        assert validate(SCHEMA, parse(operation.query)) == []
        assert set(operation.variables) <= {"v0", "v1", "v2"}


def test_the_same_seed_draws_the_same_operations() -> None:
    assert random_operations(SCHEMA, 7, 10) == random_operations(SCHEMA, 7, 10)
    assert random_operations(SCHEMA, 7, 10) != random_operations(SCHEMA, 8, 10)


def test_draws_hold_fragments_aliases_and_conditions() -> None:
    text = "\n".join(o.query for o in random_operations(SCHEMA, seed=3, count=50))
    for shape in (
        "... on Item",
        "... on User",
        "@include(if: $",
        "@skip(if: ",
        "fragment F0",
        "price(currency:",
    ):
        assert shape in text, shape
    # An alias of a field beside the field itself.
    assert any(
        f"{name}1: {name}" in text or f"{name}2: {name}" in text
        for name in ("id", "name", "price", "items")
    )
