"""Normalize a client operation before planning.

Passes, in order: pick the operation; expand named fragment spreads into inline
fragments, dropping what the selection set already selects; drop selections
statically skipped (`@skip(if: true)`, `@include(if: false)`) and strip statically
passing conditions; drop directives other than variable-driven @skip/@include
(subgraphs need not know client directives); drop introspection root fields
(`__schema`, `__type`, root `__typename`), which the gateway answers itself (GraphQL
spec §4.1, "Introspection").

Dropping what is already selected keeps planning linear in the merged operation
(GraphQL spec §5.3.2, "Field Selection Merging": the selections of one response
key are one field): `fragment Fk on User { ...Fk-1 ...Fk-1 }` doubled the tree per
fragment (issue 10). The walk places a selection it has already placed in the same
selection set into the same place again, so leaving out what an earlier selection
there placed changes nothing in the plan. Selections keep their order and shape,
and a later one keeps only what it adds (`a { x } b a { x y }` -> `a { x } b
a { y }`). Where a selection goes is decided as the walk decides it: fields by
response key, name, arguments and directives; a fragment that applies to every
object of its selection set (no type condition, the parent's, or an interface of an
object parent) without directives is flattened into it; other fragments by type
condition and directives, leaving out @skip/@include already in force above. Each
named fragment is expanded once per parent type, then merged where it is spread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from graphql import (
    BooleanValueNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationType,
    get_named_type,
    get_operation_ast,
    print_ast,
)

from ..errors import PlanningError
from ._selections import FieldSel, FragmentSel, Sel
from .budget import PlanningBudget
from .defer import defer_directives, is_deferred

if TYPE_CHECKING:
    from graphql import (
        DirectiveNode,
        DocumentNode,
        GraphQLSchema,
        SelectionSetNode,
        VariableDefinitionNode,
    )

    from .budget import BudgetMeter
    from .defer import DeferDirective

__all__ = ["NormalizedOperation", "normalize_operation"]

INTROSPECTION_ROOT_FIELDS = frozenset({"__schema", "__type", "__typename"})


@dataclass(frozen=True, slots=True)
class NormalizedOperation:
    """The operation to plan: fragments inlined, static conditions applied."""

    kind: OperationType
    name: str | None
    variable_definitions: tuple[VariableDefinitionNode, ...]
    selections: tuple[Sel, ...]


def normalize_operation(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None = None,
    meter: BudgetMeter | None = None,
) -> NormalizedOperation:
    """Select and normalize `operation_name` of `document` (validated by the caller
    against the API schema of the supergraph whose `schema` is given); `meter`
    counts a step per selection visited.

    Raises PlanningError when the operation cannot be found, and
    PlanningBudgetExceeded when `meter` runs out.
    """
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        wanted = f"'{operation_name}'" if operation_name else "an unnamed operation"
        raise PlanningError(f"The document has no operation {wanted} to plan.")
    fragments = {
        d.name.value: d
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    root = schema.get_root_type(operation.operation)
    # A subscription's events are delivered whole: its @defer is ignored.
    deferrals = (
        defer_directives(document)
        if operation.operation != OperationType.SUBSCRIPTION
        else {}
    )
    normalizer = _Normalizer(
        schema, fragments, meter or PlanningBudget().start(), deferrals
    )
    selections = normalizer.selection_set(
        operation.selection_set, _Scope(root.name if root else None)
    )
    selections = [
        s
        for s in selections
        if not (isinstance(s, FieldSel) and s.name in INTROSPECTION_ROOT_FIELDS)
    ]
    return NormalizedOperation(
        kind=operation.operation,
        name=operation.name.value if operation.name else None,
        variable_definitions=tuple(operation.variable_definitions or ()),
        selections=tuple(_drop_empty_root_fragments(selections)),
    )


def _add_fragment(
    result: list[Sel],
    condition: str | None,
    directives: tuple[DirectiveNode, ...],
    selections: list[Sel],
    flatten: bool,
    defer: DeferDirective | None = None,
) -> None:
    """Add a fragment's (remaining) selections to `result`: as they are when it
    applies to every object of the enclosing selection set without a directive
    (the walk would place them there anyway), else as an inline fragment."""
    if flatten:
        result += selections
    elif selections:
        result.append(FragmentSel(condition, directives, selections, defer))


def _drop_empty_root_fragments(selections: list[Sel]) -> list[Sel]:
    kept: list[Sel] = []
    for sel in selections:
        if isinstance(sel, FragmentSel):
            sel.selections = [
                s
                for s in _drop_empty_root_fragments(sel.selections)
                if not (isinstance(s, FieldSel) and s.name in INTROSPECTION_ROOT_FIELDS)
            ]
            if not sel.selections:
                continue
        kept.append(sel)
    return kept


@dataclass(slots=True)
class _Scope:
    """What one selection set has selected so far: a list the walk fills.

    `parent` is the type of its objects (None when not in the schema: the fields
    of introspection types); fields are keyed as the walk merges them (response
    key, name, arguments, directives) and fragments by the scope they open.
    """

    parent: str | None
    # The printed @skip/@include that hold wherever this scope is reached.
    conditions: frozenset[str] = frozenset()
    # Field key -> its sub-selection's scope, None for a leaf.
    fields: dict[tuple[str, str, str, str], _Scope | None] = field(default_factory=dict)
    # (type condition, printed directives) -> the fragment's scope.
    fragments: dict[tuple[str | None, str], _Scope] = field(default_factory=dict)


_ABSENT = _Scope(None)


class _Normalizer:
    """Turns selection sets into Sel trees, leaving out what each scope has."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        meter: BudgetMeter,
        deferrals: dict[int, DeferDirective] | None = None,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.meter = meter
        # id(@defer directive node) -> the deferral (defer.py).
        self.deferrals = deferrals or {}
        # (fragment name, parent type) -> its selections from an empty scope.
        self.expansions: dict[tuple[str, str | None], list[Sel]] = {}
        # Fragments being expanded: a spread of one of them is a cycle.
        self.expanding: set[str] = set()

    def selection_set(
        self, selection_set: SelectionSetNode | None, scope: _Scope
    ) -> list[Sel]:
        """The selections of `selection_set` that `scope` lacks (added to it)."""
        result: list[Sel] = []
        nodes = selection_set.selections if selection_set else ()
        self.meter.tick(len(nodes))
        for node in nodes:
            directives = _conditions(node.directives) if node.directives else ()
            if directives is None:
                continue  # statically skipped
            if isinstance(node, FieldNode):
                sel = FieldSel(
                    name=node.name.value,
                    alias=node.alias.value if node.alias else None,
                    arguments=tuple(node.arguments or ()),
                    directives=directives,
                    selections=None if node.selection_set is None else [],
                )
                new, child = self._field_scope(sel, scope)
                if child is not None:
                    sel.selections = self.selection_set(node.selection_set, child)
                if new or sel.selections:
                    result.append(sel)
            elif isinstance(node, InlineFragmentNode):
                condition = (
                    node.type_condition.name.value if node.type_condition else None
                )
                defer = is_deferred(node.directives, self.deferrals)
                inner, kept = self._fragment_scope(scope, condition, directives, defer)
                sub = self.selection_set(node.selection_set, inner)
                _add_fragment(result, condition, kept, sub, inner is scope, defer)
            elif isinstance(node, FragmentSpreadNode):
                defer = is_deferred(node.directives, self.deferrals)
                self._spread(node.name.value, directives, scope, result, defer)
        return result

    def _spread(
        self,
        name: str,
        directives: tuple[DirectiveNode, ...],
        scope: _Scope,
        result: list[Sel],
        defer: DeferDirective | None = None,
    ) -> None:
        """Add to `result` what `scope` lacks of fragment `name`'s selections."""
        fragment = self.fragments.get(name)
        if fragment is None or name in self.expanding:
            raise PlanningError(f"Fragment '{name}' is unknown or cyclic.")
        condition = fragment.type_condition.name.value
        inner, kept = self._fragment_scope(scope, condition, directives, defer)
        expansion = self.expansions.get((name, inner.parent))
        if expansion is None:
            self.expanding.add(name)
            try:
                expansion = self.selection_set(
                    fragment.selection_set, _Scope(inner.parent)
                )
            finally:
                self.expanding.discard(name)
            self.expansions[(name, inner.parent)] = expansion
        sub = self._lacking(expansion, inner)
        _add_fragment(result, condition, kept, sub, inner is scope, defer)

    def _lacking(self, selections: list[Sel], scope: _Scope) -> list[Sel]:
        """Copies of what `scope` lacks of `selections` (normalized, on the same
        parent type), added to it."""
        result: list[Sel] = []
        self.meter.tick(len(selections))
        for sel in selections:
            if isinstance(sel, FieldSel):
                copy = sel.shell()
                new, child = self._field_scope(copy, scope)
                if child is not None:
                    copy.selections = self._lacking(sel.selections or [], child)
                if new or copy.selections:
                    result.append(copy)
                continue
            condition, directives = sel.type_condition, sel.directives
            inner, kept = self._fragment_scope(scope, condition, directives, sel.defer)
            sub = self._lacking(sel.selections, inner)
            _add_fragment(result, condition, kept, sub, inner is scope, sel.defer)
        return result

    def _field_scope(self, sel: FieldSel, scope: _Scope) -> tuple[bool, _Scope | None]:
        """Whether `scope` lacks field `sel` (now added), and the scope of its
        selections (None for a leaf)."""
        key = sel.merge_key()
        known = scope.fields.get(key, _ABSENT)
        if sel.selections is None:
            scope.fields[key] = None
            return known is _ABSENT, None
        if known is not None and known is not _ABSENT:
            return False, known
        conditions = scope.conditions
        if sel.directives:
            conditions = conditions.union(print_ast(d) for d in sel.directives)
        child = _Scope(self._field_type(scope.parent, sel.name), conditions)
        scope.fields[key] = child
        return True, child

    def _fragment_scope(
        self,
        scope: _Scope,
        condition: str | None,
        directives: tuple[DirectiveNode, ...],
        defer: DeferDirective | None = None,
    ) -> tuple[_Scope, tuple[DirectiveNode, ...]]:
        """The scope a fragment's selections go to, as the walk places them, and
        the directives it keeps: conditions already in force in `scope` are left
        out (they pass wherever `scope` is reached); the fragment's selections go
        to `scope` itself when it applies to every object there and keeps no
        directive, else to a scope per (type condition, directives) below it."""
        parent = scope.parent
        applies_to_all = (
            condition is None
            or condition == parent
            or (self._is_abstract(condition) and self._is_object(parent))
        )
        texts = [print_ast(d) for d in directives]
        kept = tuple(
            d
            for d, t in zip(directives, texts, strict=True)
            if t not in scope.conditions
        )
        if applies_to_all and not kept and defer is None:
            return scope, kept
        # A deferred fragment has a scope of its own: what it selects is fetched
        # apart, so it never stands for a selection outside it.
        key = (
            None if applies_to_all else condition,
            " ".join(t for t in texts if t not in scope.conditions)
            + (f" @defer#{defer.ordinal}" if defer is not None else ""),
        )
        inner = scope.fragments.get(key)
        if inner is None:
            inner = _Scope(
                parent if applies_to_all else condition,
                scope.conditions.union(texts),
            )
            scope.fragments[key] = inner
        return inner, kept

    def _field_type(self, parent: str | None, name: str) -> str | None:
        graphql_type = self.schema.type_map.get(parent) if parent else None
        fields = getattr(graphql_type, "fields", None) or {}
        if name not in fields:
            return None
        named: str = get_named_type(fields[name].type).name
        return named

    def _is_abstract(self, type_name: str | None) -> bool:
        graphql_type = self.schema.type_map.get(type_name) if type_name else None
        return isinstance(graphql_type, GraphQLInterfaceType | GraphQLUnionType)

    def _is_object(self, type_name: str | None) -> bool:
        graphql_type = self.schema.type_map.get(type_name) if type_name else None
        return isinstance(graphql_type, GraphQLObjectType)


def _conditions(
    directives: tuple[DirectiveNode, ...] | list[DirectiveNode],
) -> tuple[DirectiveNode, ...] | None:
    """The variable-driven @skip/@include to keep, or None when statically skipped."""
    kept: list[DirectiveNode] = []
    for directive in directives:
        name = directive.name.value
        if name not in ("skip", "include"):
            continue
        argument = next(
            (a for a in directive.arguments or () if a.name.value == "if"), None
        )
        if argument is None:
            continue
        if isinstance(argument.value, BooleanValueNode):
            if argument.value.value == (name == "skip"):
                return None
            continue
        kept.append(directive)
    return tuple(kept)
