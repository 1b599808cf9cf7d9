"""Merge rules that are easiest to state on their own: graph names, DNF, subtyping."""

from __future__ import annotations

from graphql import parse

from gateway.compose import SubgraphDefinition, compose
from gateway.compose._directives import dnf_conjunction
from gateway.compose._wording import did_you_mean, graph_enum_names, subgraph_names


def test_graph_enum_values_are_upper_case_words_and_stay_unique() -> None:
    assert graph_enum_names(["accounts", "my-chat", "my_chat", "3d"]) == {
        "accounts": "ACCOUNTS",
        "my-chat": "MY_CHAT",
        "my_chat": "MY_CHAT_1",
        "3d": "_3D",
    }


def test_subgraph_lists_read_as_english() -> None:
    assert subgraph_names(["a"]) == 'subgraph "a"'
    assert subgraph_names(["a", "b", "c"]) == 'subgraphs "a", "b" and "c"'


def test_scopes_from_two_subgraphs_are_and_ed_in_disjunctive_normal_form() -> None:
    merged = dnf_conjunction([[["read:users"], ["admin"]], [["read:users", "tenant"]]])
    # (read:users AND tenant) implies it with admin added, so that alternative goes.
    assert merged == [["read:users", "tenant"]]


def test_a_subsumed_alternative_is_dropped() -> None:
    assert dnf_conjunction([[["a"]], [["a"], ["b"]]]) == [["a"]]


SDL = """
extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@shareable"])
type Query { node: Node @shareable }
interface Node { id: ID! }
type Thing implements Node @shareable { id: ID! }
"""


def test_an_output_field_merges_to_the_interface_an_object_implements() -> None:
    other = SDL.replace("node: Node", "node: Thing")
    result = compose(
        [
            SubgraphDefinition("a", "http://a", SDL),
            SubgraphDefinition("b", "http://b", other),
        ]
    )
    assert result.errors == ()
    assert result.supergraph_sdl is not None
    parse(result.supergraph_sdl)
    assert 'node: Node @join__field(graph: A, type: "Node")' in result.supergraph_sdl
    assert [h.code for h in result.hints] == ["INCONSISTENT_BUT_COMPATIBLE_FIELD_TYPE"]


def test_unparsable_sdl_is_invalid_graphql_for_that_subgraph() -> None:
    result = compose([SubgraphDefinition("a", "http://a", "type Query { me: }")])
    assert [(e.code, e.subgraphs) for e in result.errors] == [
        ("INVALID_GRAPHQL", ("a",))
    ]
    assert result.errors[0].message.startswith("[a] Syntax Error")


def test_two_subgraphs_with_one_name_are_rejected() -> None:
    twice = [SubgraphDefinition("a", "http://a", SDL)] * 2
    assert [e.code for e in compose(twice).errors] == ["INVALID_SUBGRAPH_NAME"]


def test_did_you_mean_suggests_close_subgraph_names_only() -> None:
    names = ["account", "accounts", "chat"]
    assert did_you_mean("acount", names) == ' Did you mean "account" or "accounts"?'
    assert did_you_mean("legacy", names) == ""
