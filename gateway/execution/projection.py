"""Projection: shape merged subgraph JSON to the client's operation.

GraphQL spec 6.3-6.4 without resolvers: CollectFields (fragments by `__typename`,
@skip/@include by the variables, aliases, field order), CompleteValue over the
merged data, and null propagation (6.4.4: a null in a non-null position makes the
nearest nullable parent null). Field collection is compiled once per (operation,
values of the @skip/@include variables, concrete type) and cached on the operation,
so a request only walks its data. `__schema`/`__type` are answered by graphql-core
from the API schema. For incremental delivery (@defer) the initial payload leaves the
deferred fragments out and each is projected on its own objects later.
"""

from __future__ import annotations

from enum import IntEnum
from inspect import isawaitable
from typing import TYPE_CHECKING, Any, TypeAlias

import orjson
from graphql import (
    BooleanValueNode,
    DocumentNode,
    ExperimentalIncrementalExecutionResults,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    experimental_execute_incrementally,
    is_abstract_type,
    is_composite_type,
    is_enum_type,
    is_interface_type,
    is_leaf_type,
    is_object_type,
    visit,
)
from graphql.language import Visitor

from ..planner.defer import DEFER, defer_directives, is_deferred

if TYPE_CHECKING:
    from graphql import (
        DirectiveNode,
        GraphQLInterfaceType,
        GraphQLNamedOutputType,
        GraphQLObjectType,
        GraphQLOutputType,
        GraphQLSchema,
        SelectionNode,
    )

    # What `__typename` may name: an object, or the interface itself for the
    # objects of an @interfaceObject subgraph.
    _RuntimeType = GraphQLObjectType | GraphQLInterfaceType

    from ..types import JSON, JSONObject

__all__ = ["Projection"]


class _Wrapper(IntEnum):
    """A type wrapper around a field's named type, outermost first."""

    NON_NULL = 0
    LIST = 1


class _Kind(IntEnum):
    """What completing a field does with the merged value under its key."""

    # A leaf inside a list (each item completed) or a null one.
    LEAF = 0
    # An object, interface or union: its selections are completed in turn.
    COMPOSITE = 1
    # `__typename`: the runtime type's name, whatever the data holds.
    TYPENAME = 2
    # `__schema`/`__type` on the root: answered by graphql-core, copied as is.
    RAW = 3
    # An enum: its value must be one of the API schema's.
    ENUM = 4
    # A scalar outside any list: its non-null value is copied as is (the fast path).
    SCALAR = 5


# The completion loops read the members as module globals and compare them by
# identity: an Enum class attribute costs ~60 ns a read on CPython 3.11.
_NON_NULL, _LIST = _Wrapper.NON_NULL, _Wrapper.LIST
_LEAF, _COMPOSITE, _TYPENAME = _Kind.LEAF, _Kind.COMPOSITE, _Kind.TYPENAME
_RAW, _ENUM, _SCALAR = _Kind.RAW, _Kind.ENUM, _Kind.SCALAR

_INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})

# A response path as a linked list (parent, key): built per field, flattened only
# when an error needs it, like graphql-core's Path.
_Path: TypeAlias = "tuple[_Path, str | int] | None"


class _CompiledField:
    __slots__ = (
        "enum_values",
        "field_name",
        "group",
        "kind",
        "non_null",
        "parent_name",
        "possible_types",
        "response_key",
        "type_name",
        "wrappers",
    )

    def __init__(
        self,
        response_key: str,
        field_name: str,
        parent_name: str,
        kind: _Kind,
        wrappers: tuple[_Wrapper, ...] = (),
        type_name: str = "",
        possible_types: frozenset[str] | None = None,
        group: _SelectionGroup | None = None,
        enum_values: frozenset[str] = frozenset(),
    ) -> None:
        self.response_key = response_key
        self.field_name = field_name
        self.parent_name = parent_name
        self.kind = kind
        self.wrappers = wrappers
        self.non_null = bool(wrappers) and wrappers[0] is _NON_NULL
        self.type_name = type_name
        # An abstract field's object types (None for any other field).
        self.possible_types = possible_types
        self.group = group
        # An enum field's values in the API schema: a subgraph may know values the
        # API schema hides (@inaccessible) or lacks.
        self.enum_values = enum_values


class _SelectionGroup:
    """The merged selection sets of one response key; compiled per concrete type.
    `incremental`: deferred fragments are left for their own payloads."""

    __slots__ = ("by_type", "incremental", "projection", "selection_sets", "variables")

    def __init__(
        self,
        projection: Projection,
        selection_sets: tuple[SelectionSetNode, ...],
        variables: dict[str, Any],
        incremental: bool = False,
    ) -> None:
        self.projection = projection
        self.selection_sets = selection_sets
        self.variables = variables
        self.incremental = incremental
        self.by_type: dict[str, tuple[_CompiledField, ...]] = {}

    def fields_for(self, type_name: str) -> tuple[_CompiledField, ...]:
        fields = self.by_type.get(type_name)
        if fields is None:
            fields = self.by_type[type_name] = self._compile(type_name)
        return fields

    def collect(self, runtime_type: _RuntimeType) -> dict[str, list[FieldNode]]:
        """CollectFields (spec 6.3.2) over every selection set of the group."""
        grouped: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()
        for selection_set in self.selection_sets:
            self._collect(runtime_type, selection_set, grouped, visited)
        return grouped

    def _collect(
        self,
        runtime_type: _RuntimeType,
        selection_set: SelectionSetNode,
        grouped: dict[str, list[FieldNode]],
        visited: set[str],
    ) -> None:
        projection = self.projection
        for selection in selection_set.selections:
            if not _should_include(selection, self.variables):
                continue
            if (
                self.incremental
                and isinstance(selection, InlineFragmentNode | FragmentSpreadNode)
                and projection.deferred(selection, self.variables)
            ):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                grouped.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or projection.type_applies(
                    condition.name.value, runtime_type
                ):
                    self._collect(
                        runtime_type, selection.selection_set, grouped, visited
                    )
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = projection.fragments.get(name)
                if name in visited or fragment is None:
                    continue
                visited.add(name)
                if projection.type_applies(
                    fragment.type_condition.name.value, runtime_type
                ):
                    self._collect(
                        runtime_type, fragment.selection_set, grouped, visited
                    )

    def _compile(self, type_name: str) -> tuple[_CompiledField, ...]:
        schema = self.projection.schema
        runtime_type = schema.get_type(type_name)
        if not is_object_type(runtime_type) and not is_interface_type(runtime_type):
            return ()
        is_root = runtime_type is self.projection.root_type
        compiled: list[_CompiledField] = []
        for key, nodes in self.collect(runtime_type).items():
            name = nodes[0].name.value
            if name == "__typename":
                compiled.append(_CompiledField(key, name, type_name, _TYPENAME))
                continue
            if is_root and name in _INTROSPECTION_FIELDS:
                compiled.append(_CompiledField(key, name, type_name, _RAW))
                continue
            definition = runtime_type.fields.get(name)
            if definition is None:
                continue
            wrappers, named = _unwrap(definition.type)
            if is_enum_type(named):
                compiled.append(
                    _CompiledField(
                        key,
                        name,
                        type_name,
                        _ENUM,
                        wrappers,
                        named.name,
                        enum_values=frozenset(named.values),
                    )
                )
                continue
            if is_leaf_type(named):
                kind = _LEAF if _LIST in wrappers else _SCALAR
                compiled.append(_CompiledField(key, name, type_name, kind, wrappers))
                continue
            possible = None
            if is_abstract_type(named):
                possible = frozenset(t.name for t in schema.get_possible_types(named))
            group = _SelectionGroup(
                self.projection,
                tuple(n.selection_set for n in nodes if n.selection_set),
                self.variables,
                self.incremental,
            )
            compiled.append(
                _CompiledField(
                    key,
                    name,
                    type_name,
                    _COMPOSITE,
                    wrappers,
                    named.name,
                    possible,
                    group,
                )
            )
        return tuple(compiled)


class Projection:
    """The client's operation, compiled for projecting merged data onto it.

    Built once per cached (document, operation name) and shared by requests.
    """

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
    ) -> None:
        self.schema = schema
        self.document = document
        self.operation = operation
        self.fragments: dict[str, FragmentDefinitionNode] = {
            d.name.value: d
            for d in document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
        root_type = schema.get_root_type(operation.operation)
        assert root_type is not None, "validation guarantees the root type"
        self.root_type = root_type
        self.condition_variables = _condition_variables(document)
        self._roots: dict[tuple[object, ...], _SelectionGroup] = {}
        # @defer: id(directive) -> its deferral; ordinal -> the fragment's
        # selection set and type condition (gateway.planner.defer).
        self.deferrals = defer_directives(document) if document else {}
        self.deferred_fragments: dict[int, tuple[SelectionSetNode, str | None]] = {}
        for node in _fragments_with_directives(document):
            deferral = is_deferred(node.directives, self.deferrals)
            if deferral is None:
                continue
            if isinstance(node, FragmentSpreadNode):
                definition = self.fragments.get(node.name.value)
                if definition is not None:
                    self.deferred_fragments[deferral.ordinal] = (
                        definition.selection_set,
                        definition.type_condition.name.value,
                    )
                continue
            condition = node.type_condition.name.value if node.type_condition else None
            self.deferred_fragments[deferral.ordinal] = (node.selection_set, condition)
        self._deferred_groups: dict[tuple[object, ...], _SelectionGroup] = {}

    def deferred(
        self, node: InlineFragmentNode | FragmentSpreadNode, variables: dict[str, Any]
    ) -> bool:
        """Whether fragment (or spread) `node` is deferred for these variables."""
        deferral = is_deferred(node.directives, self.deferrals)
        return deferral is not None and deferral.active(variables)

    def type_applies(self, condition: str, runtime_type: _RuntimeType) -> bool:
        if condition == runtime_type.name:
            return True
        condition_type = self.schema.get_type(condition)
        return is_abstract_type(condition_type) and self.schema.is_sub_type(
            condition_type,
            runtime_type,
        )

    def root_group(
        self, variables: dict[str, Any], incremental: bool = False
    ) -> _SelectionGroup:
        key = (incremental, *(variables.get(n) for n in self.condition_variables))
        group = self._roots.get(key)
        if group is None:
            conditions = {
                name: variables.get(name) for name in self.condition_variables
            }
            group = self._roots[key] = _SelectionGroup(
                self, (self.operation.selection_set,), conditions, incremental
            )
        return group

    def project(
        self,
        data: JSONObject | None,
        variables: dict[str, Any],
        errors: list[JSONObject],
        *,
        incremental: bool = False,
    ) -> JSONObject | None:
        """The client's `data` for merged subgraph `data`; appends the errors of
        null propagation (and introspection) to `errors`. `incremental`: the
        initial payload, without the deferred fragments (`project_deferred`).

        `data` None (every root fetch failed) still answers `__typename` and
        introspection, and null-propagates the rest.
        """
        root = self.root_group(variables, incremental)
        fields = root.fields_for(self.root_type.name)
        source = data if data is not None else {}
        if any(f.kind is _RAW for f in fields):
            source = {**source, **self._introspect(root, fields, variables, errors)}
        completion = _Completion(self.schema, errors)
        return completion.complete_object(fields, self.root_type.name, source, None)

    def project_deferred(
        self,
        ordinal: int,
        type_name: str,
        value: JSONObject,
        path: list[str | int],
        variables: dict[str, Any],
        errors: list[JSONObject],
    ) -> tuple[bool, JSONObject | None]:
        """The data of deferred fragment `ordinal` for the object `value` at
        response `path` (its fragments deferred in turn left out), and whether
        the fragment applies to the object at all (its type condition)."""
        found = self.deferred_fragments.get(ordinal)
        if found is None:
            return False, None
        selection_set, condition = found
        runtime = value.get("__typename")
        runtime_name = runtime if isinstance(runtime, str) else type_name
        runtime_type = self.schema.get_type(runtime_name)
        if not is_object_type(runtime_type) and not is_interface_type(runtime_type):
            return False, None
        if condition is not None and not self.type_applies(condition, runtime_type):
            return False, None
        key = (ordinal, *(variables.get(n) for n in self.condition_variables))
        group = self._deferred_groups.get(key)
        if group is None:
            conditions = {n: variables.get(n) for n in self.condition_variables}
            group = self._deferred_groups[key] = _SelectionGroup(
                self, (selection_set,), conditions, incremental=True
            )
        linked: _Path = None
        for element in path:
            linked = (linked, element)
        completion = _Completion(self.schema, errors)
        fields = group.fields_for(runtime_name)
        return True, completion.complete_object(fields, runtime_name, value, linked)

    def _introspect(
        self,
        root: _SelectionGroup,
        fields: tuple[_CompiledField, ...],
        variables: dict[str, Any],
        errors: list[JSONObject],
    ) -> JSONObject:
        collected = root.collect(self.root_type)
        nodes = [
            node for f in fields if f.kind is _RAW for node in collected[f.response_key]
        ]
        operation = OperationDefinitionNode(
            operation=OperationType.QUERY,
            variable_definitions=self.operation.variable_definitions,
            directives=(),
            selection_set=SelectionSetNode(selections=tuple(nodes)),
        )
        document = DocumentNode(
            definitions=(operation, *self.fragments.values()),
        )
        # The API schema declares @defer, which graphql-core executes only through
        # its incremental entry point; introspection is answered whole (the
        # initial result, were a client to defer part of `__schema`).
        outcome = experimental_execute_incrementally(
            self.schema, document, variable_values=variables
        )
        # Introspection resolves synchronously: never awaitable.
        assert not isawaitable(outcome)
        result = (
            outcome.initial_result
            if isinstance(outcome, ExperimentalIncrementalExecutionResults)
            else outcome
        )
        errors.extend(dict(error.formatted) for error in result.errors or ())
        return result.data or {}


class _Completion:
    """CompleteValue over merged JSON for one request; collects null errors."""

    __slots__ = ("_error_paths", "errors", "schema")

    def __init__(self, schema: GraphQLSchema, errors: list[JSONObject]) -> None:
        self.schema = schema
        self.errors = errors
        self._error_paths: (
            tuple[set[tuple[str | int, ...]], set[tuple[str | int, ...]]] | None
        ) = None

    def complete_object(
        self,
        fields: tuple[_CompiledField, ...],
        type_name: str,
        value: JSONObject,
        path: _Path,
    ) -> JSONObject | None:
        out: JSONObject = {}
        for field in fields:
            key = field.response_key
            kind = field.kind
            if kind is _TYPENAME:
                out[key] = type_name
                continue
            raw = value.get(key)
            if kind is _SCALAR and raw is not None:
                out[key] = raw
                continue
            if kind is _RAW:
                out[key] = raw
                continue
            completed = self._complete(field, raw, 0, (path, key))
            if completed is None and field.non_null:
                return None
            out[key] = completed
        return out

    def _complete(
        self, field: _CompiledField, value: JSON, depth: int, path: _Path
    ) -> JSON:
        wrappers = field.wrappers
        # Non-null wrappers only check; stepping over them in a loop keeps the
        # recursion to one call per list level and per object.
        while depth < len(wrappers) and wrappers[depth] is _NON_NULL:
            if value is None:
                self._null_error(field, path)
                return None
            depth += 1
        if depth < len(wrappers):
            if value is None:
                return None
            if type(value) is not list:
                self._invalid(field, path, "non-list value")
                return None
            item_non_null = depth + 1 < len(wrappers) and (
                wrappers[depth + 1] is _NON_NULL
            )
            items: list[JSON] = []
            for index, item in enumerate(value):
                completed = self._complete(field, item, depth + 1, (path, index))
                if completed is None and item_non_null:
                    return None
                items.append(completed)
            return items
        if value is None or field.kind is _LEAF or field.kind is _SCALAR:
            return value
        if field.kind is _ENUM:
            # A list or object is no enum value (and cannot be looked up in a set).
            if type(value) is str and value in field.enum_values:
                return value
            self._enum_error(field, value, path)
            return None
        if type(value) is not dict:
            self._invalid(field, path, "non-object value")
            return None
        type_name = field.type_name
        possible = field.possible_types
        if possible is not None:
            runtime = value.get("__typename")
            if type(runtime) is not str or (
                runtime not in possible
                and not is_composite_type(self.schema.type_map.get(runtime))
            ):
                # Another object type of the API schema has no fields here, and an
                # @interfaceObject's objects may keep the interface's name (as in
                # Apollo's result shaping); a name the API schema does not know is
                # the subgraph's or ours to explain.
                self._invalid(field, path, "__typename")
                return None
            type_name = runtime
        group = field.group
        assert group is not None
        fields = group.by_type.get(type_name) or group.fields_for(type_name)
        if possible is not None and type_name not in possible:
            if any(f.kind is _TYPENAME for f in fields) and not is_object_type(
                self.schema.type_map.get(type_name)
            ):
                # The client asks for the object's type and only its interface is
                # known (its owner never answered): no valid `__typename` to give.
                self._invalid(field, path, "__typename")
                return None
        return self.complete_object(fields, type_name, value, path)

    def _enum_error(self, field: _CompiledField, value: JSON, path: _Path) -> None:
        self.errors.append(
            {
                "message": f'Enum "{field.type_name}" cannot represent value: '
                f"{orjson.dumps(value).decode()}",
                "path": list(_flatten(path)),
                "extensions": {"code": "INTERNAL_SERVER_ERROR"},
            }
        )
        if self._error_paths is not None:
            self._error_paths[0].add(_flatten(path))

    def _invalid(self, field: _CompiledField, path: _Path, what: str) -> None:
        """A value the merged data cannot hold here: never a null without an error
        (Apollo's result shaping answers INVALID_GRAPHQL likewise)."""
        flat = _flatten(path)
        if self._covered(flat):
            return
        self.errors.append(
            {
                "message": f"Invalid {what} found for field "
                f"{field.parent_name}.{field.field_name}.",
                "path": list(flat),
                "extensions": {"code": "INVALID_GRAPHQL"},
            }
        )

    def _null_error(self, field: _CompiledField, path: _Path) -> None:
        flat = _flatten(path)
        if self._covered(flat):
            return
        self.errors.append(
            {
                "message": "Cannot return null for non-nullable field "
                f"{field.parent_name}.{field.field_name}.",
                "path": list(flat),
                "extensions": {"code": "NON_NULLABLE_FIELD_IS_NULL"},
            }
        )

    def _covered(self, path: tuple[str | int, ...]) -> bool:
        # An error already at, above or below this path explains the null.
        if self._error_paths is None:
            exact: set[tuple[str | int, ...]] = set()
            prefixes: set[tuple[str | int, ...]] = set()
            for error in self.errors:
                error_path = tuple(error.get("path") or ())
                if error_path:
                    exact.add(error_path)
                    prefixes.update(
                        error_path[:end] for end in range(1, len(error_path) + 1)
                    )
            self._error_paths = (exact, prefixes)
        exact, prefixes = self._error_paths
        covered = path in prefixes or any(
            path[:end] in exact for end in range(1, len(path))
        )
        exact.add(path)
        prefixes.update(path[:end] for end in range(1, len(path) + 1))
        return covered


def _flatten(path: _Path) -> tuple[str | int, ...]:
    keys: list[str | int] = []
    while path is not None:
        path, key = path
        keys.append(key)
    keys.reverse()
    return tuple(keys)


def _unwrap(
    type_: GraphQLOutputType,
) -> tuple[tuple[_Wrapper, ...], GraphQLNamedOutputType]:
    wrappers: list[_Wrapper] = []
    while True:
        if isinstance(type_, GraphQLNonNull):
            wrappers.append(_NON_NULL)
        elif isinstance(type_, GraphQLList):
            wrappers.append(_LIST)
        else:
            return tuple(wrappers), type_
        type_ = type_.of_type


def _should_include(node: SelectionNode, variables: dict[str, Any]) -> bool:
    """@skip / @include (spec 6.3.2 CollectFields steps 3.a-3.b)."""
    for directive in node.directives or ():
        name = directive.name.value
        if name not in ("skip", "include"):
            continue
        condition = _if_argument(directive, variables)
        if (name == "skip") == condition:
            return False
    return True


def _if_argument(directive: DirectiveNode, variables: dict[str, Any]) -> bool:
    for argument in directive.arguments or ():
        if argument.name.value != "if":
            continue
        value = argument.value
        if isinstance(value, VariableNode):
            return variables.get(value.name.value) is True
        return isinstance(value, BooleanValueNode) and value.value
    return False


class _ConditionVariables(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def enter_directive(self, node: DirectiveNode, *_: object) -> None:
        if node.name.value not in ("skip", "include", DEFER):
            return
        for argument in node.arguments or ():
            value = argument.value
            if isinstance(value, VariableNode) and value.name.value not in self.names:
                self.names.append(value.name.value)


def _condition_variables(document: DocumentNode) -> tuple[str, ...]:
    visitor = _ConditionVariables()
    visit(document, visitor)
    return tuple(visitor.names)


class _Fragments(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[InlineFragmentNode | FragmentSpreadNode] = []

    def enter_inline_fragment(self, node: InlineFragmentNode, *_: object) -> None:
        if node.directives:
            self.found.append(node)

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: object) -> None:
        if node.directives:
            self.found.append(node)


def _fragments_with_directives(
    document: DocumentNode,
) -> list[InlineFragmentNode | FragmentSpreadNode]:
    visitor = _Fragments()
    visit(document, visitor)
    return visitor.found
