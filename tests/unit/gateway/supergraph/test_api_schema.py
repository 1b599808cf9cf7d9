"""The API schema hides federation machinery and @inaccessible elements."""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphql import (
    ExecutionResult,
    experimental_execute_incrementally,
    get_introspection_query,
    parse,
    validate,
)

if TYPE_CHECKING:
    from gateway.supergraph import Supergraph


def test_join_and_link_machinery_is_not_in_the_api_schema(shop: Supergraph) -> None:
    names = set(shop.api_schema.type_map)
    assert not {n for n in names if n.startswith(("join__", "link__"))}
    directives = {d.name for d in shop.api_schema.directives}
    assert directives - {"oneOf"} == {
        "include",
        "skip",
        "deprecated",
        "specifiedBy",
        "defer",
    }


def test_the_api_schema_declares_defer_as_the_incremental_delivery_rfc_does(
    shop: Supergraph,
) -> None:
    defer = shop.api_schema.get_directive("defer")
    assert defer is not None
    assert {name: str(a.type) for name, a in defer.args.items()} == {
        "if": "Boolean!",
        "label": "String",
    }
    assert {str(location.name) for location in defer.locations} == {
        "FRAGMENT_SPREAD",
        "INLINE_FRAGMENT",
    }


def test_supergraph_schema_keeps_the_machinery(shop: Supergraph) -> None:
    assert "join__Graph" in shop.schema.type_map
    assert shop.schema.get_directive("join__field") is not None


def test_inaccessible_fields_and_enum_values_are_hidden(
    shop: Supergraph, media: Supergraph
) -> None:
    product = shop.api_schema.get_type("Product")
    assert "secretCost" not in product.fields  # type: ignore[union-attr]
    assert "birthDate" not in shop.api_schema.get_type("User").fields  # type: ignore[union-attr]
    assert list(media.api_schema.get_type("Genre").values) == ["DRAMA"]  # type: ignore[union-attr]


def test_inaccessible_field_fails_validation(shop: Supergraph) -> None:
    errors = validate(shop.api_schema, parse("{ topProducts { secretCost } }"))
    assert [e.message for e in errors] == [
        "Cannot query field 'secretCost' on type 'Product'."
    ]


def test_introspection_runs_on_the_api_schema(shop: Supergraph) -> None:
    # graphql-core runs a schema declaring @defer through its incremental entry.
    result = experimental_execute_incrementally(
        shop.api_schema, parse(get_introspection_query())
    )
    assert isinstance(result, ExecutionResult)
    assert result.errors is None
    assert result.data is not None
    types = {t["name"] for t in result.data["__schema"]["types"]}
    assert {"Product", "Review", "User"} <= types
    assert "join__Graph" not in types


def test_inaccessible_union_member_and_type_are_removed() -> None:
    from gateway.supergraph import load_supergraph

    sdl = """
    schema @link(url: "https://specs.apollo.dev/link/v1.0")
      @link(url: "https://specs.apollo.dev/join/v0.3")
      @link(url: "https://specs.apollo.dev/inaccessible/v0.2") { query: Query }
    directive @link(url: String, as: String, for: link__Purpose,
      import: [link__Import]) repeatable on SCHEMA
    directive @inaccessible on OBJECT | FIELD_DEFINITION | INTERFACE | UNION
    directive @join__graph(name: String!, url: String!) on ENUM_VALUE
    directive @join__type(graph: join__Graph!, key: join__FieldSet) repeatable
      on OBJECT | INTERFACE | UNION
    scalar join__FieldSet
    scalar link__Import
    enum link__Purpose { SECURITY EXECUTION }
    enum join__Graph { ONE @join__graph(name: "one", url: "http://one") }
    interface Node @join__type(graph: ONE) { id: ID! }
    type Secret implements Node @join__type(graph: ONE) @inaccessible { id: ID! }
    type Open implements Node @join__type(graph: ONE) { id: ID! }
    union Anything @join__type(graph: ONE) = Secret | Open
    type Query @join__type(graph: ONE) { anything: Anything node: Node }
    """
    api = load_supergraph(sdl).api_schema
    assert "Secret" not in api.type_map
    assert [t.name for t in api.get_type("Anything").types] == ["Open"]  # type: ignore[union-attr]
