"""Read a supergraph SDL into a `Supergraph` (join spec v0.1 to v0.5, link v1.0).

The document is parsed once; the supergraph schema, the API schema and the join
metadata are all built here, so nothing downstream parses SDL again.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from graphql import (
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    FieldDefinitionNode,
    FieldNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InputValueDefinitionNode,
    OperationDefinitionNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    build_ast_schema,
    parse,
)

from ._features import directive_arguments, linked_features
from .api_schema import build_api_schema
from .errors import SupergraphError
from .model import (
    ContextArgument,
    EntityKey,
    FieldSource,
    JoinField,
    JoinType,
    SubgraphInfo,
    Supergraph,
)

if TYPE_CHECKING:
    from graphql import DocumentNode, SelectionSetNode

    from ._features import LinkedFeature

__all__ = ["load_supergraph", "parse_field_set"]

_TYPE_KINDS = {
    "object_type_definition": "OBJECT",
    "interface_type_definition": "INTERFACE",
    "union_type_definition": "UNION",
    "enum_type_definition": "ENUM",
    "input_object_type_definition": "INPUT_OBJECT",
    "scalar_type_definition": "SCALAR",
}
_EXTENSIONS = {k.replace("definition", "extension"): v for k, v in _TYPE_KINDS.items()}


def load_supergraph(sdl: str) -> Supergraph:
    """Parse `sdl` and decode its join metadata.

    Raises SupergraphError when the text is not GraphQL SDL, links no join spec, has
    no `join__Graph` enum, or references a graph the enum does not declare.
    """
    try:
        document = parse(sdl)
    except GraphQLError as error:
        raise SupergraphError(f"not valid GraphQL SDL: {error.message}") from error
    features = linked_features(document)
    join = next((f for f in features if f.is_apollo_spec and f.name == "join"), None)
    if join is None:
        raise SupergraphError("the schema links no join spec (@link or @core)")
    try:
        schema = build_ast_schema(document, assume_valid_sdl=True)
        api_schema = build_api_schema(document, features)
    except (GraphQLError, TypeError) as error:
        raise SupergraphError(f"cannot build the schema: {error}") from error
    graphs = _graphs(document, join)
    context = next(
        (f for f in features if f.is_apollo_spec and f.name == "context"), None
    )
    types = _types(document, join, graphs, context)
    if join.version == "0.1":
        types = _federation1_membership(types, schema)
    federation = 2 if any(f.name == "link" for f in features) else 1
    return Supergraph(
        sdl=sdl,
        schema=schema,
        api_schema=api_schema,
        subgraphs={info.name: info for info in graphs.values()},
        types=types,
        join_version=join.version,
        federation_version=federation,
    )


def parse_field_set(field_set: str) -> SelectionSetNode:
    """Parse a join__FieldSet (`"id organization { id }"`) into a selection set."""
    try:
        document = parse("{" + field_set + "}", no_location=True)
    except GraphQLError as error:
        raise SupergraphError(
            f"bad field set {field_set!r}: {error.message}"
        ) from error
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)  # "{...}" parses to one
    return operation.selection_set


def _graphs(document: DocumentNode, join: LinkedFeature) -> dict[str, SubgraphInfo]:
    enum_name = f"{join.prefix}__Graph"
    graph_directive = join.directive_name("graph")
    found: dict[str, SubgraphInfo] = {}
    for definition in document.definitions:
        if not isinstance(definition, EnumTypeDefinitionNode | EnumTypeExtensionNode):
            continue
        if definition.name.value != enum_name:
            continue
        for value in definition.values or ():
            for directive in value.directives or ():
                if directive.name.value != graph_directive:
                    continue
                args = directive_arguments(directive)
                name, url = args.get("name"), args.get("url")
                if not isinstance(name, str):
                    raise SupergraphError(f"{enum_name}.{value.name.value} has no name")
                found[value.name.value] = SubgraphInfo(
                    name=name,
                    url=url if isinstance(url, str) else "",
                    enum_value=value.name.value,
                )
    if not found:
        raise SupergraphError(f"no {enum_name} enum with @{graph_directive} values")
    return found


def _types(
    document: DocumentNode,
    join: LinkedFeature,
    graphs: dict[str, SubgraphInfo],
    context: LinkedFeature | None = None,
) -> dict[str, JoinType]:
    names = {e: join.directive_name(e) for e in _JOIN_ELEMENTS}
    # `@context(name:)` on types (context spec v0.1, join v0.5).
    names["context"] = context.directive_name("context") if context else ""
    nodes: dict[str, list[TypeDefinitionNode | TypeExtensionNode]] = {}
    kinds: dict[str, str] = {}
    for definition in document.definitions:
        if not isinstance(definition, TypeDefinitionNode | TypeExtensionNode):
            continue
        kind = _TYPE_KINDS.get(definition.kind) or _EXTENSIONS[definition.kind]
        name = definition.name.value
        if join.owns_type(name) or name.startswith(("link__", "core__")):
            continue
        kinds[name] = kind
        nodes.setdefault(name, []).append(definition)
    every_graph = tuple(info.name for info in graphs.values())
    return {
        name: _join_type(name, kinds[name], defs, names, graphs, every_graph)
        for name, defs in nodes.items()
    }


_JOIN_ELEMENTS = (
    "type",
    "field",
    "owner",
    "implements",
    "unionMember",
    "enumValue",
)


def _graph(value: object, graphs: dict[str, SubgraphInfo], where: str) -> str:
    info = graphs.get(value) if isinstance(value, str) else None
    if info is None:
        raise SupergraphError(f"{where} references unknown graph {value!r}")
    return info.name


def _join_type(
    name: str,
    kind: str,
    definitions: list[TypeDefinitionNode | TypeExtensionNode],
    names: dict[str, str],
    graphs: dict[str, SubgraphInfo],
    every_graph: tuple[str, ...],
) -> JoinType:
    type_graphs: dict[str, None] = {}
    keys: list[EntityKey] = []
    implements: dict[str, list[str]] = {}
    members: dict[str, list[str]] = {}
    owner: str | None = None
    field_nodes: list[FieldDefinitionNode | InputValueDefinitionNode] = []
    enum_values: dict[str, tuple[str, ...]] = {}
    contexts: list[str] = []
    for definition in definitions:
        for directive in definition.directives or ():
            directive_name = directive.name.value
            args = directive_arguments(directive)
            where = f"@{directive_name} on {name}"
            if directive_name == names["type"]:
                if args.get("graph") is None:
                    continue
                graph = _graph(args.get("graph"), graphs, where)
                type_graphs[graph] = None
                key = args.get("key")
                if isinstance(key, str):
                    keys.append(
                        EntityKey(
                            graph=graph,
                            fields=key,
                            selection_set=parse_field_set(key),
                            resolvable=args.get("resolvable", True) is not False,
                            extension=args.get("extension") is True,
                            is_interface_object=args.get("isInterfaceObject") is True,
                        )
                    )
            elif directive_name == names["owner"]:
                owner = _graph(args.get("graph"), graphs, where)
                type_graphs[owner] = None
            elif directive_name == names["implements"]:
                graph = _graph(args.get("graph"), graphs, where)
                implements.setdefault(graph, []).append(str(args.get("interface")))
            elif directive_name == names["unionMember"]:
                graph = _graph(args.get("graph"), graphs, where)
                members.setdefault(graph, []).append(str(args.get("member")))
            elif directive_name == names["context"] and names["context"]:
                contexts.append(str(args.get("name")))
        field_nodes += getattr(definition, "fields", None) or ()
        for value in getattr(definition, "values", None) or ():
            in_graphs = tuple(
                _graph(directive_arguments(d).get("graph"), graphs, f"{name}.{value}")
                for d in value.directives or ()
                if d.name.value == names["enumValue"]
            )
            enum_values[value.name.value] = in_graphs
    defined_in = tuple(type_graphs) or every_graph
    fields = {
        node.name.value: _join_field(name, node, names, graphs, defined_in, owner, keys)
        for node in field_nodes
    }
    return JoinType(
        name=name,
        kind=kind,
        graphs=defined_in,
        keys=tuple(keys),
        implements={g: tuple(i) for g, i in implements.items()},
        union_members={g: tuple(m) for g, m in members.items()},
        enum_values=enum_values,
        fields=fields,
        contexts=tuple(contexts),
    )


def _join_field(
    parent: str,
    node: FieldDefinitionNode | InputValueDefinitionNode,
    names: dict[str, str],
    graphs: dict[str, SubgraphInfo],
    defined_in: tuple[str, ...],
    owner: str | None,
    keys: list[EntityKey],
) -> JoinField:
    name = node.name.value
    applications = [
        directive_arguments(d)
        for d in node.directives or ()
        if d.name.value == names["field"]
    ]
    sources: list[FieldSource] = []
    for args in applications:
        if args.get("graph") is None:
            # A field no graph resolves directly (reached via @interfaceObject).
            continue
        requires, provides = args.get("requires"), args.get("provides")
        field_type = args.get("type")
        override, label = args.get("override"), args.get("overrideLabel")
        sources.append(
            FieldSource(
                graph=_graph(args.get("graph"), graphs, f"{parent}.{name}"),
                requires=requires if isinstance(requires, str) else None,
                provides=provides if isinstance(provides, str) else None,
                type=field_type if isinstance(field_type, str) else None,
                external=args.get("external") is True,
                override=override if isinstance(override, str) else None,
                override_label=label if isinstance(label, str) else None,
                used_overridden=args.get("usedOverridden") is True,
                requires_selection_set=parse_field_set(requires)
                if isinstance(requires, str)
                else None,
                provides_selection_set=parse_field_set(provides)
                if isinstance(provides, str)
                else None,
                context_arguments=_context_arguments(args.get("contextArguments")),
            )
        )
    if not applications:
        # Federation 1: unannotated fields belong to the owner, and key fields are
        # also known to every graph that declares a key on the type.
        if owner is not None:
            in_graphs = [owner] + [
                k.graph for k in keys if k.graph != owner and _in_key(name, k)
            ]
            sources = [FieldSource(graph=g) for g in dict.fromkeys(in_graphs)]
        else:
            sources = [FieldSource(graph=g) for g in defined_in]
    return JoinField(parent=parent, name=name, sources=tuple(sources))


def _context_arguments(value: object) -> tuple[ContextArgument, ...]:
    if not isinstance(value, list):
        return ()
    found: list[ContextArgument] = []
    for entry in value:
        if not isinstance(entry, dict):
            continue
        selection = str(entry.get("selection", "")).strip()
        # The reference composer writes the selection with its braces (" { prop }").
        if selection.startswith("{") and selection.endswith("}"):
            selection = selection[1:-1]
        found.append(
            ContextArgument(
                name=str(entry.get("name")),
                type=str(entry.get("type")),
                context=str(entry.get("context")),
                selection=selection,
                selection_set=parse_field_set(selection),
            )
        )
    return tuple(found)


def _in_key(field_name: str, key: EntityKey) -> bool:
    return any(
        isinstance(s, FieldNode) and s.name.value == field_name
        for s in key.selection_set.selections
    )


def _federation1_membership(
    types: dict[str, JoinType], schema: GraphQLSchema
) -> dict[str, JoinType]:
    """Join v0.1 has no join__implements / join__unionMember: derive them per graph
    from the schema (a graph knows a membership when it defines the member type)."""
    result = dict(types)
    for name, join_type in types.items():
        graphql_type = schema.type_map.get(name)
        if isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType):
            result[name] = replace(
                join_type,
                implements={
                    g: tuple(i.name for i in graphql_type.interfaces)
                    for g in join_type.graphs
                },
            )
        elif isinstance(graphql_type, GraphQLUnionType):
            result[name] = replace(
                join_type,
                union_members={
                    g: tuple(
                        t.name
                        for t in graphql_type.types
                        if g in types.get(t.name, join_type).graphs
                    )
                    for g in join_type.graphs
                },
            )
    return result
