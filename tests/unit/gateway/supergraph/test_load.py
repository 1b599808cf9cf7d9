"""load_supergraph decodes the join metadata of a supergraph."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.supergraph import (
    SubgraphInfo,
    Supergraph,
    SupergraphError,
    load_supergraph,
)

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "supergraphs"

PREAMBLE_V01 = """
schema
  @core(feature: "https://specs.apollo.dev/core/v0.2")
  @core(feature: "https://specs.apollo.dev/join/v0.1", for: EXECUTION)
{ query: Query }
directive @core(feature: String!, as: String, for: core__Purpose) repeatable on SCHEMA
directive @join__field(graph: join__Graph, requires: join__FieldSet,
  provides: join__FieldSet) on FIELD_DEFINITION
directive @join__type(graph: join__Graph!, key: join__FieldSet) repeatable on OBJECT
  | INTERFACE
directive @join__owner(graph: join__Graph!) on OBJECT | INTERFACE
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
enum core__Purpose { EXECUTION SECURITY }
scalar join__FieldSet
enum join__Graph {
  A @join__graph(name: "a", url: "http://a")
  B @join__graph(name: "b", url: "http://b")
}
"""


def test_subgraphs_are_keyed_by_their_join_graph_name(shop: Supergraph) -> None:
    assert list(shop.subgraphs) == ["accounts", "inventory", "products", "reviews"]
    assert shop.subgraphs["reviews"] == SubgraphInfo(
        name="reviews", url="http://reviews:4004/graphql", enum_value="REVIEWS"
    )
    assert shop.join_version == "0.3"
    assert shop.federation_version == 2


def test_type_keys_name_their_graph_and_field_set(shop: Supergraph) -> None:
    product = shop.type("Product")
    assert product.graphs == ("inventory", "products", "reviews")
    assert [(k.graph, k.fields, k.resolvable) for k in product.keys] == [
        ("inventory", "upc", True),
        ("products", "upc", True),
        ("reviews", "upc", True),
    ]


def test_unannotated_field_is_resolved_by_every_graph_of_its_type(
    shop: Supergraph,
) -> None:
    assert shop.resolving_graphs("Product", "upc") == (
        "inventory",
        "products",
        "reviews",
    )


def test_external_fields_are_not_resolved_by_their_external_graph(
    shop: Supergraph,
) -> None:
    assert shop.resolving_graphs("Product", "weight") == ("products",)
    source = shop.field("Product", "weight").source("inventory")  # type: ignore[union-attr]
    assert source is not None
    assert source.external


def test_requires_and_provides_are_parsed_to_selection_sets(shop: Supergraph) -> None:
    estimate = shop.field("Product", "shippingEstimate")
    assert estimate is not None
    source = estimate.source("inventory")
    assert source is not None
    assert source.requires == "price weight"
    assert source.requires_selection_set is not None
    names = [s.name.value for s in source.requires_selection_set.selections]  # type: ignore[attr-defined]
    assert names == ["price", "weight"]
    author = shop.field("Review", "author")
    assert author is not None
    assert author.sources[0].provides == "username"


def test_progressive_override_follows_the_enabled_labels(media: Supergraph) -> None:
    assert media.resolving_graphs("Book", "price") == ("catalog",)
    enabled = frozenset({"percent(25)"})
    assert media.resolving_graphs("Book", "price", enabled) == ("pricing",)


def test_used_overridden_graph_does_not_resolve_the_field(media: Supergraph) -> None:
    assert media.resolving_graphs("Book", "currency") == ("pricing",)


def test_field_reached_only_through_interface_object_has_no_source(
    media: Supergraph,
) -> None:
    assert media.resolving_graphs("Book", "stars") == ()
    assert media.resolving_graphs("Media", "stars") == ("ratings",)


def test_interface_object_keys_are_flagged(media: Supergraph) -> None:
    media_type = media.type("Media")
    assert media_type.is_interface_object_in("ratings")
    assert not media_type.is_interface_object_in("catalog")


def test_possible_types_can_be_limited_to_one_graph(media: Supergraph) -> None:
    assert media.possible_types("Media") == ("Book", "Movie")
    assert media.possible_types("SearchResult") == ("Book", "Movie", "Song")
    assert media.possible_types("SearchResult", "ratings") == ()
    assert media.possible_types("SearchResult", "catalog") == ("Book", "Movie", "Song")
    assert media.possible_types("Media", "pricing") == ()


def test_enum_values_list_their_graphs(media: Supergraph) -> None:
    assert media.type("Genre").enum_values == {
        "DRAMA": ("catalog",),
        "LEGACY": ("catalog",),
    }


def test_renamed_join_prefix_is_followed() -> None:
    sdl = """
    schema @link(url: "https://specs.apollo.dev/link/v1.0")
      @link(url: "https://specs.apollo.dev/join/v0.3", as: "j") { query: Query }
    directive @link(url: String, as: String, for: link__Purpose,
      import: [link__Import]) repeatable on SCHEMA
    directive @j__graph(name: String!, url: String!) on ENUM_VALUE
    directive @j__type(graph: j__Graph!, key: j__FieldSet) repeatable on OBJECT
    directive @j__field(graph: j__Graph) repeatable on FIELD_DEFINITION
    scalar j__FieldSet
    scalar link__Import
    enum link__Purpose { SECURITY EXECUTION }
    enum j__Graph { ONE @j__graph(name: "one", url: "http://one") }
    type Query @j__type(graph: ONE) { hello: String @j__field(graph: ONE) }
    """
    supergraph = load_supergraph(sdl)
    assert supergraph.resolving_graphs("Query", "hello") == ("one",)
    assert "j__Graph" not in supergraph.api_schema.type_map


def test_federation_one_supergraph_uses_type_owners() -> None:
    sdl = (
        PREAMBLE_V01
        + """
    type Query { t: T @join__field(graph: A) }
    type T @join__owner(graph: A) @join__type(graph: A, key: "id")
      @join__type(graph: B, key: "id") {
      id: ID!
      name: String
      extra: Int @join__field(graph: B, requires: "name")
    }
    """
    )
    supergraph = load_supergraph(sdl)
    assert supergraph.join_version == "0.1"
    assert supergraph.federation_version == 1
    assert supergraph.resolving_graphs("T", "name") == ("a",)
    assert supergraph.resolving_graphs("T", "id") == ("a", "b")
    assert supergraph.resolving_graphs("T", "extra") == ("b",)
    assert "join__owner" not in {d.name for d in supergraph.api_schema.directives}


def test_plain_schema_is_rejected_as_not_a_supergraph() -> None:
    with pytest.raises(SupergraphError, match="links no join spec"):
        load_supergraph("type Query { hello: String }")


def test_text_that_is_not_graphql_is_rejected() -> None:
    with pytest.raises(SupergraphError, match="not valid GraphQL SDL"):
        load_supergraph("this is { not graphql")


def test_unknown_graph_reference_is_rejected() -> None:
    sdl = PREAMBLE_V01 + "type Query { t: Int @join__field(graph: C) }"
    with pytest.raises(SupergraphError, match="unknown graph 'C'"):
        load_supergraph(sdl)


def test_progressive_override_label_wins_over_used_overridden() -> None:
    from pathlib import Path

    fixture = (
        Path(__file__).resolve().parents[3]
        / "fixtures/composition/override_progressive_used/supergraph.graphql"
    )
    supergraph = load_supergraph(fixture.read_text())
    assert supergraph.resolving_graphs("User", "email") == ("accounts",)
    enabled = frozenset({"beta-email"})
    assert supergraph.resolving_graphs("User", "email", enabled) == ("profiles",)


def test_context_arguments_and_contexts_are_read() -> None:
    sdl = (FIXTURES / "audit_context.graphql").read_text()
    supergraph = load_supergraph(sdl)
    assert supergraph.types["T"].contexts == ("a__context",)
    (source,) = supergraph.field("U", "field").sources  # type: ignore[union-attr]
    (argument,) = source.context_arguments
    assert (argument.name, argument.type, argument.context) == (
        "a",
        "String",
        "a__context",
    )
    assert argument.selection.strip() == "prop"
