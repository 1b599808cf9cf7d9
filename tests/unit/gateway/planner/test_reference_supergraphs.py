"""Plans for supergraphs composed by Apollo's reference composer are sound.

For every reference composition in tests/fixtures/composition/, a query selecting
every field of every root query field (three levels deep, every union member) is
planned, and each fetch of the plan must be a valid operation for the subgraph it is
sent to (its SDL from the same fixture, with the federation `_entities` field added).
"""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING

import pytest
from graphql import (
    DocumentNode,
    GraphQLNonNull,
    GraphQLSchema,
    GraphQLUnionType,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    build_ast_schema,
    get_named_type,
    is_leaf_type,
    parse,
    validate,
)

from gateway.errors import PlanningError
from gateway.planner import FetchNode, QueryPlan, plan_operation
from gateway.supergraph import load_supergraph

from .conftest import FIXTURES

if TYPE_CHECKING:
    from graphql import GraphQLOutputType

    from gateway.planner import PlanNode

COMPOSED = sorted(
    p.parent.name for p in (FIXTURES / "composition").glob("*/supergraph.graphql")
)
# Root fields whose every-field query no gateway can plan, by design of the fixture
# (the audit expects `data: null` with an error): the planner must refuse them.
_UNPLANNABLE = {
    ("non_resolvable_interface_object", "a"): "Cannot plan field 'Node.field'",
    # The concrete `__typename` of an @interfaceObject's objects: no subgraph
    # defining the interface has an implementation to answer it.
    ("non_resolvable_interface_object", "b"): "No subgraph defines interface 'Node'",
}


def _selection(output: GraphQLOutputType, depth: int) -> str:
    named = get_named_type(output)
    if is_leaf_type(named):
        return ""
    parts = ["__typename"]
    if isinstance(named, GraphQLUnionType):
        parts += [f"... on {m.name} {_selection(m, depth)}" for m in named.types]
    elif depth > 0:
        for name, field in named.fields.items():  # type: ignore[union-attr]
            if any(isinstance(a.type, GraphQLNonNull) for a in field.args.values()):
                continue
            parts.append(f"{name} {_selection(field.type, depth - 1)}")
    return "{ " + " ".join(parts) + " }"


def _queries(schema: GraphQLSchema) -> list[tuple[str, str]]:
    """(root field, a query selecting it and every field below, three deep)."""
    assert schema.query_type is not None
    queries = []
    for name, field in schema.query_type.fields.items():
        arguments = ", ".join(
            f'{arg}: "1"' if "Int" not in str(value.type) else f"{arg}: 1"
            for arg, value in field.args.items()
            if isinstance(value.type, GraphQLNonNull)
        )
        call = f"{name}({arguments})" if arguments else name
        queries.append((name, f"{{ {call} {_selection(field.type, 3)} }}"))
    return queries


@cache
def _subgraph_schema(fixture: str, subgraph: str) -> GraphQLSchema:
    manifest = json.loads(
        (FIXTURES / "composition" / fixture / "manifest.json").read_text()
    )
    entry = next(s for s in manifest["subgraphs"] if s["name"] == subgraph)
    document = parse((FIXTURES / "composition" / fixture / entry["file"]).read_text())
    return build_ast_schema(_with_entities(document), assume_valid_sdl=True)


def _with_entities(document: DocumentNode) -> DocumentNode:
    """The subgraph SDL as its server would serve it: extensions of undefined types
    become definitions, and `Query._entities` returns every resolvable entity."""
    defined = {
        d.name.value
        for d in document.definitions
        if isinstance(d, ObjectTypeDefinitionNode)
    }
    definitions = []
    entities: list[str] = []
    for definition in document.definitions:
        if (
            isinstance(definition, ObjectTypeExtensionNode)
            and definition.name.value not in defined
        ):
            definition = ObjectTypeDefinitionNode(
                name=definition.name,
                interfaces=definition.interfaces,
                directives=definition.directives,
                fields=definition.fields,
            )
            defined.add(definition.name.value)
        if isinstance(definition, ObjectTypeDefinitionNode | ObjectTypeExtensionNode):
            keys = [d for d in definition.directives or () if d.name.value == "key"]
            resolvable = any(
                not any(
                    a.name.value == "resolvable"
                    and getattr(a.value, "value", True) is False
                    for a in key.arguments or ()
                )
                for key in keys
            )
            if resolvable and definition.name.value not in entities:
                entities.append(definition.name.value)
        definitions.append(definition)
    extra = "scalar _Any\n"
    if entities:
        extra += f"union _Entity = {' | '.join(entities)}\n"
        verb = "extend type" if "Query" in defined else "type"
        extra += (
            f"{verb} Query {{ _entities(representations: [_Any!]!): [_Entity]! }}\n"
        )
    return DocumentNode(definitions=(*definitions, *parse(extra).definitions))


def _fetches(node: PlanNode | None) -> list[FetchNode]:
    if node is None:
        return []
    if isinstance(node, FetchNode):
        return [node]
    found: list[FetchNode] = []
    for attr in ("node", "nodes", "if_clause", "else_clause", "primary", "rest"):
        value = getattr(node, attr, None)
        for child in value if isinstance(value, tuple) else (value,):
            found += _fetches(child)
    return found


@pytest.mark.parametrize("fixture", COMPOSED)
def test_every_fetch_is_valid_for_its_subgraph(fixture: str) -> None:
    # Read the composition itself: conftest's supergraph() prefers a hand-written
    # fixture of the same name, whose subgraphs are not this fixture's.
    graph = load_supergraph(
        (FIXTURES / "composition" / fixture / "supergraph.graphql").read_text()
    )
    planned = 0
    for root, query in _queries(graph.api_schema):
        document = parse(query)
        assert validate(graph.api_schema, document) == []
        refusal = _UNPLANNABLE.get((fixture, root))
        if refusal is not None:
            with pytest.raises(PlanningError, match=refusal):
                plan_operation(graph, document)
            continue
        plan = plan_operation(graph, document)
        assert isinstance(plan, QueryPlan)
        for fetch in _fetches(plan.node):
            schema = _subgraph_schema(fixture, fetch.service_name)
            errors = validate(schema, parse(fetch.operation))
            assert errors == [], (query, fetch.service_name, fetch.operation, errors)
            planned += 1
    assert planned > 0
