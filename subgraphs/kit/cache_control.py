"""Cache hints: how long an answer of a subgraph may be reused, as `Cache-Control`.

A subgraph declares hints beside its schema, keyed by GraphQL names:

    SubgraphSchema(query=Query, types=[User], cache_hints={
        "User": CacheHint(max_age=30),                  # a field returning User
        "User.lastSeen": CacheHint(max_age=5),          # this field itself
        "Query.me": CacheHint(max_age=0),               # never, whatever it returns
    })

The policy of one query (static: per document and operation name, computed once and
remembered) walks its selections, fragments expanded, and takes the smallest
max-age of what restricts it:

- a field with a hint of its own: that hint;
- else a field returning an object type: that type's hint, else 0;
- a field returning an interface or union (`_entities`): the hint of each concrete
  type a type condition under it selects (`... on User { displayName }`), 0 for a
  type without one, and 0 for any field but `__typename` outside a type condition;
- a scalar or enum field with a resolver of its own (it may read the caller, as
  accounts' `User.email` does): 0 unless hinted; a plain attribute inherits;
- `__typename` never restricts; `__schema` and `__type` are 0.

The scope is PRIVATE when any hint applied is PRIVATE. A query nothing restricted
(`{ __typename }`) has nothing to say: 0. Mutations and subscriptions are never
cached. This is stricter than Apollo's `@cacheControl`, where every scalar
inherits. Hints are Python metadata only: the SDL carries no directive.

SubgraphGraphQL (subgraphs.kit.app) answers a query without errors whose policy
has a max-age above 0 with `Cache-Control: public, max-age=N` (or `private`), and
everything else with `no-store`. The gateway caches public `_entities` answers
per representation for that long.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    InlineFragmentNode,
    OperationType,
    get_named_type,
    get_operation_ast,
    is_abstract_type,
    is_composite_type,
    parse,
)

from subgraphs.kit._document_cache import _LRU, DOCUMENT_CACHE_SIZE, cached_document

if TYPE_CHECKING:
    from collections.abc import Mapping

    from graphql import (
        DocumentNode,
        GraphQLCompositeType,
        GraphQLSchema,
        SelectionSetNode,
    )

__all__ = ["NO_STORE", "CacheHint", "CachePolicy", "InvalidCacheHint"]

NO_STORE = "no-store"
# Strawberry keeps the StrawberryField of each graphql-core field here.
_DEFINITION = "strawberry-definition"
_INTROSPECTION = frozenset({"__schema", "__type"})


@dataclass(frozen=True)
class CacheHint:
    """How long an answer may be reused (seconds), and by whom: PUBLIC for any
    caller, PRIVATE for the caller it was made for only."""

    max_age: int
    scope: Literal["PUBLIC", "PRIVATE"] = "PUBLIC"

    def __post_init__(self) -> None:
        if isinstance(self.max_age, bool) or not isinstance(self.max_age, int):
            raise InvalidCacheHint(f"max_age must be an int, not {self.max_age!r}")
        if self.max_age < 0:
            raise InvalidCacheHint(f"max_age must be >= 0, not {self.max_age}")
        if self.scope not in ("PUBLIC", "PRIVATE"):
            raise InvalidCacheHint(f"scope must be PUBLIC or PRIVATE: {self.scope!r}")

    @property
    def header(self) -> str:
        """The `Cache-Control` value that says this hint."""
        if self.max_age <= 0:
            return NO_STORE
        return f"{self.scope.lower()}, max-age={self.max_age}"


class InvalidCacheHint(ValueError):
    """A cache hint names no object type or field of the schema, or is malformed."""


_ZERO = CacheHint(max_age=0)


@dataclass
class _Policy:
    """What one walk found: the smallest max-age and whether a hint is private."""

    max_age: int | None = None
    private: bool = False

    def restrict(self, hint: CacheHint) -> None:
        if self.max_age is None or hint.max_age < self.max_age:
            self.max_age = hint.max_age
        if hint.scope == "PRIVATE":
            self.private = True

    def result(self) -> CacheHint:
        if not self.max_age:
            return CacheHint(0, "PRIVATE" if self.private else "PUBLIC")
        return CacheHint(self.max_age, "PRIVATE" if self.private else "PUBLIC")


@dataclass
class CachePolicy:
    """A schema's cache hints, checked against it, and the policy of its operations
    (see the module docstring)."""

    schema: GraphQLSchema
    hints: Mapping[str, CacheHint]
    _type_hints: dict[str, CacheHint] = field(init=False, repr=False)
    _field_hints: dict[tuple[str, str], CacheHint] = field(init=False, repr=False)
    # (type, field) of scalar/enum fields with a resolver function of their own.
    _resolved_leaves: frozenset[tuple[str, str]] = field(init=False, repr=False)
    # (text, operation name) -> its Cache-Control value.
    _headers: _LRU[tuple[str, str | None], str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._type_hints, self._field_hints = _check_hints(self.schema, self.hints)
        self._resolved_leaves = _resolved_leaves(self.schema)
        self._headers = _LRU(DOCUMENT_CACHE_SIZE)

    def header(self, query: str, operation_name: str | None) -> str:
        """The `Cache-Control` value of a query that ran without errors: worked out
        once per text and operation name, then a dictionary lookup."""
        key = (query, operation_name)
        found = self._headers.get(key)
        if found is None:
            document = cached_document(query)
            if document is None:
                document = parse(query)
            hint = self.of_operation(document, operation_name)
            found = NO_STORE if hint is None else hint.header
            self._headers.put(key, found)
        return found

    def of_operation(
        self, document: DocumentNode, operation_name: str | None = None
    ) -> CacheHint | None:
        """The policy of the named operation of a valid `document`; None (never
        cache) for a mutation, a subscription or no such operation."""
        operation = get_operation_ast(document, operation_name)
        if operation is None or operation.operation is not OperationType.QUERY:
            return None
        query_type = self.schema.query_type
        if query_type is None:
            return None
        fragments = {
            d.name.value: d
            for d in document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
        policy = _Policy()
        self._walk(query_type, operation.selection_set, fragments, policy, set())
        return policy.result()

    def _walk(
        self,
        parent: GraphQLCompositeType,
        selections: SelectionSetNode,
        fragments: Mapping[str, FragmentDefinitionNode],
        policy: _Policy,
        spreading: set[str],
    ) -> None:
        abstract = is_abstract_type(parent)
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                self._field(parent, abstract, selection, fragments, policy, spreading)
                continue
            inner_spreading = spreading
            if isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is None or name in spreading:
                    continue  # pragma: no cover - validated: known, no cycles
                condition_name: str | None = fragment.type_condition.name.value
                inner = fragment.selection_set
                inner_spreading = spreading | {name}
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                condition_name = None if condition is None else condition.name.value
                inner = selection.selection_set
            else:  # pragma: no cover - graphql-core has no other selection
                continue
            target = parent
            if condition_name is not None:
                named = self.schema.get_type(condition_name)
                if not is_composite_type(named):  # pragma: no cover - validated
                    policy.restrict(_ZERO)
                    continue
                target = named
                if abstract and isinstance(target, GraphQLObjectType):
                    # A concrete type chosen under an interface or a union.
                    policy.restrict(self._type_hints.get(target.name, _ZERO))
            self._walk(target, inner, fragments, policy, inner_spreading)

    def _field(
        self,
        parent: GraphQLCompositeType,
        abstract: bool,
        node: FieldNode,
        fragments: Mapping[str, FragmentDefinitionNode],
        policy: _Policy,
        spreading: set[str],
    ) -> None:
        name = node.name.value
        if name == "__typename":
            return
        if name in _INTROSPECTION or abstract:
            # Outside a type condition under an abstract type, the field's type
            # is not known: no hint can speak for it.
            policy.restrict(_ZERO)
            if name in _INTROSPECTION:
                return
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            policy.restrict(_ZERO)  # pragma: no cover - a union has no fields
            return
        definition = parent.fields.get(name)
        if definition is None:  # pragma: no cover - the document was validated
            policy.restrict(_ZERO)
            return
        returned = get_named_type(definition.type)
        own = self._field_hints.get((parent.name, name))
        if own is not None:
            policy.restrict(own)
        elif isinstance(returned, GraphQLObjectType):
            policy.restrict(self._type_hints.get(returned.name, _ZERO))
        elif is_composite_type(returned):
            pass  # abstract: the type conditions under it decide
        elif (parent.name, name) in self._resolved_leaves:
            policy.restrict(_ZERO)
        if node.selection_set is not None and is_composite_type(returned):
            self._walk(
                returned,
                node.selection_set,
                fragments,
                policy,
                spreading,
            )


def _check_hints(
    schema: GraphQLSchema, hints: Mapping[str, CacheHint]
) -> tuple[dict[str, CacheHint], dict[tuple[str, str], CacheHint]]:
    """Split `hints` into type and field hints; InvalidCacheHint for a key naming
    no object type or field (a typo must not silently change what is cached)."""
    types: dict[str, CacheHint] = {}
    fields: dict[tuple[str, str], CacheHint] = {}
    for key, hint in hints.items():
        if not isinstance(hint, CacheHint):
            raise InvalidCacheHint(f"cache hint {key!r} is not a CacheHint: {hint!r}")
        type_name, dot, field_name = key.partition(".")
        named = schema.type_map.get(type_name)
        if not dot:
            if not isinstance(named, GraphQLObjectType) or type_name.startswith("__"):
                raise InvalidCacheHint(
                    f"cache hint {key!r}: the schema has no object type {type_name!r}"
                )
            types[type_name] = hint
            continue
        if not isinstance(named, GraphQLObjectType) or type_name.startswith("__"):
            raise InvalidCacheHint(
                f"cache hint {key!r}: the schema has no object type {type_name!r}"
            )
        if field_name not in named.fields:
            raise InvalidCacheHint(
                f"cache hint {key!r}: {type_name} has no field {field_name!r} "
                "(GraphQL names: camelCase)"
            )
        fields[(type_name, field_name)] = hint
    return types, fields


def _resolved_leaves(schema: GraphQLSchema) -> frozenset[tuple[str, str]]:
    """The scalar and enum fields of object types that have a resolver function
    (or that Strawberry did not define: not known, so counted as resolved)."""
    found: set[tuple[str, str]] = set()
    for type_name, named in schema.type_map.items():
        if not isinstance(named, GraphQLObjectType) or type_name.startswith("__"):
            continue
        for field_name, definition in named.fields.items():
            if is_composite_type(get_named_type(definition.type)):
                continue
            strawberry_field = definition.extensions.get(_DEFINITION)
            if getattr(strawberry_field, "base_resolver", True) is not None:
                found.add((type_name, field_name))
    return frozenset(found)
