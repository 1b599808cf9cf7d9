"""The cache policy of an operation: the rules of subgraphs.kit.cache_control on a
small schema of this test's own."""

from __future__ import annotations

from collections.abc import AsyncIterator  # noqa: TC003 - Strawberry reads it
from typing import Annotated

import pytest
import strawberry
from graphql import parse

from subgraphs.kit import CacheHint, InvalidCacheHint, SubgraphSchema


@strawberry.type
class Author:
    name: str


@strawberry.type
class Review:
    body: str


@strawberry.interface
class Node:
    id: strawberry.ID


@strawberry.type
class Product(Node):
    name: str
    author: Author

    @strawberry.field
    def price(self) -> int:
        return 1

    @strawberry.field
    def stock(self) -> int:
        return 2

    @strawberry.field
    def reviews(self) -> list[Review]:
        return []


@strawberry.type
class Shop(Node):
    title: str


SearchResult = Annotated[Product | Shop, strawberry.union("SearchResult")]


def _product() -> Product:
    return Product(id=strawberry.ID("p1"), name="Pear", author=Author(name="Ann"))


@strawberry.type
class Query:
    @strawberry.field
    def product(self) -> Product:
        return _product()

    @strawberry.field
    def featured(self) -> Product:
        return _product()

    @strawberry.field
    def search(self) -> list[SearchResult]:
        return [_product()]

    @strawberry.field
    def node(self) -> Node:
        return _product()

    @strawberry.field
    def motd(self) -> str:
        return "hello"

    @strawberry.field
    def answer(self) -> int:
        return 42


@strawberry.type
class Mutation:
    @strawberry.mutation
    def touch(self) -> Product:
        return _product()


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def products(self) -> AsyncIterator[Product]:
        yield _product()


HINTS = {
    "Product": CacheHint(max_age=60),
    "Author": CacheHint(max_age=20, scope="PRIVATE"),
    "Product.stock": CacheHint(max_age=5),
    "Query.featured": CacheHint(max_age=10),
    "Query.answer": CacheHint(max_age=300),
}


def make_schema(hints: dict[str, CacheHint] | None = None) -> SubgraphSchema:
    return SubgraphSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Shop],
        cache_hints=HINTS if hints is None else hints,
    )


SCHEMA = make_schema()


def policy(document: str, operation_name: str | None = None) -> CacheHint | None:
    parsed = parse(document)
    return SCHEMA.cache_policy.of_operation(parsed, operation_name)


PUBLIC_0 = CacheHint(max_age=0)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        # A hinted type; its plain fields inherit.
        ("{ product { id name } }", CacheHint(60)),
        # A leaf with a resolver of its own and no hint: 0.
        ("{ product { name price } }", PUBLIC_0),
        # A field hint overrides (its field's resolver does not matter then).
        ("{ product { name stock } }", CacheHint(5)),
        # A field hint on a composite field overrides its type's hint.
        ("{ featured { name } }", CacheHint(10)),
        # A composite field whose type has no hint: 0.
        ("{ product { name reviews { body } } }", PUBLIC_0),
        # The smallest max-age wins, and one PRIVATE hint makes it private.
        ("{ product { name author { name } } }", CacheHint(20, "PRIVATE")),
        ("{ answer product { name } }", CacheHint(60)),
        ("{ answer }", CacheHint(300)),
        # A root leaf with a resolver and no hint.
        ("{ motd }", PUBLIC_0),
        ("{ answer motd }", PUBLIC_0),
        # Abstract types: what each type condition selects.
        ("{ search { ... on Product { name } } }", CacheHint(60)),
        ("{ search { __typename ... on Product { name } } }", CacheHint(60)),
        ("{ search { ... on Product { name } ... on Shop { title } } }", PUBLIC_0),
        ("{ search { ... on Shop { __typename } } }", PUBLIC_0),
        ("{ node { id } }", PUBLIC_0),
        ("{ node { ... on Product { id } } }", CacheHint(60)),
        ("{ node { __typename ... on Product { id } } }", CacheHint(60)),
        (
            "{ node { ... on Product { id author { name } } } }",
            CacheHint(20, "PRIVATE"),
        ),
        # An inline fragment without a type condition stays where it is.
        ("{ product { ... { name } } }", CacheHint(60)),
        ("{ product { ... { price } } }", PUBLIC_0),
        # Nothing restricted: nothing to say.
        ("{ __typename }", PUBLIC_0),
        # Introspection.
        ("{ __schema { queryType { name } } }", PUBLIC_0),
        ('{ answer __type(name: "Product") { name } }', PUBLIC_0),
        # Mutations and subscriptions: never.
        ("mutation { touch { name } }", None),
        ("subscription { products { name } }", None),
    ],
)
def test_policy_of_an_operation(document: str, expected: CacheHint | None) -> None:
    assert policy(document) == expected


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            "{ product { ...P } } fragment P on Product { name author { name } }",
            CacheHint(20, "PRIVATE"),
        ),
        ("{ search { ...P } } fragment P on Product { name }", CacheHint(60)),
        ("{ search { ...P } } fragment P on Product { price }", PUBLIC_0),
        ("{ search { ...S } } fragment S on Shop { title }", PUBLIC_0),
        (
            "{ node { ...N } } fragment N on Node { ... on Product { name } }",
            CacheHint(60),
        ),
        (
            "{ node { ...N } } fragment N on Node { id ... on Product { name } }",
            PUBLIC_0,
        ),
        (
            "{ product { ...A ...B } } "
            "fragment A on Product { name ...B } fragment B on Product { stock }",
            CacheHint(5),
        ),
    ],
)
def test_fragment_spreads_are_expanded(
    document: str, expected: CacheHint | None
) -> None:
    assert policy(document) == expected


def test_the_named_operation_is_the_one_walked() -> None:
    document = (
        "query A { product { name } } query B { motd } mutation C { touch { id } }"
    )
    assert policy(document, "A") == CacheHint(60)
    assert policy(document, "B") == PUBLIC_0
    assert policy(document, "C") is None
    assert policy(document, "Missing") is None


def test_the_header_says_the_policy_and_is_remembered() -> None:
    schema = make_schema()
    cache = schema.cache_policy
    public = "{ product { name } }"
    assert cache.header(public, None) == "public, max-age=60"
    assert cache.header("{ product { author { name } } }", None) == (
        "private, max-age=20"
    )
    assert cache.header("{ motd }", None) == "no-store"
    assert cache.header("mutation { touch { name } }", None) == "no-store"
    assert cache.header("query Q { product { name } }", "Q") == "public, max-age=60"
    # Remembered per text and operation name: the walk runs once.
    walks: list[object] = []
    original = cache.of_operation

    def counting(*args: object, **kwargs: object) -> CacheHint | None:
        walks.append(args)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    cache.of_operation = counting  # type: ignore[method-assign]
    assert cache.header(public, None) == "public, max-age=60"
    assert cache.header("{ product { id } }", None) == "public, max-age=60"
    assert cache.header("{ product { id } }", None) == "public, max-age=60"
    assert len(walks) == 1


def test_no_hints_caches_nothing() -> None:
    schema = make_schema({})
    assert schema.cache_policy.header("{ product { name } }", None) == "no-store"
    assert schema.cache_policy.header("{ answer }", None) == "no-store"


@pytest.mark.parametrize(
    "key",
    [
        "Prodct",  # no such type
        "Product.nme",  # no such field
        "Product.author_name",  # not a GraphQL name
        "Query.featured_product",
        "SearchResult",  # a union: hints go on object types
        "Node",  # an interface
        "String",  # a scalar
        "__Schema",
        "Product.",
    ],
)
def test_a_hint_naming_nothing_of_the_schema_raises(key: str) -> None:
    with pytest.raises(InvalidCacheHint, match="cache hint"):
        make_schema({key: CacheHint(30)})


def test_a_malformed_hint_raises() -> None:
    with pytest.raises(InvalidCacheHint):
        CacheHint(max_age=-1)
    with pytest.raises(InvalidCacheHint):
        CacheHint(max_age=30, scope="public")  # type: ignore[arg-type]
    with pytest.raises(InvalidCacheHint):
        make_schema({"Product": 30})  # type: ignore[dict-item]
