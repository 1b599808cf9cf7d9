"""Demand control: the static estimated cost of an operation.

The IBM GraphQL Cost Directive spec as the Apollo Router implements it
(`plugins/demand_control/cost_calculator/static_cost.rs`): a field returning an object,
interface or union costs 1, a scalar or enum 0, unless `@cost(weight:)` on the field
(else on its type) says otherwise; a list field multiplies the cost of its selection by
its size, taken from `@listSize` (`slicingArguments` from the request, else
`assumedSize`) or else the configured default list size; arguments add the cost of
their input values (input objects 1, `@cost` on arguments, input fields and their
types) once, not per list element. A mutation adds 10 per root field.

Where this differs from the router, on purpose:
- The router costs the subgraph fetches of the query plan; this costs the client's
  operation against the supergraph before planning (no `@requires` selections, no
  `_entities` fetches), fragments counted as if inlined.
- A field without `@listSize` that has an Int `first`, `last` or `limit` argument is
  read as `@listSize(slicingArguments: [those], sizedFields: ["edges", "nodes"],
  requireOneSlicingArgument: false)`: a list field takes its size from them, a Relay
  connection its `edges` and `nodes`; an argument's default value counts when the
  request does not give it (or gives a variable it did not send).
- `requireOneSlicingArgument` is not enforced (the router refuses the request): the
  largest given slicing value counts, else `assumedSize`, else the default list size.
- A negative list size counts as 0, and every figure saturates at 2**53 - 1.
- A mutation costs 10 per root field, as the router's plan does when each goes to
  its own fetch (the router charges 10 per mutation fetch).
- Introspection fields (`__typename`, `__schema`, `__type`) cost 0: the gateway answers
  them itself, and the router's plan never sends them to a subgraph. Their shape is
  bounded by the depth and height limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    OperationType,
    Undefined,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
    value_from_ast_untyped,
)

from ..supergraph import linked_features, parse_field_set
from ._walk import (
    SATURATION,
    fragment_definitions,
    literally_skipped,
    resolve,
    root_response_names,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from graphql import (
        ConstDirectiveNode,
        DefinitionNode,
        FragmentDefinitionNode,
        GraphQLArgument,
        GraphQLField,
        GraphQLInputField,
        GraphQLNamedType,
        GraphQLSchema,
        OperationDefinitionNode,
        SelectionSetNode,
        ValueNode,
    )

    from ..supergraph import Supergraph

__all__ = [
    "DEFAULT_LIST_SIZE",
    "MUTATION_WEIGHT",
    "CostModel",
    "estimate_cost",
]

DEFAULT_LIST_SIZE = 10
MUTATION_WEIGHT = 10
_SLICING_ARGUMENTS = ("first", "last", "limit")
_CONNECTION_LISTS = ("edges", "nodes")


@dataclass(frozen=True, slots=True, eq=False)
class _SizedFields:
    """A `sizedFields` tree: `leaves` take the list size, `children` lead deeper
    (`"results { page }"`). Compared by identity, so it keys fragment memos cheaply."""

    leaves: frozenset[str]
    children: Mapping[str, _SizedFields]


@dataclass(frozen=True, slots=True)
class _ListSize:
    """One `@listSize` (or the implied one of a `first`/`last`/`limit` field)."""

    assumed_size: int | None
    slicing: tuple[tuple[str, ...], ...]  # dotted paths, split
    sized_fields: _SizedFields | None


@dataclass(frozen=True, slots=True)
class _InputCost:
    """An argument or input field: its `@cost` (else its type's) and its type."""

    weight: int | None
    type_name: str
    is_input_object: bool
    default: object = Undefined

    @property
    def varies(self) -> bool:
        """Whether a value here can cost something, so a variable here matters."""
        return self.is_input_object or bool(self.weight)


@dataclass(frozen=True, slots=True)
class _FieldCost:
    weight: int
    type_name: str
    is_list: bool
    list_sizes: tuple[_ListSize, ...]
    arguments: Mapping[str, _InputCost]


# A list size in force below a field: the size and the sizedFields it applies to.
_Sizing = tuple[int | None, _SizedFields]
# (the enclosing field's own sizings, the ones descended from further up)
_Context = tuple[tuple[_Sizing, ...], tuple[_Sizing, ...]]
_NO_CONTEXT: _Context = ((), ())


@dataclass(frozen=True, slots=True, eq=False)
class CostModel:
    """`@cost` and `@listSize` of a supergraph read once into lookup tables.

    Build with `CostModel.from_supergraph` at start-up and share it; estimating reads
    it and never changes it. Compared and hashed by identity (one per supergraph).
    """

    fields: Mapping[str, Mapping[str, _FieldCost]]
    inputs: Mapping[str, Mapping[str, _InputCost]]
    root_types: Mapping[OperationType, str]
    default_list_size: int = DEFAULT_LIST_SIZE

    @classmethod
    def from_supergraph(
        cls, supergraph: Supergraph, *, default_list_size: int = DEFAULT_LIST_SIZE
    ) -> CostModel:
        """Read the cost spec's directives (under their linked names) from the
        supergraph schema. Raises SupergraphError for a `sizedFields` entry that is
        not a selection."""
        schema = supergraph.schema
        cost, list_size = _directive_names(schema)
        reader = _Reader(cost, list_size)
        fields: dict[str, dict[str, _FieldCost]] = {}
        inputs: dict[str, dict[str, _InputCost]] = {}
        for name, named in schema.type_map.items():
            if name.startswith("__"):
                continue
            if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
                fields[name] = {
                    field_name: reader.field(field, named)
                    for field_name, field in named.fields.items()
                }
            elif isinstance(named, GraphQLInputObjectType):
                inputs[name] = {
                    field_name: reader.input(field)
                    for field_name, field in named.fields.items()
                }
        root_types = {
            operation: root.name
            for operation, root in (
                (OperationType.QUERY, schema.query_type),
                (OperationType.MUTATION, schema.mutation_type),
                (OperationType.SUBSCRIPTION, schema.subscription_type),
            )
            if root is not None
        }
        return cls(fields, inputs, root_types, default_list_size)

    def depends_on_variables(
        self, document: DocumentNode, operation: OperationDefinitionNode
    ) -> bool:
        """Whether `estimate_cost` of this operation can change with the variables.

        True when a variable gives a slicing argument (or part of one), or an argument
        value that can cost something (an input object, or an argument, input field or
        type with a `@cost`). When False, the estimate can be cached per operation.
        """
        return bool(self.variables_read(document, operation))

    def variables_read(
        self, document: DocumentNode, operation: OperationDefinitionNode
    ) -> frozenset[str]:
        """The variables whose values `estimate_cost` of this operation reads: an
        estimate can be cached by the operation and these values alone."""
        fragments = fragment_definitions(document)
        root = self.root_types.get(operation.operation)
        if root is None:
            return frozenset()
        read: set[str] = set()
        stack: list[tuple[SelectionSetNode, str]] = [(operation.selection_set, root)]
        visited: set[str] = set()
        while stack:
            selection_set, parent = stack.pop()
            parent_fields = self.fields.get(parent, {})
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    field = parent_fields.get(selection.name.value)
                    if field is None:
                        continue
                    self._argument_variables(selection, field, read)
                    if selection.selection_set is not None:
                        stack.append((selection.selection_set, field.type_name))
                elif isinstance(selection, InlineFragmentNode):
                    condition = selection.type_condition
                    stack.append(
                        (
                            selection.selection_set,
                            condition.name.value if condition else parent,
                        )
                    )
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = fragments.get(name)
                    if fragment is not None and name not in visited:
                        visited.add(name)
                        condition_name = fragment.type_condition.name.value
                        stack.append((fragment.selection_set, condition_name))
        return frozenset(read)

    def _argument_variables(
        self, node: FieldNode, field: _FieldCost, read: set[str]
    ) -> None:
        slicing = {path[0] for size in field.list_sizes for path in size.slicing}
        for argument in node.arguments or ():
            name = argument.name.value
            if name in slicing:
                _variable_names(argument.value, read)
            definition = field.arguments.get(name)
            if definition is not None:
                self._varying_variables(argument.value, definition, read)

    def _varying_variables(
        self, value: ValueNode, definition: _InputCost, read: set[str]
    ) -> None:
        if isinstance(value, VariableNode):
            if definition.varies:
                read.add(value.name.value)
        elif isinstance(value, ListValueNode):
            for element in value.values:
                self._varying_variables(element, definition, read)
        elif isinstance(value, ObjectValueNode):
            input_fields = self.inputs.get(definition.type_name, {})
            for entry in value.fields:
                inner = input_fields.get(entry.name.value)
                if inner is not None:
                    self._varying_variables(entry.value, inner, read)


def estimate_cost(
    model: CostModel,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Mapping[str, object] | None = None,
    *,
    default_list_size: int | None = None,
) -> int:
    """The static estimated cost of `operation` of the validated `document`.

    `variables` are the request's coerced variable values; `default_list_size`
    overrides the model's for this estimate (a per-client setting). Linear in the
    document: each fragment is costed once per list-size context it is spread in
    (one, unless it sits under a `@listSize(sizedFields:)` field). Unknown fields and
    fragments (an invalid document) cost 0; an operation type the schema does not
    define costs 0.
    """
    root = model.root_types.get(operation.operation)
    if root is None:
        return 0
    fragments = fragment_definitions(document)
    estimate = _Estimate(
        model,
        fragments,
        variables or {},
        model.default_list_size if default_list_size is None else default_list_size,
        operation.selection_set,
        root,
    )
    cost = resolve((None, _NO_CONTEXT), estimate.compute, estimate.memo)
    if operation.operation is OperationType.MUTATION:
        roots = len(root_response_names(operation.selection_set, fragments))
        cost += MUTATION_WEIGHT * roots
    return min(cost, SATURATION)


class _Estimate:
    """One estimate: the cost of the operation (name None) and of each fragment, per
    list-size context."""

    def __init__(
        self,
        model: CostModel,
        fragments: dict[str, FragmentDefinitionNode],
        variables: Mapping[str, object],
        default_list_size: int,
        operation: SelectionSetNode,
        root: str,
    ) -> None:
        self.fields = model.fields
        self.inputs = model.inputs
        self.fragments = fragments
        self.variables = variables
        self.default_list_size = max(default_list_size, 0)
        self.operation = operation
        self.root = root
        self.memo: dict[tuple[str | None, _Context], int] = {}
        self.missing: list[tuple[str | None, _Context]] = []

    def compute(
        self, key: tuple[str | None, _Context]
    ) -> tuple[int, Iterable[tuple[str | None, _Context]]]:
        self.missing = []
        name, context = key
        if name is None:
            cost = self.selection_set(self.operation, self.root, context)
        else:
            fragment = self.fragments[name]
            condition = fragment.type_condition.name.value
            cost = self.selection_set(fragment.selection_set, condition, context)
        return min(cost, SATURATION), self.missing

    def selection_set(
        self, selection_set: SelectionSetNode, parent: str, context: _Context
    ) -> int:
        cost = 0
        parent_fields = self.fields.get(parent)
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if parent_fields is not None:
                    cost += self.field(selection, parent_fields, context)
                continue
            if selection.directives and literally_skipped(selection.directives):
                continue
            if isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                cost += self.selection_set(
                    selection.selection_set,
                    condition.name.value if condition else parent,
                    context,
                )
            elif isinstance(selection, FragmentSpreadNode):
                key = (selection.name.value, context)
                known = self.memo.get(key)
                if known is not None:
                    cost += known
                elif key[0] in self.fragments:
                    self.missing.append(key)
        return cost

    def field(
        self,
        node: FieldNode,
        parent_fields: Mapping[str, _FieldCost],
        context: _Context,
    ) -> int:
        name = node.name.value
        field = parent_fields.get(name)
        # Introspection fields are not in the tables: they cost 0 (module docstring).
        if field is None:
            return 0
        if node.directives and literally_skipped(node.directives):
            return 0
        selection_set = node.selection_set
        if context is _NO_CONTEXT and not field.list_sizes:
            # Most fields: no list size from the schema or from above.
            cost = field.weight
            if selection_set is not None:
                cost += self.selection_set(selection_set, field.type_name, context)
            if field.is_list:
                cost *= self.default_list_size
        else:
            cost = self._sized_field(node, field, context)
        if node.arguments:
            cost += self._arguments_cost(node, field)
        return cost if cost < SATURATION else SATURATION

    def _sized_field(
        self, node: FieldNode, field: _FieldCost, context: _Context
    ) -> int:
        """A field with a `@listSize`, or below one with `sizedFields`."""
        name = node.name.value
        upstream: int | None = None
        descended: tuple[_Sizing, ...] = ()
        if context is not _NO_CONTEXT:
            parents, inherited = context
            upstream = _size_of(parents, name)
            if upstream is None:
                upstream = _size_of(inherited, name)
            descended = tuple(
                (size, below)
                for size, sized in parents + inherited
                if (below := sized.children.get(name)) is not None
            )
        own = tuple(
            (self._expected_size(size, node, field), size.sized_fields)
            for size in field.list_sizes
        )
        count = 1
        if field.is_list:
            if upstream is not None:
                count = upstream
            else:
                sizes = [s for s, _ in own if s is not None]
                sizes += [s for s, _ in descended if s is not None]
                count = max(sizes) if sizes else self.default_list_size
        cost = field.weight
        if node.selection_set is not None:
            sized = tuple((s, f) for s, f in own if f is not None)
            child: _Context = (sized, descended) if sized or descended else _NO_CONTEXT
            cost += self.selection_set(node.selection_set, field.type_name, child)
        return count * cost

    def _arguments_cost(self, node: FieldNode, field: _FieldCost) -> int:
        cost = 0
        for argument in node.arguments or ():
            definition = field.arguments.get(argument.name.value)
            if definition is not None:
                cost += self._value_cost(argument.value, definition)
        return cost

    def _expected_size(
        self, size: _ListSize, node: FieldNode, field: _FieldCost
    ) -> int | None:
        if not size.slicing:
            return size.assumed_size
        given = [
            s
            for path in size.slicing
            if (s := self._slicing_value(path, node, field)) is not None
        ]
        return max(given) if given else size.assumed_size

    def _slicing_value(
        self, path: tuple[str, ...], node: FieldNode, field: _FieldCost
    ) -> int | None:
        head, rest = path[0], path[1:]
        definition = field.arguments.get(head)
        default = definition.default if definition is not None else Undefined
        value: ValueNode | None = None
        for argument in node.arguments or ():
            if argument.name.value == head:
                value = argument.value
                break
        # Into an object literal as far as the path goes, then to Python values.
        while rest and isinstance(value, ObjectValueNode):
            inner = rest[0]
            value = next((f.value for f in value.fields if f.name.value == inner), None)
            rest = rest[1:]
            default = Undefined
        if value is None:
            python: object = default
        elif isinstance(value, VariableNode):
            python = self.variables.get(value.name.value, default)
        elif isinstance(value, IntValueNode):
            python = int(value.value)
        elif isinstance(value, ListValueNode):
            python = list(value.values)
        else:
            return None
        for step in rest:
            if not isinstance(python, dict):
                return None
            python = python.get(step)
        return _size(python)

    def _value_cost(self, value: ValueNode, definition: _InputCost) -> int:
        weight = definition.weight
        if isinstance(value, VariableNode):
            name = value.name.value
            if name not in self.variables:
                return 0
            return self._python_cost(self.variables[name], definition)
        if isinstance(value, NullValueNode):
            return 0
        if isinstance(value, ObjectValueNode) and definition.is_input_object:
            cost = 1 if weight is None else weight
            input_fields = self.inputs.get(definition.type_name, {})
            for item in value.fields:
                inner = input_fields.get(item.name.value)
                if inner is not None:
                    cost += self._value_cost(item.value, inner)
            return min(cost, SATURATION)
        if isinstance(value, ListValueNode):
            cost = weight or 0
            for element in value.values:
                cost += self._value_cost(element, definition)
            return min(cost, SATURATION)
        return weight or 0

    def _python_cost(self, value: object, definition: _InputCost) -> int:
        weight = definition.weight
        if value is None:
            return 0
        if isinstance(value, dict) and definition.is_input_object:
            cost = 1 if weight is None else weight
            input_fields = self.inputs.get(definition.type_name, {})
            for name, item in value.items():
                inner = input_fields.get(name)
                if inner is not None:
                    cost += self._python_cost(item, inner)
            return min(cost, SATURATION)
        if isinstance(value, list | tuple):
            cost = weight or 0
            for item in value:
                cost += self._python_cost(item, definition)
            return min(cost, SATURATION)
        return weight or 0


def _size_of(sizings: tuple[_Sizing, ...], name: str) -> int | None:
    found = [s for s, sized in sizings if s is not None and name in sized.leaves]
    return max(found) if found else None


def _size(value: object) -> int | None:
    """A list size from a slicing value: an Int, or the length of a list."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return min(max(value, 0), SATURATION)
    if isinstance(value, list | tuple):
        return len(value)
    return None


def _variable_names(value: ValueNode, read: set[str]) -> None:
    if isinstance(value, VariableNode):
        read.add(value.name.value)
    elif isinstance(value, ListValueNode):
        for element in value.values:
            _variable_names(element, read)
    elif isinstance(value, ObjectValueNode):
        for entry in value.fields:
            _variable_names(entry.value, read)


def _directive_names(schema: GraphQLSchema) -> tuple[str | None, str | None]:
    """The local names of `@cost` and `@listSize`: as the cost spec is linked, else
    directives of those names if the schema defines them, else None."""
    nodes = (schema.ast_node, *schema.extension_ast_nodes)
    # graphql-core types a schema extension apart from DefinitionNode; both are read.
    definitions = cast("tuple[DefinitionNode, ...]", tuple(n for n in nodes if n))
    document = DocumentNode(definitions=definitions)
    for feature in linked_features(document):
        if feature.is_apollo_spec and feature.name == "cost":
            return feature.directive_name("cost"), feature.directive_name("listSize")
    cost = "cost" if schema.get_directive("cost") is not None else None
    list_size = "listSize" if schema.get_directive("listSize") is not None else None
    return cost, list_size


class _Reader:
    """Reads the cost directives of the schema's elements into the tables."""

    def __init__(self, cost: str | None, list_size: str | None) -> None:
        self.cost = cost
        self.list_size = list_size
        self.type_weights: dict[str, int | None] = {}

    def field(
        self,
        field: GraphQLField,
        parent: GraphQLObjectType | GraphQLInterfaceType,
    ) -> _FieldCost:
        named = get_named_type(field.type)
        is_list = is_list_type(get_nullable_type(field.type))
        weight = self._weight(_directives(field.ast_node))
        if weight is None:
            weight = self._type_weight(named)
        if weight is None:
            composite = (GraphQLObjectType, GraphQLInterfaceType, GraphQLUnionType)
            weight = 1 if isinstance(named, composite) else 0
        arguments = {name: self.input(arg) for name, arg in field.args.items()}
        list_sizes = self._list_sizes(field)
        if not list_sizes:
            list_sizes = _implied_list_size(field, named, is_list)
        return _FieldCost(weight, named.name, is_list, list_sizes, arguments)

    def input(self, value: GraphQLArgument | GraphQLInputField) -> _InputCost:
        named = get_named_type(value.type)
        weight = self._weight(_directives(value.ast_node))
        if weight is None:
            weight = self._type_weight(named)
        # The default as written in the SDL (graphql-core 3.3 moved `default_value`).
        node = value.ast_node
        written = node.default_value if node is not None else None
        return _InputCost(
            weight,
            named.name,
            isinstance(named, GraphQLInputObjectType),
            Undefined if written is None else value_from_ast_untyped(written),
        )

    def _type_weight(self, named: GraphQLNamedType) -> int | None:
        if named.name not in self.type_weights:
            nodes = [named.ast_node, *named.extension_ast_nodes]
            directives = [d for node in nodes for d in _directives(node)]
            self.type_weights[named.name] = self._weight(directives)
        return self.type_weights[named.name]

    def _weight(self, directives: Iterable[ConstDirectiveNode]) -> int | None:
        for directive in directives:
            if directive.name.value != self.cost:
                continue
            for argument in directive.arguments or ():
                if argument.name.value == "weight" and isinstance(
                    argument.value, IntValueNode
                ):
                    return int(argument.value.value)
        return None

    def _list_sizes(self, field: GraphQLField) -> tuple[_ListSize, ...]:
        sizes: list[_ListSize] = []
        for directive in _directives(field.ast_node):
            if directive.name.value != self.list_size:
                continue
            args = {
                argument.name.value: value_from_ast_untyped(argument.value)
                for argument in directive.arguments or ()
            }
            assumed = args.get("assumedSize")
            slicing = args.get("slicingArguments")
            sized = args.get("sizedFields")
            sizes.append(
                _ListSize(
                    assumed_size=assumed if isinstance(assumed, int) else None,
                    slicing=tuple(
                        tuple(str(path).split("."))
                        for path in (slicing if isinstance(slicing, list) else ())
                    ),
                    sized_fields=(
                        _sized_fields([str(entry) for entry in sized])
                        if isinstance(sized, list) and sized
                        else None
                    ),
                )
            )
        return tuple(sizes)


def _implied_list_size(
    field: GraphQLField, named: GraphQLNamedType, is_list: bool
) -> tuple[_ListSize, ...]:
    """`first`/`last`/`limit` read as slicing arguments (module docstring)."""
    slicing = tuple(
        (name,)
        for name in _SLICING_ARGUMENTS
        if name in field.args
        and getattr(get_named_type(field.args[name].type), "name", None) == "Int"
    )
    if not slicing:
        return ()
    if is_list:
        return (_ListSize(None, slicing, None),)
    if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
        return ()
    leaves = frozenset(
        name
        for name in _CONNECTION_LISTS
        if name in named.fields
        and is_list_type(get_nullable_type(named.fields[name].type))
    )
    if not leaves:
        return ()
    return (_ListSize(None, slicing, _SizedFields(leaves, {})),)


def _sized_fields(entries: list[str]) -> _SizedFields:
    """The tree of `sizedFields` entries such as `"edges"` or `"results { page }"`."""
    return _sized_tree([parse_field_set(entry) for entry in entries])


def _sized_tree(selection_sets: list[SelectionSetNode]) -> _SizedFields:
    leaves: set[str] = set()
    nested: dict[str, list[SelectionSetNode]] = {}
    for selection_set in selection_sets:
        for selection in selection_set.selections:
            if not isinstance(selection, FieldNode):
                continue
            if selection.selection_set is None:
                leaves.add(selection.name.value)
            else:
                nested.setdefault(selection.name.value, []).append(
                    selection.selection_set
                )
    # A name that leads deeper is not itself sized (the router's rule).
    return _SizedFields(
        frozenset(leaves - nested.keys()),
        {name: _sized_tree(sets) for name, sets in nested.items()},
    )


def _directives(node: object) -> tuple[ConstDirectiveNode, ...]:
    if node is None:
        return ()
    return cast("tuple[ConstDirectiveNode, ...]", getattr(node, "directives", ()) or ())
