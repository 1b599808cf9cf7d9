"""Read one subgraph's SDL into the model that composition merges.

Implements the subgraph side of Apollo Federation 2 (https://www.apollographql.com/
docs/graphos/reference/federation/directives): `@link` imports and renames, root types
renamed to Query/Mutation/Subscription, federation 1 subgraphs (no `@link`) read with
the spec names. validate_subgraph.py checks and upgrades what is read here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from graphql import GraphQLError, Source, parse, print_ast
from graphql.language import (
    BooleanValueNode,
    DirectiveDefinitionNode,
    DirectiveNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    FieldDefinitionNode,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    OperationDefinitionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    ValueNode,
)

from ._applications import directive_problems
from ._links import (
    BUILT_IN_DIRECTIVES,
    FederationNames,
    argument_value,
    string_argument,
)
from .codes import ErrorCode, Problem
from .errors import CompositionError
from .type_reference import TypeReference

if TYPE_CHECKING:
    from graphql.language import (
        DocumentNode,
    )

__all__ = [
    "Argument",
    "EnumValue",
    "ExecutableDirective",
    "Field",
    "Key",
    "Subgraph",
    "SubgraphDefinition",
    "TypeDefinition",
    "read_subgraph",
]

# Subgraph directives the supergraph keeps on the element they were applied to.
CARRIED_DIRECTIVES = frozenset(
    {
        "inaccessible",
        "tag",
        "authenticated",
        "requiresScopes",
        "policy",
        "cost",
        "listSize",
    }
)
# Types and fields a federation subgraph adds for the gateway, never merged.
FEDERATION_TYPES = frozenset(
    {
        "_Any",
        "_Entity",
        "_Service",
        "_FieldSet",
        "FieldSet",
        "link__Import",
        "link__Purpose",
        "federation__FieldSet",
        "federation__Scope",
        "federation__Policy",
        "federation__ContextFieldValue",
    }
)
FEDERATION_FIELDS = frozenset({"_service", "_entities"})
ROOT_NAMES = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}

_KINDS: dict[type, str] = {
    ObjectTypeDefinitionNode: "object",
    ObjectTypeExtensionNode: "object",
    InterfaceTypeDefinitionNode: "interface",
    InterfaceTypeExtensionNode: "interface",
    UnionTypeDefinitionNode: "union",
    UnionTypeExtensionNode: "union",
    EnumTypeDefinitionNode: "enum",
    EnumTypeExtensionNode: "enum",
    InputObjectTypeDefinitionNode: "input",
    InputObjectTypeExtensionNode: "input",
    ScalarTypeDefinitionNode: "scalar",
    ScalarTypeExtensionNode: "scalar",
}
_EXTENSIONS = (
    ObjectTypeExtensionNode,
    OperationDefinitionNode,
    InterfaceTypeExtensionNode,
    UnionTypeExtensionNode,
    EnumTypeExtensionNode,
    InputObjectTypeExtensionNode,
    ScalarTypeExtensionNode,
)


@dataclass(frozen=True, slots=True)
class SubgraphDefinition:
    """A subgraph as composition receives it: its name, routing URL and SDL."""

    name: str
    url: str
    sdl: str


@dataclass(slots=True)
class Argument:
    name: str
    type: TypeReference
    default: ValueNode | None
    description: str | None
    directives: list[DirectiveNode]
    node: InputValueDefinitionNode | None = None


@dataclass(frozen=True, slots=True)
class FromContextArgument:
    """An argument whose value @fromContext reads from an ancestor's context."""

    name: str
    type: TypeReference
    field_value: str  # `$context { selection }`, as written
    has_default: bool


@dataclass(slots=True)
class Field:
    name: str
    type: TypeReference
    arguments: dict[str, Argument]
    description: str | None
    directives: list[DirectiveNode]
    external: bool = False
    shareable: bool = False
    requires: str | None = None
    provides: str | None = None
    override_from: str | None = None
    override_label: str | None = None
    default: ValueNode | None = None
    # Arguments set by @fromContext: not part of the supergraph's field but of its
    # join__field `contextArguments`.
    context_arguments: list[FromContextArgument] = field(default_factory=list)
    # The `format:` of each @cacheTag on the field (a root query field).
    cache_tags: list[str] = field(default_factory=list)
    node: FieldDefinitionNode | InputValueDefinitionNode | None = None


@dataclass(frozen=True, slots=True)
class Key:
    fields: str
    resolvable: bool
    extension: bool
    source: str


@dataclass(slots=True)
class EnumValue:
    name: str
    description: str | None
    directives: list[DirectiveNode]


@dataclass(slots=True)
class TypeDefinition:
    name: str
    kind: str
    description: str | None = None
    keys: list[Key] = field(default_factory=list)
    shareable: bool = False
    interface_object: bool = False
    interfaces: list[str] = field(default_factory=list)
    fields: dict[str, Field] = field(default_factory=dict)
    members: list[str] = field(default_factory=list)
    values: dict[str, EnumValue] = field(default_factory=dict)
    directives: list[DirectiveNode] = field(default_factory=list)
    # Names of the @context this type sets (Federation 2.8).
    contexts: list[str] = field(default_factory=list)
    # The `format:` of each @cacheTag on the type (Federation 2.12).
    cache_tags: list[str] = field(default_factory=list)
    # The definition and the extensions that declare the type, in SDL order.
    nodes: list[TypeDefinitionNode | TypeExtensionNode] = field(default_factory=list)


EXECUTABLE_LOCATIONS = frozenset(
    {
        "QUERY",
        "MUTATION",
        "SUBSCRIPTION",
        "FIELD",
        "FRAGMENT_DEFINITION",
        "FRAGMENT_SPREAD",
        "INLINE_FRAGMENT",
        "VARIABLE_DEFINITION",
    }
)


@dataclass(slots=True)
class ExecutableDirective:
    """A directive definition with executable locations (only those are kept)."""

    name: str
    description: str | None
    arguments: dict[str, Argument]
    repeatable: bool
    locations: list[str]


@dataclass(slots=True)
class Subgraph:
    """One subgraph, read: federation directives resolved to their spec names."""

    name: str
    url: str
    # None for a federation 1 subgraph (no @link to the federation spec).
    federation_version: tuple[int, int] | None
    types: dict[str, TypeDefinition]
    root_types: dict[str, str]
    # Custom directives named by @composeDirective: name -> (link URL, definition).
    composed_directives: dict[str, tuple[str | None, DirectiveDefinitionNode]]
    # (type, field) pairs a @key, @requires or @provides of this subgraph selects.
    used_fields: set[tuple[str, str]] = field(default_factory=set)
    # (type, field) pairs some @key selects, at any depth: implicitly shareable.
    key_fields: set[tuple[str, str]] = field(default_factory=set)
    # Directives usable in operations (executable locations), which the supergraph
    # keeps when every subgraph defines them.
    executable_directives: dict[str, ExecutableDirective] = field(default_factory=dict)

    @property
    def is_federation_1(self) -> bool:
        return self.federation_version is None


def _description(node: object) -> str | None:
    description = getattr(node, "description", None)
    return description.value if description is not None else None


def _root_type_problems(
    document: DocumentNode, root_types: dict[str, str]
) -> list[Problem]:
    """A root type under another name while a type has the default name."""
    type_names = {
        node.name.value
        for node in document.definitions
        if isinstance(node, TypeDefinitionNode)
    }
    problems: list[Problem] = []
    for operation, type_name in root_types.items():
        default = ROOT_NAMES.get(operation)
        if default and type_name != default and default in type_names:
            problems.append(
                (
                    ErrorCode[f"ROOT_{operation.upper()}_USED"],
                    f'The schema has a type named "{default}" but it is not set as the'
                    f' {operation} root type ("{type_name}" is instead): this is not'
                    " supported by federation. If a root type does not use its default"
                    " name, there should be no other type with that default name.",
                )
            )
    return problems


def read_subgraph(
    definition: SubgraphDefinition,
) -> tuple[Subgraph | None, list[CompositionError]]:
    """Read a subgraph's SDL: the subgraph (None if unreadable) and its errors."""
    name = definition.name
    try:
        # Named after the subgraph, so error locations say whose SDL they are in.
        document = parse(Source(definition.sdl, name))
    except GraphQLError as error:
        return None, [
            CompositionError(
                ErrorCode.INVALID_GRAPHQL, f"[{name}] {error.message}", (name,)
            )
        ]
    schema_directives: list[DirectiveNode] = []
    root_types: dict[str, str] = {}
    for node in document.definitions:
        if isinstance(node, SchemaDefinitionNode | SchemaExtensionNode):
            schema_directives.extend(node.directives or ())
            for operation in node.operation_types or ():
                root_types[operation.operation.value] = operation.type.name.value
    names = FederationNames(schema_directives)
    problems = names.problems + _root_type_problems(document, root_types)
    problems += directive_problems(document, names)
    if problems:
        return None, [
            CompositionError(code, f"[{name}] {message}", (name,))
            for code, message in problems
        ]
    renames = {
        type_name: ROOT_NAMES[operation]
        for operation, type_name in root_types.items()
        if type_name != ROOT_NAMES[operation]
    }
    reader = _Reader(name, names, renames)
    for node in document.definitions:
        if isinstance(node, TypeDefinitionNode | TypeExtensionNode):
            reader.read_type(node)
    subgraph = Subgraph(
        name=name,
        url=definition.url,
        federation_version=names.version,
        types=reader.types,
        root_types={
            ROOT_NAMES[op]: ROOT_NAMES[op] for op in root_types if op in ROOT_NAMES
        },
        composed_directives={},
    )
    for type_name in ROOT_NAMES.values():
        if type_name in subgraph.types:
            subgraph.root_types[type_name] = type_name
    # A federation subgraph always has a Query type, if only for `_service`.
    subgraph.types.setdefault("Query", TypeDefinition("Query", "object"))
    subgraph.root_types["Query"] = "Query"
    errors = _read_composed_directives(subgraph, names, document, schema_directives)
    for node in document.definitions:
        if isinstance(node, DirectiveDefinitionNode):
            locations = [
                loc.value for loc in node.locations if loc.value in EXECUTABLE_LOCATIONS
            ]
            if locations and node.name.value not in names.local_to_spec:
                subgraph.executable_directives[node.name.value] = ExecutableDirective(
                    name=node.name.value,
                    description=_description(node),
                    arguments=reader.read_arguments(node.arguments),
                    repeatable=node.repeatable,
                    locations=sorted(locations),
                )
    return subgraph, errors


class _Reader:
    def __init__(
        self, subgraph: str, names: FederationNames, renames: dict[str, str]
    ) -> None:
        self.subgraph = subgraph
        self.names = names
        self.renames = renames
        self.types: dict[str, TypeDefinition] = {}

    def carried(self, nodes: tuple[DirectiveNode, ...] | None) -> list[DirectiveNode]:
        kept: list[DirectiveNode] = []
        for directive in nodes or ():
            spec = self.names.spec_name(directive)
            if spec in CARRIED_DIRECTIVES:
                kept.append(_renamed(directive, spec))
            elif spec is None and (
                directive.name.value in BUILT_IN_DIRECTIVES
                or directive.name.value in self.names.composed
            ):
                kept.append(directive)
        return kept

    def read_type(self, node: TypeDefinitionNode | TypeExtensionNode) -> None:
        kind = _KINDS[type(node)]
        raw_name = node.name.value
        if raw_name in FEDERATION_TYPES:
            return
        name = self.renames.get(raw_name, raw_name)
        definition = self.types.get(name)
        if definition is None:
            definition = self.types[name] = TypeDefinition(name, kind)
        definition.nodes.append(node)
        if kind == "object" and self.names.applies(node, "interfaceObject"):
            definition.interface_object = True
        definition.description = definition.description or _description(node)
        is_extension = isinstance(node, _EXTENSIONS)
        directives: tuple[DirectiveNode, ...] = tuple(node.directives or ())
        extends = any(self.names.spec_name(d) == "extends" for d in directives)
        for directive in directives:
            spec = self.names.spec_name(directive)
            if spec == "key":
                resolvable = argument_value(directive, "resolvable")
                definition.keys.append(
                    Key(
                        fields=string_argument(directive, "fields") or "",
                        resolvable=not (
                            isinstance(resolvable, BooleanValueNode)
                            and not resolvable.value
                        ),
                        extension=is_extension or extends,
                        source=print_ast(_renamed(directive, "key")),
                    )
                )
            elif spec == "shareable":
                definition.shareable = True
            elif spec == "context":
                definition.contexts.append(string_argument(directive, "name") or "")
            elif spec == "cacheTag":
                definition.cache_tags.append(string_argument(directive, "format") or "")
        definition.directives.extend(self.carried(directives))
        for interface in getattr(node, "interfaces", None) or ():
            definition.interfaces.append(interface.name.value)
        for member in getattr(node, "types", None) or ():
            definition.members.append(
                self.renames.get(member.name.value, member.name.value)
            )
        for value in getattr(node, "values", None) or ():
            definition.values[value.name.value] = EnumValue(
                value.name.value, _description(value), self.carried(value.directives)
            )
        type_shareable = any(self.names.spec_name(d) == "shareable" for d in directives)
        # @external on a type marks every field the definition declares (Federation
        # 2 spec, "@external").
        type_external = any(self.names.spec_name(d) == "external" for d in directives)
        for field_node in getattr(node, "fields", None) or ():
            if name == "Query" and field_node.name.value in FEDERATION_FIELDS:
                continue
            field_definition = self.read_field(field_node)
            field_definition.shareable = field_definition.shareable or type_shareable
            field_definition.external = field_definition.external or type_external
            definition.fields[field_definition.name] = field_definition

    def read_field(self, node: FieldDefinitionNode | InputValueDefinitionNode) -> Field:
        result = Field(
            name=node.name.value,
            type=TypeReference.from_ast(node.type, self.renames),
            arguments={},
            description=_description(node),
            directives=self.carried(node.directives),
            default=getattr(node, "default_value", None),
            node=node,
        )
        for directive in node.directives or ():
            spec = self.names.spec_name(directive)
            if spec == "external":
                result.external = True
            elif spec == "shareable":
                result.shareable = True
            elif spec == "requires":
                result.requires = string_argument(directive, "fields")
            elif spec == "provides":
                result.provides = string_argument(directive, "fields")
            elif spec == "override":
                result.override_from = string_argument(directive, "from")
                result.override_label = string_argument(directive, "label")
            elif spec == "cacheTag":
                result.cache_tags.append(string_argument(directive, "format") or "")
        result.arguments = self.read_arguments(getattr(node, "arguments", None))
        for argument_node in getattr(node, "arguments", None) or ():
            for directive in argument_node.directives or ():
                if self.names.spec_name(directive) != "fromContext":
                    continue
                argument = result.arguments.pop(argument_node.name.value)
                result.context_arguments.append(
                    FromContextArgument(
                        argument.name,
                        argument.type,
                        string_argument(directive, "field") or "",
                        argument.default is not None,
                    )
                )
        return result

    def read_arguments(
        self, nodes: tuple[InputValueDefinitionNode, ...] | None
    ) -> dict[str, Argument]:
        return {
            argument.name.value: Argument(
                name=argument.name.value,
                type=TypeReference.from_ast(argument.type, self.renames),
                default=argument.default_value,
                description=_description(argument),
                directives=self.carried(argument.directives),
                node=argument,
            )
            for argument in nodes or ()
        }


def _renamed(directive: DirectiveNode, name: str) -> DirectiveNode:
    if directive.name.value == name:
        return directive
    return DirectiveNode(
        name=type(directive.name)(value=name), arguments=directive.arguments
    )


def _read_composed_directives(
    subgraph: Subgraph,
    names: FederationNames,
    document: DocumentNode,
    schema_directives: list[DirectiveNode],
) -> list[CompositionError]:
    errors: list[CompositionError] = []
    definitions = {
        node.name.value: node
        for node in document.definitions
        if isinstance(node, DirectiveDefinitionNode)
    }
    for directive_name in sorted(names.composed):
        definition = definitions.get(directive_name)
        if definition is None:
            errors.append(
                CompositionError(
                    ErrorCode.DIRECTIVE_COMPOSITION_ERROR,
                    f"[{subgraph.name}] Could not find matching directive definition "
                    f'for argument to @composeDirective "@{directive_name}".',
                    (subgraph.name,),
                )
            )
            continue
        subgraph.composed_directives[directive_name] = (
            names.links.get(directive_name),
            definition,
        )
    return errors
