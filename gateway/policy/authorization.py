"""Authorization directives: what a caller may select, decided before planning.

`@authenticated`, `@requiresScopes(scopes:)` and `@policy(policies:)` of the
supergraph are read once (`authorization_rules`). Per request, `authorize_operation`
removes from the operation every field, and every fragment on a type, the caller may
not see, and reports each as an `UNAUTHORIZED_FIELD_OR_TYPE` error with its path; the
rest is planned and served: the Apollo Router's behaviour
(apollo-router/src/plugins/authorization/). The executor projects the subgraphs' data
onto the client's original operation, so a removed field answers null.

Where the router asks a coprocessor which `@policy` policies hold, the gateway decides
them itself from its configuration: `PolicyRules`, a policy name -> `PolicyRule` (the
roles, scopes, users or tenants that are granted it). A policy no rule names is never
granted.

Paths are response paths (aliases, as the client sees them) with `"@"` standing for
every item of a list and `"... on T"` where only objects of type T lose the field.
Where this differs from the router: the router names fields rather than aliases, ends
a removed list field's path with `"@"` and marks every fragment, even one on the
enclosing type; it removes a whole operation whose root type carries a requirement
(error path `[]`) where we apply it to each root field; it reports every path where
we report at most MAX_REPORTED_PATHS (the filtering itself is complete); and its three
passes list @authenticated errors first, where one pass lists them in document order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    VariableNode,
)

from ..execution.response_errors import error_sort_key
from ._authorization_rules import (
    AuthorizationRules,
    FieldRule,
    Grants,
    Requirement,
    authorization_rules,
)
from ._authorization_walk import LIST_ITEMS, MAX_REPORTED_PATHS, Removal, Walk

if TYPE_CHECKING:
    from graphql import SelectionSetNode, ValueNode

    from ..types import JSONObject
    from .tokens import Identity

__all__ = [
    "MAX_REPORTED_PATHS",
    "UNAUTHORIZED_FIELD_OR_TYPE",
    "AuthorizationResult",
    "AuthorizationRules",
    "FieldRule",
    "Grants",
    "PolicyRule",
    "PolicyRules",
    "Requirement",
    "add_authorization_errors",
    "authorization_rules",
    "authorize_operation",
    "granted_policies",
    "grants_of",
    "unauthorized_response",
]

UNAUTHORIZED_FIELD_OR_TYPE = "UNAUTHORIZED_FIELD_OR_TYPE"
UNAUTHORIZED_MESSAGE = "Unauthorized field or type"
_NULL_CODE = "NON_NULLABLE_FIELD_IS_NULL"


@dataclass(frozen=True, slots=True)
class AuthorizationResult:
    """The operation as the caller may run it.

    `document` is the filtered document: the very object passed in when nothing was
    removed (dry run included), None when nothing of the operation is left (answer
    `unauthorized_response`). `errors` has one UNAUTHORIZED_FIELD_OR_TYPE error per
    removed path, in document order. `removed` names what was removed (`Type.field`
    and `Type` coordinates): with the document and operation name it determines the
    filtered document, so plans can be cached by it; empty when nothing was removed.
    """

    document: DocumentNode | None
    errors: tuple[GraphQLError, ...] = ()
    removed: frozenset[str] = frozenset()


def authorize_operation(
    rules: AuthorizationRules,
    document: DocumentNode,
    operation_name: str | None,
    grants: Grants,
    *,
    dry_run: bool = False,
) -> AuthorizationResult:
    """Remove from operation `operation_name` of `document` (validated against the
    API schema) every selection the caller's `grants` do not allow.

    With `dry_run` the errors are reported and nothing is removed. Work is linear in
    the size of the document: each named fragment is filtered once. Never raises for
    a valid document; an operation it cannot find is returned unchanged.
    """
    if rules.is_empty or rules.allows_everything(grants):
        return AuthorizationResult(document)
    operation = _operation(document, operation_name)
    if operation is None:
        return AuthorizationResult(document)
    root = rules.root_types.get(operation.operation.value)
    if root is None:
        return AuthorizationResult(document)
    fragments = {
        d.name.value: d
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    walk = Walk(rules, grants, fragments, dry_run=dry_run)
    removal = Removal()
    selection_set = walk.selection_set(operation.selection_set, root, (), removal)
    errors = tuple(
        GraphQLError(
            UNAUTHORIZED_MESSAGE,
            path=list(path),
            extensions={"code": UNAUTHORIZED_FIELD_OR_TYPE},
        )
        for path in removal.paths
    )
    # Fragments filtered in place leave the operation's own selection set as is.
    if dry_run or not removal.coordinates:
        return AuthorizationResult(document, errors)
    removed = frozenset(removal.coordinates)
    if selection_set is None:
        return AuthorizationResult(None, errors, removed)
    return AuthorizationResult(
        _rebuild(operation, selection_set, walk), errors, removed
    )


def _operation(
    document: DocumentNode, operation_name: str | None
) -> OperationDefinitionNode | None:
    operations = [
        d for d in document.definitions if isinstance(d, OperationDefinitionNode)
    ]
    if operation_name is None:
        return operations[0] if len(operations) == 1 else None
    for operation in operations:
        if operation.name is not None and operation.name.value == operation_name:
            return operation
    return None


def _rebuild(
    operation: OperationDefinitionNode, selection_set: SelectionSetNode, walk: Walk
) -> DocumentNode:
    """The filtered operation with the fragments it still spreads and the variables
    it still uses (an unused one would fail validation: NoUnusedVariables)."""
    used = _Usage(walk)
    used.selection_set(selection_set)
    for directive in operation.directives or ():
        used.arguments(directive.arguments)
    new_operation = OperationDefinitionNode(
        operation=operation.operation,
        name=operation.name,
        variable_definitions=tuple(
            v
            for v in operation.variable_definitions or ()
            if v.variable.name.value in used.variables
        ),
        directives=operation.directives,
        selection_set=selection_set,
        loc=operation.loc,
    )
    definitions: list[Any] = [new_operation]
    for name in used.fragments:
        original = walk.fragments[name]
        filtered, _ = walk.fragment(name)
        if filtered is None or filtered is original.selection_set:
            # A spread still in the operation names a fragment with selections.
            definitions.append(original)
        else:
            definitions.append(
                FragmentDefinitionNode(
                    name=original.name,
                    variable_definitions=original.variable_definitions,
                    type_condition=original.type_condition,
                    directives=original.directives,
                    selection_set=filtered,
                    loc=original.loc,
                )
            )
    return DocumentNode(definitions=tuple(definitions))


class _Usage:
    """The fragments and variables a filtered selection set uses, each fragment
    walked once."""

    def __init__(self, walk: Walk) -> None:
        self.walk = walk
        self.fragments: dict[str, None] = {}
        self.variables: set[str] = set()

    def selection_set(self, node: SelectionSetNode) -> None:
        for selection in node.selections:
            for directive in selection.directives or ():
                self.arguments(directive.arguments)
            if isinstance(selection, FieldNode):
                self.arguments(selection.arguments)
                if selection.selection_set is not None:
                    self.selection_set(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                self.selection_set(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in self.fragments or name not in self.walk.fragments:
                    continue
                self.fragments[name] = None
                filtered, _ = self.walk.fragment(name)
                if filtered is not None:
                    self.selection_set(filtered)

    def arguments(self, arguments: Any) -> None:
        for argument in arguments or ():
            self._value(argument.value)

    def _value(self, value: ValueNode) -> None:
        if isinstance(value, VariableNode):
            self.variables.add(value.name.value)
        elif isinstance(value, ListValueNode):
            for item in value.values:
                self._value(item)
        elif isinstance(value, ObjectValueNode):
            for object_field in value.fields:
                self._value(object_field.value)


# --- the response -----------------------------------------------------------------


def unauthorized_response(result: AuthorizationResult) -> JSONObject:
    """The answer when nothing of the operation is left: `data: null` and the
    errors, without any subgraph request (the router's answer)."""
    return {"errors": [e.formatted for e in result.errors], "data": None}


def add_authorization_errors(
    response: JSONObject, result: AuthorizationResult
) -> JSONObject:
    """`response` (executed from the filtered document, projected onto the original
    one) with the authorization errors added, sorted like the executor's.

    A non-null field that was removed made its parent null; the projection's
    NON_NULLABLE_FIELD_IS_NULL error for it goes, since the authorization error at
    that path explains the null (the router keeps such errors out of `errors` too).
    """
    if not result.errors:
        return response
    patterns = [
        tuple(k for k in e.path or () if not str(k).startswith("... on "))
        for e in result.errors
    ]
    kept = [
        e
        for e in response.get("errors") or ()
        if not (
            (e.get("extensions") or {}).get("code") == _NULL_CODE
            and any(_matches(p, e.get("path") or ()) for p in patterns)
        )
    ]
    errors = [*kept, *(e.formatted for e in result.errors)]
    errors.sort(key=error_sort_key)
    out = {k: v for k, v in response.items() if k != "errors"}
    return {"errors": errors, **out}


def _matches(pattern: tuple[Any, ...], path: Any) -> bool:
    if len(pattern) != len(path):
        return False
    return all(
        p == k or (p == LIST_ITEMS and isinstance(k, int))
        for p, k in zip(pattern, path, strict=True)
    )


# --- policies ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """Who is granted one policy: a caller with any listed role, any listed scope,
    whose user id is listed, or whose tenant is listed. An empty rule grants no one."""

    roles: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    users: frozenset[str] = frozenset()
    tenants: frozenset[str] = frozenset()

    def grants(self, identity: Identity) -> bool:
        return (
            not self.roles.isdisjoint(identity.roles)
            or not self.scopes.isdisjoint(identity.scopes)
            or identity.user_id in self.users
            or (identity.tenant_id is not None and identity.tenant_id in self.tenants)
        )


_RULE_KEYS = ("roles", "scopes", "users", "tenants")


@dataclass(frozen=True, slots=True)
class PolicyRules:
    """The gateway's policies: name -> rule. Build from configuration with
    `PolicyRules.parse`."""

    rules: Mapping[str, PolicyRule] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: object, key: str = "authorization.policies") -> PolicyRules:
        """Rules from configuration: `{name: {roles: [...], scopes: [...], users:
        [...], tenants: [...]}}`. Raises ValueError naming the key at fault."""
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping):
            raise ValueError(f"{key}: expected a mapping of policy name to rule")
        rules: dict[str, PolicyRule] = {}
        for name, body in raw.items():
            where = f"{key}.{name}"
            if not isinstance(name, str) or not name:
                raise ValueError(f"{key}: a policy name must be a non-empty string")
            if not isinstance(body, Mapping):
                raise ValueError(f"{where}: expected a mapping with {_RULE_KEYS}")
            unknown = sorted(str(k) for k in body if k not in _RULE_KEYS)
            if unknown:
                raise ValueError(
                    f"{where}.{unknown[0]}: unknown key (expected one of "
                    f"{', '.join(_RULE_KEYS)})"
                )
            values: dict[str, frozenset[str]] = {}
            for part in _RULE_KEYS:
                listed = body.get(part, [])
                if not isinstance(listed, list) or not all(
                    isinstance(item, str) and item for item in listed
                ):
                    raise ValueError(f"{where}.{part}: expected a list of strings")
                values[part] = frozenset(listed)
            rules[name] = PolicyRule(**values)
        return cls(rules)


def granted_policies(rules: PolicyRules, identity: Identity | None) -> frozenset[str]:
    """The policies `rules` grant the caller; none without an identity."""
    if identity is None:
        return frozenset()
    return frozenset(
        name for name, rule in rules.rules.items() if rule.grants(identity)
    )


def grants_of(identity: Identity | None, rules: PolicyRules) -> Grants:
    """The Grants of a request with a verified token's `identity` (None: anonymous)."""
    if identity is None:
        return Grants()
    return Grants(
        authenticated=True,
        scopes=identity.scopes,
        policies=granted_policies(rules, identity),
    )
