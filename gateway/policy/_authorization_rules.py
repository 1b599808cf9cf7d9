"""The supergraph's @authenticated / @requiresScopes / @policy, read once into a table.

Each field of the supergraph gets one `FieldRule`: its named type, its list depth, and
the `Requirement` a caller must meet to select it, which is, as in the Apollo Router
(apollo-router/src/plugins/authorization/): the field's own directives AND those of
the type it returns; on an interface, also those of the same field on every
implementation; on a root operation type, also the root type's own. A field that
returns an interface also keeps what every implementation of the interface requires
(`through_interface`), which applies when it selects fields outside a type condition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    get_named_type,
)

from ..supergraph import SupergraphError
from ..supergraph._features import directive_arguments, linked_features

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from graphql import (
        ConstDirectiveNode,
        GraphQLField,
        GraphQLNamedType,
    )
    from graphql import GraphQLSchema as Schema

    from ..supergraph import Supergraph

__all__ = [
    "DNF",
    "AuthorizationRules",
    "FieldRule",
    "Grants",
    "Requirement",
    "authorization_rules",
]

# OR of ANDs: `[["a", "b"], ["c"]]` is (a AND b) OR c.
DNF = tuple[frozenset[str], ...]

# The specs' names (https://specs.apollo.dev/<name>/v0.1) and their argument.
_AUTHENTICATED = "authenticated"
_SCOPES = ("requiresScopes", "scopes")
_POLICY = ("policy", "policies")


@dataclass(frozen=True, slots=True)
class Grants:
    """What authorization knows of a caller: whether a token was verified, the
    token's scopes and the policies the gateway's rules grant it (`grants_of`)."""

    authenticated: bool = False
    scopes: frozenset[str] = frozenset()
    policies: frozenset[str] = frozenset()


def _satisfied(dnf: DNF, granted: frozenset[str]) -> bool:
    # An empty list requires nothing, as in the router.
    return not dnf or any(conjunction <= granted for conjunction in dnf)


@dataclass(frozen=True, slots=True)
class Requirement:
    """What a caller needs for one field or type: authentication, and every listed
    scopes and policies DNF satisfied."""

    authenticated: bool = False
    scopes: tuple[DNF, ...] = ()
    policies: tuple[DNF, ...] = ()

    def __bool__(self) -> bool:
        return self.authenticated or bool(self.scopes) or bool(self.policies)

    def __and__(self, other: Requirement) -> Requirement:
        return Requirement(
            self.authenticated or other.authenticated,
            _union(self.scopes, other.scopes),
            _union(self.policies, other.policies),
        )

    def allows(self, grants: Grants) -> bool:
        if self.authenticated and not grants.authenticated:
            return False
        return all(_satisfied(d, grants.scopes) for d in self.scopes) and all(
            _satisfied(d, grants.policies) for d in self.policies
        )


NO_REQUIREMENT = Requirement()


def _union(left: tuple[DNF, ...], right: tuple[DNF, ...]) -> tuple[DNF, ...]:
    return left + tuple(d for d in right if d not in left)


@dataclass(frozen=True, slots=True)
class FieldRule:
    """One field of the supergraph as authorization walks it."""

    type_name: str
    list_depth: int
    requirement: Requirement | None = None
    through_interface: Requirement | None = None


@dataclass(frozen=True, slots=True)
class AuthorizationRules:
    """The requirements of one supergraph; build with `authorization_rules`.

    `fields[parent][name]` for every field of an object or interface type;
    `types[name]` for each type whose own directives a type condition must meet
    (root operation types excepted: theirs are on their fields).
    """

    fields: Mapping[str, Mapping[str, FieldRule]]
    types: Mapping[str, Requirement]
    root_types: Mapping[str, str] = field(default_factory=dict)
    requirements: tuple[Requirement, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when the supergraph uses none of the directives."""
        return not self.requirements

    def allows_everything(self, grants: Grants) -> bool:
        """True when `grants` meet every requirement of the supergraph."""
        return all(r.allows(grants) for r in self.requirements)


def authorization_rules(supergraph: Supergraph) -> AuthorizationRules:
    """Read the authorization directives of `supergraph.schema` (by the local names
    its `@link`s give them). Raises SupergraphError for a malformed application."""
    schema = supergraph.schema
    names = _directive_names(schema)
    roots = {
        kind: root.name
        for kind, root in (
            ("query", schema.query_type),
            ("mutation", schema.mutation_type),
            ("subscription", schema.subscription_type),
        )
        if root is not None
    }
    own_types: dict[str, Requirement] = {}
    own_fields: dict[tuple[str, str], Requirement] = {}
    if names:
        for named in schema.type_map.values():
            requirement = _requirement(_applications(named), names, named.name)
            if requirement:
                own_types[named.name] = requirement
            if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
                for name, graphql_field in named.fields.items():
                    coordinate = f"{named.name}.{name}"
                    requirement = _requirement(
                        _applications(graphql_field), names, coordinate
                    )
                    if requirement:
                        own_fields[named.name, name] = requirement
    fields = _field_rules(schema, own_types, own_fields, frozenset(roots.values()))
    types = {n: r for n, r in own_types.items() if n not in roots.values()}
    requirements = {
        *types.values(),
        *(
            r
            for rules in fields.values()
            for rule in rules.values()
            for r in (rule.requirement, rule.through_interface)
            if r is not None
        ),
    }
    return AuthorizationRules(
        fields=fields,
        types=types,
        root_types=roots,
        requirements=tuple(requirements),
    )


def _directive_names(schema: Schema) -> dict[str, str]:
    """Local directive name -> spec name, for the specs the supergraph links."""
    # Schema extensions are definitions too (graphql-core's stubs disagree).
    definitions: list[Any] = []
    if schema.ast_node is not None:
        definitions.append(schema.ast_node)
    definitions.extend(schema.extension_ast_nodes or ())
    document = DocumentNode(definitions=tuple(definitions))
    names: dict[str, str] = {}
    for feature in linked_features(document):
        if feature.is_apollo_spec and feature.name in (
            _AUTHENTICATED,
            _SCOPES[0],
            _POLICY[0],
        ):
            names[feature.directive_name(feature.name)] = feature.name
    return names


def _applications(
    element: GraphQLNamedType | GraphQLField,
) -> Iterable[ConstDirectiveNode]:
    nodes = [element.ast_node, *getattr(element, "extension_ast_nodes", ())]
    for node in nodes:
        if node is not None:
            yield from node.directives or ()


def _requirement(
    applications: Iterable[ConstDirectiveNode], names: Mapping[str, str], where: str
) -> Requirement:
    authenticated = False
    scopes: tuple[DNF, ...] = ()
    policies: tuple[DNF, ...] = ()
    for directive in applications:
        spec = names.get(directive.name.value)
        if spec == _AUTHENTICATED:
            authenticated = True
        elif spec == _SCOPES[0]:
            scopes = _union(scopes, (_dnf(directive, _SCOPES[1], where),))
        elif spec == _POLICY[0]:
            policies = _union(policies, (_dnf(directive, _POLICY[1], where),))
    return Requirement(authenticated, scopes, policies)


def _dnf(directive: ConstDirectiveNode, argument: str, where: str) -> DNF:
    value = directive_arguments(directive).get(argument)
    if not isinstance(value, list) or not all(
        isinstance(inner, list) and all(isinstance(s, str) for s in inner)
        for inner in value
    ):
        raise SupergraphError(
            f"@{directive.name.value} on {where} needs {argument}: a list of lists"
            " of strings"
        )
    return tuple(frozenset(inner) for inner in value)


def _field_rules(
    schema: Schema,
    own_types: Mapping[str, Requirement],
    own_fields: Mapping[tuple[str, str], Requirement],
    roots: frozenset[str],
) -> dict[str, dict[str, FieldRule]]:
    def returns(parent: str, graphql_field: GraphQLField, name: str) -> Requirement:
        requirement = own_fields.get((parent, name), NO_REQUIREMENT)
        named = get_named_type(graphql_field.type)
        return requirement & own_types.get(named.name, NO_REQUIREMENT)

    def implementations(interface: GraphQLInterfaceType) -> list[str]:
        found = schema.get_implementations(interface)
        return [t.name for t in (*found.objects, *found.interfaces)]

    fields: dict[str, dict[str, FieldRule]] = {}
    for named in schema.type_map.values():
        if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            continue
        rules: dict[str, FieldRule] = {}
        implementers = (
            implementations(named) if isinstance(named, GraphQLInterfaceType) else []
        )
        for name, graphql_field in named.fields.items():
            requirement = returns(named.name, graphql_field, name)
            if named.name in roots:
                requirement = requirement & own_types.get(named.name, NO_REQUIREMENT)
            for implementer in implementers:
                other = schema.type_map[implementer]
                assert isinstance(other, GraphQLObjectType | GraphQLInterfaceType)
                if name in other.fields:
                    requirement = requirement & returns(
                        implementer, other.fields[name], name
                    )
            result = get_named_type(graphql_field.type)
            through = NO_REQUIREMENT
            if isinstance(result, GraphQLInterfaceType):
                for implementer in implementations(result):
                    through = through & own_types.get(implementer, NO_REQUIREMENT)
            rules[name] = FieldRule(
                type_name=result.name,
                list_depth=_list_depth(graphql_field),
                requirement=requirement or None,
                through_interface=through or None,
            )
        fields[named.name] = rules
    return fields


def _list_depth(graphql_field: GraphQLField) -> int:
    depth = 0
    current = graphql_field.type
    while isinstance(current, GraphQLNonNull | GraphQLList):
        if isinstance(current, GraphQLList):
            depth += 1
        current = current.of_type
    return depth
