"""Turn a fetch graph into plan nodes (Apollo Federation query plan shape).

Steps run in waves: a step runs after every step it depends on. Queries run each wave
as a Parallel node and the waves as a Sequence; mutations run their root steps one
after the other (GraphQL spec §6.2.2, "Mutation"), each followed by the entity steps
that hang off it; a subscription's root step is the primary fetch and the rest runs
once per event.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
    OperationType,
    VariableNode,
    print_ast,
)

from ..errors import PlanningError
from ._field_conflicts import alias_conflicting_fields
from ._print import print_operation
from ._selections import FieldSel, FragmentSel, Sel
from .budget import FETCH_STEPS, PlanningBudget
from .fetch_graph import FetchStep, wave_depths
from .plan import (
    ConditionNode,
    ContextValue,
    DeferNode,
    DeferredNode,
    EntityBatchNode,
    FetchNode,
    FieldSelection,
    FlattenNode,
    InlineFragmentSelection,
    ParallelNode,
    QueryPlan,
    Selection,
    SequenceNode,
    SubscriptionNode,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from graphql import GraphQLSchema

    from ..supergraph import Supergraph
    from .budget import BudgetMeter
    from .fetch_graph import FetchGraph
    from .normalize import NormalizedOperation
    from .plan import PlanNode

__all__ = ["build_query_plan"]

_REPRESENTATIONS = "representations"
_NOT_NAME = re.compile(r"[^_0-9A-Za-z]")


def build_query_plan(
    supergraph: Supergraph,
    operation: NormalizedOperation,
    graph: FetchGraph,
    meter: BudgetMeter | None = None,
) -> QueryPlan:
    """Order the steps of `graph` into a QueryPlan for `operation`; `meter` counts
    the fetches made into plan nodes and the lines of their operations
    (PlanningBudgetExceeded when it runs out)."""
    live = [s for s in graph.steps if _has_selections(s)]
    if not live and not graph.defers:
        return QueryPlan(node=None)
    printer = _FetchPrinter(supergraph, operation, meter or PlanningBudget().start())
    primary = _primary(operation, [s for s in live if s.defer is None], printer)
    if not graph.defers:
        return QueryPlan(primary)
    deferred = []
    for index, use in enumerate(graph.defers):
        mine = [s for s in live if s.defer == index]
        deferral = use.directive
        deferred.append(
            DeferredNode(
                id=deferral.ordinal,
                label=deferral.label,
                condition=deferral.condition,
                path=use.path,
                type_name=use.type_name,
                parent=use.parent,
                node=_waves(mine, wave_depths(mine), printer),
            )
        )
    return QueryPlan(DeferNode(primary, tuple(deferred)))


def _primary(
    operation: NormalizedOperation, steps: list[FetchStep], printer: _FetchPrinter
) -> PlanNode | None:
    """The plan node of the primary response's (or the only) steps."""
    if not steps:
        return None
    depth = wave_depths(steps)
    roots = [s for s in steps if not s.is_entity]
    rest = [s for s in steps if s.is_entity]
    if operation.kind is OperationType.SUBSCRIPTION:
        if len(roots) != 1 or roots[0].condition is not None:
            raise PlanningError("A subscription must be served by one subgraph.")
        first = printer.fetch(roots[0])
        return SubscriptionNode(first, _waves(rest, depth, printer))
    if operation.kind is OperationType.MUTATION:
        owner = _root_owner(steps, roots)
        nodes: list[PlanNode] = []
        for root in roots:
            nodes.append(printer.node(root))
            mine = [s for s in rest if owner[s.id] == root.id]
            wave = _waves(mine, depth, printer)
            if isinstance(wave, SequenceNode):
                nodes += wave.nodes
            elif wave is not None:
                nodes.append(wave)
        return nodes[0] if len(nodes) == 1 else SequenceNode(tuple(nodes))
    return _waves(steps, depth, printer)


def _has_selections(step: FetchStep) -> bool:
    if step.is_entity:
        return any(step.entity_selections.values())
    return bool(step.root_selections)


def _root_owner(steps: list[FetchStep], roots: list[FetchStep]) -> dict[int, int]:
    """The last root step (in mutation order) each step depends on."""
    order = {r.id: i for i, r in enumerate(roots)}
    owner: dict[int, int] = {}
    for step in steps:
        if step.id in order:
            owner[step.id] = step.id
            continue
        found = [owner[d] for d in step.depends_on if d in owner]
        owner[step.id] = max(found, key=lambda r: order[r]) if found else roots[0].id
    return owner


def _waves(
    steps: list[FetchStep], depth: dict[int, int], printer: _FetchPrinter
) -> PlanNode | None:
    if not steps:
        return None
    levels = sorted({depth[s.id] for s in steps})
    waves: list[PlanNode] = []
    for level in levels:
        printer.meter.tick(len(steps))
        wave = [s for s in steps if depth[s.id] == level]
        nodes = tuple(printer.node(s) for s in wave)
        if len(nodes) == 1:
            waves.append(nodes[0])
        else:
            waves.append(ParallelNode(nodes, printer.batched(wave, nodes)))
    return waves[0] if len(waves) == 1 else SequenceNode(tuple(waves))


def _selections_key(selections: list[Sel]) -> tuple[object, ...]:
    """Equal for two selection trees exactly when they print alike."""
    return tuple(
        (
            sel.merge_key(),
            None if sel.selections is None else _selections_key(sel.selections),
        )
        if isinstance(sel, FieldSel)
        else (sel.merge_key(), _selections_key(sel.selections))
        for sel in selections
    )


class _FetchPrinter:
    """Prints steps as FetchNodes, numbering subgraph operations in plan order."""

    def __init__(
        self,
        supergraph: Supergraph,
        operation: NormalizedOperation,
        meter: BudgetMeter,
    ) -> None:
        self.supergraph = supergraph
        self.operation = operation
        self.meter = meter
        self.definitions = {
            d.variable.name.value: print_ast(d) for d in operation.variable_definitions
        }
        self.count = 0
        # Step id -> the number its subgraph operation's name got.
        self.numbers: dict[int, int] = {}

    def batched(
        self, wave: list[FetchStep], nodes: tuple[PlanNode, ...]
    ) -> tuple[PlanNode | EntityBatchNode, ...] | None:
        """`nodes` (one per step of `wave`) with the entity fetches to one subgraph
        merged into EntityBatchNodes where they can share a request, or None.

        Members must be plain entity fetches (no condition, @fromContext or input
        rewrite) on object types (not @interfaceObject) only, so that a
        representation's `__typename` picks exactly its fragment; two members
        selecting on the same type must select, and require, alike.
        """
        buckets: list[tuple[list[int], dict[str, tuple[object, ...]]]] = []
        for index, step in enumerate(wave):
            signature = self._batch_signature(step)
            if signature is None:
                continue
            for members, types in buckets:
                first = wave[members[0]]
                if (first.subgraph, first.defer) != (step.subgraph, step.defer):
                    continue
                if all(types.get(t, key) == key for t, key in signature.items()):
                    members.append(index)
                    types.update(signature)
                    break
            else:
                buckets.append(([index], dict(signature)))
        merged = [members for members, _ in buckets if len(members) > 1]
        if not merged:
            return None
        result: list[PlanNode | EntityBatchNode] = []
        placed: dict[int, list[int]] = {members[0]: members for members in merged}
        skipped = {i for members in merged for i in members[1:]}
        for index, node in enumerate(nodes):
            if index in skipped:
                continue
            bucket = placed.get(index)
            result.append(node if bucket is None else self._batch(wave, bucket))
        return tuple(result)

    def _batch_signature(self, step: FetchStep) -> dict[str, tuple[object, ...]] | None:
        """Per type condition, what `step` selects and requires on it; None when
        the step cannot share a request."""
        if (
            not step.is_entity
            or step.condition is not None
            or step.context_values
            or step.input_rewrites
        ):
            return None
        schema = self.supergraph.schema
        signature: dict[str, tuple[object, ...]] = {}
        for type_name in step.entity_selections.keys() | step.requires.keys():
            join_type = self.supergraph.types.get(type_name)
            if not isinstance(schema.get_type(type_name), GraphQLObjectType):
                return None
            if join_type is not None and join_type.is_interface_object_in(
                step.subgraph
            ):
                return None
            signature[type_name] = (
                _selections_key(step.entity_selections.get(type_name) or []),
                _selections_key(step.requires.get(type_name) or []),
            )
        return signature

    def _batch(self, wave: list[FetchStep], members: list[int]) -> EntityBatchNode:
        steps = [wave[i] for i in members]
        first = steps[0]
        merged = FetchStep(
            id=first.id,
            subgraph=first.subgraph,
            operation_kind=OperationType.QUERY,
            response_path=first.response_path,
            is_entity=True,
            defer=first.defer,
        )
        for step in steps:
            for type_name, selections in step.entity_selections.items():
                merged.entity_selections.setdefault(type_name, selections)
            for type_name, selections in step.requires.items():
                merged.requires.setdefault(type_name, selections)
        schema = self.supergraph.schema
        entries = tuple(
            (
                step.response_path,
                tuple(
                    InlineFragmentSelection(type_name, _requires(sels, schema))
                    for type_name, sels in step.requires.items()
                ),
            )
            for step in steps
        )
        return EntityBatchNode(entries, self.fetch(merged, self.numbers[first.id]))

    def node(self, step: FetchStep) -> PlanNode:
        node: PlanNode = self.fetch(step)
        if step.is_entity:
            node = FlattenNode(step.response_path, node)
        if step.condition is not None:
            variable = _condition_variable(step)
            if step.condition.name.value == "include":
                node = ConditionNode(variable, node, None)
            else:
                node = ConditionNode(variable, None, node)
        return node

    def fetch(self, step: FetchStep, number: int | None = None) -> FetchNode:
        """`step` as a FetchNode, its operation named with the next number (or
        `number`, the one a batch's first member got)."""
        self.meter.tick(FETCH_STEPS)
        needs_typename = self._needs_typename(step.subgraph)
        if step.is_entity:
            fragments: list[Sel] = []
            for type_name, selections in step.entity_selections.items():
                if not selections:
                    continue
                join_type = self.supergraph.types.get(type_name)
                # An @interfaceObject answers its interface's name as `__typename`:
                # never let it overwrite the concrete type already merged.
                typed = needs_typename(type_name) and not (
                    join_type is not None
                    and join_type.is_interface_object_in(step.subgraph)
                )
                if typed and not any(
                    isinstance(s, FieldSel) and s.name == "__typename"
                    for s in selections
                ):
                    selections.insert(0, FieldSel("__typename"))
                fragments.append(FragmentSel(type_name, (), selections))
            selections = fragments
            heads: tuple[str, ...] = (
                f"_entities({_REPRESENTATIONS}: ${_REPRESENTATIONS}) {{",
            )
            kind = OperationType.QUERY
        else:
            selections = step.root_selections
            heads = ()
            kind = step.operation_kind
        root = self.supergraph.schema.get_root_type(kind)
        selections, output_rewrites = alias_conflicting_fields(
            self.supergraph,
            step.subgraph,
            selections,
            None if step.is_entity or root is None else root.name,
        )
        if number is None:
            number = self.count
            self.numbers[step.id] = number
            self.count += 1
        name = None
        if self.operation.name:
            # Subgraph names may hold characters a GraphQL Name cannot (`-`, `.`).
            service = _NOT_NAME.sub("_", step.subgraph)
            name = f"{self.operation.name}__{service}__{number}"

        contexts = step.context_values

        def declare(usages: list[str]) -> list[str]:
            declared = [self.definitions[u] for u in usages if u in self.definitions]
            declared += [f"${u}: {contexts[u][0]}" for u in usages if u in contexts]
            if step.is_entity:
                declared.insert(0, _REPRESENTATIONS_DEFINITION)
            return declared

        text, usages = print_operation(
            kind, name, selections, needs_typename, declare, heads
        )
        self.meter.tick(text.count("\n"))
        schema = self.supergraph.schema
        context_values = tuple(
            ContextValue(variable, levels, _requires(selection, schema))
            for variable, (_, levels, selection) in contexts.items()
            if variable in usages
        )
        usages = [u for u in usages if u not in contexts]
        return FetchNode(
            service_name=step.subgraph,
            operation=text,
            operation_kind=kind,
            variable_usages=tuple(usages),
            requires=tuple(
                InlineFragmentSelection(
                    type_name, _requires(sels, self.supergraph.schema)
                )
                for type_name, sels in step.requires.items()
            ),
            operation_name=name,
            input_rewrites=tuple(step.input_rewrites),
            output_rewrites=tuple(output_rewrites),
            context_values=context_values,
        )

    def _needs_typename(self, subgraph: str) -> Callable[[str | None], bool]:
        schema = self.supergraph.schema
        types = self.supergraph.types

        def needs(type_name: str | None) -> bool:
            if type_name is None:
                return False
            graphql_type = schema.type_map.get(type_name)
            if graphql_type is None or not _is_abstract(graphql_type):
                return False
            join_type = types.get(type_name)
            # A selection on an @interfaceObject type still needs `__typename` (it
            # feeds representations); its fetch is followed by one fixing it.
            return join_type is None or subgraph in join_type.graphs

        return needs


def _is_abstract(graphql_type: object) -> bool:
    return isinstance(graphql_type, GraphQLInterfaceType | GraphQLUnionType)


def _requires(
    selections: list[Sel],
    schema: GraphQLSchema,
    within: frozenset[str] | None = None,
) -> tuple[Selection, ...]:
    """The `requires` selections: the executor matches a type condition against the
    object's `__typename`, so a fragment on an abstract type becomes one per object
    type it may match (`within`: the object types still possible here)."""
    result: list[Selection] = []
    for sel in selections:
        if isinstance(sel, FieldSel):
            sub = () if sel.selections is None else _requires(sel.selections, schema)
            result.append(FieldSelection(sel.response_key, sub))
            continue
        if sel.type_condition is None:
            result.extend(_requires(sel.selections, schema, within))
            continue
        graphql_type = schema.get_type(sel.type_condition)
        if isinstance(graphql_type, GraphQLInterfaceType | GraphQLUnionType):
            possible = [t.name for t in schema.get_possible_types(graphql_type)]
        else:
            possible = [sel.type_condition]
        for name in possible:
            if within is None or name in within:
                sub = _requires(sel.selections, schema, frozenset((name,)))
                result.append(InlineFragmentSelection(name, sub))
    return tuple(result)


def _condition_variable(step: FetchStep) -> str:
    assert step.condition is not None
    for argument in step.condition.arguments or ():
        if argument.name.value == "if" and isinstance(argument.value, VariableNode):
            return argument.value.name.value
    raise PlanningError("A conditional fetch needs a variable condition.")


_REPRESENTATIONS_DEFINITION = f"${_REPRESENTATIONS}: [_Any!]!"
