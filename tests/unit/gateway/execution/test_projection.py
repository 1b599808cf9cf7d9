"""Projection shapes merged JSON to the client's operation (spec 6.3 and 6.4)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphql import OperationDefinitionNode, build_schema, parse

from gateway.execution import Projection

if TYPE_CHECKING:
    from gateway.types import JSONObject

SCHEMA = build_schema(
    """
    type Query {
      node: Node, nodes: [Node], matrix: [[Int!]]!, search: [Result!], mood: Mood
    }
    enum Mood { HAPPY SAD }
    interface Node { id: ID! }
    type User implements Node { id: ID!, name: String, friends: [User!] }
    type Post implements Node { id: ID!, title: String!, author: User }
    union Result = User | Post
    """
)


def project(
    query: str, data: JSONObject | None, variables: dict[str, Any] | None = None
) -> tuple[JSONObject | None, list[JSONObject]]:
    document = parse(query)
    operation = next(
        d for d in document.definitions if isinstance(d, OperationDefinitionNode)
    )
    errors: list[JSONObject] = []
    result = Projection(SCHEMA, document, operation).project(
        data, variables or {}, errors
    )
    return result, errors


def test_same_response_key_in_two_fragments_merges_subselections() -> None:
    data = {
        "node": {
            "__typename": "User",
            "id": "1",
            "friends": [{"id": "2", "name": "Bo", "extra": True}],
        }
    }
    result, errors = project(
        "{ node { ... on User { friends { id } } ... on Node { ... on User "
        "{ friends { name } } } } }",
        data,
    )
    assert result == {"node": {"friends": [{"id": "2", "name": "Bo"}]}}
    assert errors == []


def test_object_of_a_type_outside_the_api_schema_is_null_with_an_error() -> None:
    result, errors = project(
        "{ nodes { id } }",
        {
            "nodes": [
                {"__typename": "Secret", "id": "x"},
                {"__typename": "Post", "id": "p"},
            ]
        },
    )
    assert result == {"nodes": [None, {"id": "p"}]}
    assert errors == [
        {
            "message": "Invalid __typename found for field Query.nodes.",
            "path": ["nodes", 0],
            "extensions": {"code": "INVALID_GRAPHQL"},
        }
    ]


def test_object_without_a_typename_where_one_is_needed_is_null_with_an_error() -> None:
    result, errors = project("{ node { id } }", {"node": {"id": "1"}})
    assert result == {"node": None}
    assert [e["path"] for e in errors] == [["node"]]


def test_value_of_the_wrong_shape_is_null_with_an_error() -> None:
    result, errors = project(
        "{ nodes { id } node { id } }", {"nodes": {"id": "1"}, "node": [1]}
    )
    assert result == {"nodes": None, "node": None}
    assert [e["message"] for e in errors] == [
        "Invalid non-list value found for field Query.nodes.",
        "Invalid non-object value found for field Query.node.",
    ]


def test_object_named_by_its_interface_completes_the_interfaces_fields() -> None:
    # An @interfaceObject subgraph answers the interface's name as `__typename`.
    result, errors = project(
        "{ node { id ... on User { name } } }",
        {"node": {"__typename": "Node", "id": "1"}},
    )
    assert result == {"node": {"id": "1"}}
    assert errors == []


def test_object_of_another_type_of_the_api_schema_keeps_its_common_fields() -> None:
    # Apollo's result shaping: the fragments that do not apply select nothing.
    result, errors = project(
        "{ node { __typename ... on Post { title } } }",
        {"node": {"__typename": "User", "title": "x"}},
    )
    assert result == {"node": {"__typename": "User"}}
    assert errors == []


def test_nested_lists_keep_their_shape_and_propagate_item_nulls() -> None:
    result, errors = project("{ matrix }", {"matrix": [[1, 2], [3, None], []]})
    assert result == {"matrix": [[1, 2], None, []]}
    assert errors == [
        {
            "message": "Cannot return null for non-nullable field Query.matrix.",
            "path": ["matrix", 1, 1],
            "extensions": {"code": "NON_NULLABLE_FIELD_IS_NULL"},
        }
    ]


def test_union_members_by_typename_with_typename_asked_twice() -> None:
    result, _ = project(
        "{ search { t: __typename ... on Post { title __typename } } }",
        {"search": [{"__typename": "Post", "title": "Hi"}, {"__typename": "User"}]},
    )
    assert result == {
        "search": [{"t": "Post", "title": "Hi", "__typename": "Post"}, {"t": "User"}]
    }


def test_missing_data_projects_nullable_fields_as_null() -> None:
    result, errors = project("{ node { id } nodes { id } }", None)
    assert result == {"node": None, "nodes": None}
    assert errors == []


def test_skip_and_include_compile_once_per_variable_values() -> None:
    document = parse("query($a: Boolean!) { node { id @include(if: $a) } }")
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    projection = Projection(SCHEMA, document, operation)
    data = {"node": {"__typename": "User", "id": "1"}}
    assert projection.project(data, {"a": True}, []) == {"node": {"id": "1"}}
    assert projection.project(data, {"a": False}, []) == {"node": {}}
    assert projection.root_group({"a": True}) is projection.root_group({"a": True})
    assert projection.condition_variables == ("a",)


def test_non_object_value_where_an_object_belongs_is_null() -> None:
    result, _ = project("{ node { id } }", {"node": "garbage"})
    assert result == {"node": None}


def test_typename_asked_of_an_object_known_only_by_its_interface_nulls_it() -> None:
    # An @interfaceObject's object whose owner never answered: "Node" is no
    # object type to give as `__typename` (Apollo nulls it too), with an error.
    result, errors = project(
        "{ nodes { __typename id } }", {"nodes": [{"__typename": "Node", "id": "1"}]}
    )
    assert result == {"nodes": [None]}
    assert errors == [
        {
            "message": "Invalid __typename found for field Query.nodes.",
            "path": ["nodes", 0],
            "extensions": {"code": "INVALID_GRAPHQL"},
        }
    ]


def test_enum_value_of_the_wrong_shape_is_null_with_an_error() -> None:
    # A list is no enum value: an error, not an unhashable lookup.
    result, errors = project("{ mood }", {"mood": ["HAPPY"]})
    assert result == {"mood": None}
    assert errors == [
        {
            "message": 'Enum "Mood" cannot represent value: ["HAPPY"]',
            "path": ["mood"],
            "extensions": {"code": "INTERNAL_SERVER_ERROR"},
        }
    ]
    assert project("{ mood }", {"mood": "SAD"}) == ({"mood": "SAD"}, [])


def test_typename_of_the_wrong_shape_is_null_with_an_error() -> None:
    result, errors = project(
        "{ search { __typename } }",
        {"search": [{"__typename": ["User"]}, {"__typename": "Post"}]},
    )
    assert result == {"search": None}
    assert errors == [
        {
            "message": "Invalid __typename found for field Query.search.",
            "path": ["search", 0],
            "extensions": {"code": "INVALID_GRAPHQL"},
        }
    ]
