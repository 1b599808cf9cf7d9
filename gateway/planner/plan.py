"""Query plan nodes: the planner's output and the executor's input.

A plan is an immutable value, built once per (document hash, operation name) and shared
by every request that runs it. The node kinds follow the Apollo Federation query plan
(Sequence, Parallel, Fetch, Flatten, Condition, Subscription, Defer), so a reader who
knows `@apollo/query-planner` output can read ours; `str(plan)` renders in that style.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias

from graphql import OperationType

if TYPE_CHECKING:
    from ..types import JSON

__all__ = [
    "ConditionNode",
    "ContextValue",
    "DeferNode",
    "DeferredNode",
    "EntityBatchNode",
    "FetchNode",
    "FetchRewrite",
    "FieldSelection",
    "FlattenNode",
    "InlineFragmentSelection",
    "KeyRenamer",
    "ParallelNode",
    "PlanNode",
    "QueryPlan",
    "Selection",
    "SequenceNode",
    "SubscriptionNode",
    "ValueSetter",
]

_INDENT = "  "


@dataclass(frozen=True, slots=True)
class FieldSelection:
    """A field read from response data by its name (required fields have no alias)."""

    name: str
    selections: tuple[Selection, ...] = ()


@dataclass(frozen=True, slots=True)
class InlineFragmentSelection:
    """Selections for objects whose `__typename` matches `type_condition`."""

    type_condition: str | None
    selections: tuple[Selection, ...]


Selection: TypeAlias = FieldSelection | InlineFragmentSelection


@dataclass(frozen=True, slots=True)
class ValueSetter:
    """Set the value at `path` of a representation or fetched object.

    Used for @interfaceObject: a representation sent to a subgraph that only knows the
    interface must carry the interface's name as `__typename`. Path elements are field
    names, or `... on T` to apply only when the object's `__typename` is T.
    """

    path: tuple[str, ...]
    set_value_to: JSON

    def __str__(self) -> str:
        value = json.dumps(self.set_value_to)
        return f"ValueSetter({'/'.join(self.path)} = {value})"


@dataclass(frozen=True, slots=True)
class KeyRenamer:
    """Rename the key at `path` (undoes an alias the planner used in a fetch).

    As an input rewrite it applies to each representation: a field the planner had
    to fetch under an `__agora_` alias (its name was taken by a client alias) is
    copied under the alias by `requires`, then renamed to its real name here. As an
    output rewrite it applies to the fetched data.
    """

    path: tuple[str, ...]
    rename_key_to: str

    def __str__(self) -> str:
        return f"KeyRenamer({'/'.join(self.path)} -> {self.rename_key_to})"


FetchRewrite: TypeAlias = ValueSetter | KeyRenamer


@dataclass(frozen=True, slots=True)
class ContextValue:
    """A variable of an entity fetch taken from an ancestor of each object
    (@fromContext, join v0.5 `contextArguments`).

    For each object at the FlattenNode path, the ancestor is the object `levels`
    response-path elements (keys and list indexes) above it; the variable's value
    is the one field `selection` reads from that ancestor (per type condition, as
    `requires` does). Objects whose values differ are sent in separate requests.
    """

    variable: str
    levels: int
    selection: tuple[Selection, ...]

    def __str__(self) -> str:
        read = " ".join(_render_selections(self.selection, 0).split())
        return f"ContextValue(${self.variable} = {self.levels} up {read})"


@dataclass(frozen=True, slots=True)
class FetchNode:
    """One request to one subgraph.

    A root fetch (`requires` empty) sends `operation` and merges its `data` at the
    path of the enclosing FlattenNode (the response root when there is none). An
    entity fetch (`requires` non-empty) builds one representation per object found at
    the enclosing FlattenNode's path whose `__typename` matches a fragment of
    `requires`, de-duplicates them, sends them as `$representations`, and merges
    `data._entities[i]` back into the objects that produced representation i.
    """

    service_name: str
    operation: str
    operation_kind: OperationType = OperationType.QUERY
    variable_usages: tuple[str, ...] = ()
    requires: tuple[Selection, ...] = ()
    operation_name: str | None = None
    input_rewrites: tuple[FetchRewrite, ...] = ()
    output_rewrites: tuple[FetchRewrite, ...] = ()
    context_values: tuple[ContextValue, ...] = ()

    @property
    def is_entity_fetch(self) -> bool:
        return bool(self.requires)

    def render(self, depth: int) -> str:
        pad = _INDENT * depth
        inner = _INDENT * (depth + 1)
        lines = [f'{pad}Fetch(service: "{self.service_name}") {{']
        if self.requires:
            lines.append(_render_selections(self.requires, depth + 1) + " =>")
        lines.append(_indent_block(self.operation, inner))
        for kind, rewrites in (
            ("input", self.input_rewrites),
            ("output", self.output_rewrites),
        ):
            lines += [f"{inner}{kind} rewrite: {rewrite}" for rewrite in rewrites]
        lines += [f"{inner}{value}" for value in self.context_values]
        lines.append(f"{pad}}},")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class FlattenNode:
    """Run `node` against the objects at `path`; `@` in a path means every list item."""

    path: tuple[str, ...]
    node: PlanNode

    def render(self, depth: int) -> str:
        pad = _INDENT * depth
        path = ".".join(self.path)
        return "\n".join(
            [
                f'{pad}Flatten(path: "{path}") {{',
                self.node.render(depth + 1),
                f"{pad}}},",
            ]
        )


@dataclass(frozen=True, slots=True)
class SequenceNode:
    """Run `nodes` in order; a later node may read what an earlier one merged."""

    nodes: tuple[PlanNode, ...]

    def render(self, depth: int) -> str:
        return _render_group("Sequence", self.nodes, depth)


@dataclass(frozen=True, slots=True)
class EntityBatchNode:
    """Entity fetches of one Parallel wave to one subgraph, sent as one request.

    `node` is the merged fetch (the fragments of every member; where two members
    select on the same type, they select alike). Each entry is one member's
    FlattenNode path and its own `requires`: the objects at each path give
    representations as that member would, de-duplicated across all paths, and
    `_entities[i]` merges into every object that gave representation i.
    """

    entries: tuple[tuple[tuple[str, ...], tuple[Selection, ...]], ...]
    node: FetchNode

    def render(self, depth: int) -> str:
        pad = _INDENT * depth
        paths = ", ".join(f'"{".".join(path)}"' for path, _ in self.entries)
        return "\n".join(
            [
                f"{pad}BatchFlatten(paths: {paths}) {{",
                self.node.render(depth + 1),
                f"{pad}}},",
            ]
        )


@dataclass(frozen=True, slots=True)
class ParallelNode:
    """Run `nodes` concurrently; none depends on another's result.

    `batched` (None when nothing merges) is what the executor runs instead: the
    same nodes, with the entity fetches to one subgraph merged into
    EntityBatchNodes (one request instead of several). The plan renders `nodes`,
    as Apollo's planner would show them.
    """

    nodes: tuple[PlanNode, ...]
    batched: tuple[PlanNode | EntityBatchNode, ...] | None = field(
        default=None, compare=False, repr=False
    )

    def render(self, depth: int) -> str:
        return _render_group("Parallel", self.nodes, depth)


@dataclass(frozen=True, slots=True)
class ConditionNode:
    """Run `if_clause` when the boolean variable `condition` is true, else the other."""

    condition: str
    if_clause: PlanNode | None
    else_clause: PlanNode | None

    def render(self, depth: int) -> str:
        pad = _INDENT * depth
        lines = [f"{pad}Condition(if: ${self.condition}) {{"]
        if self.if_clause is not None:
            lines += [f"{pad}{_INDENT}Then {{", self.if_clause.render(depth + 2)]
            lines.append(f"{pad}{_INDENT}}}")
        if self.else_clause is not None:
            lines += [f"{pad}{_INDENT}Else {{", self.else_clause.render(depth + 2)]
            lines.append(f"{pad}{_INDENT}}}")
        lines.append(f"{pad}}},")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class SubscriptionNode:
    """`primary` opens the subgraph subscription; `rest` runs once per event."""

    primary: FetchNode
    rest: PlanNode | None = None

    def render(self, depth: int) -> str:
        pad = _INDENT * depth
        lines = [f"{pad}Subscription {{", f"{pad}{_INDENT}Primary: {{"]
        lines += [self.primary.render(depth + 2), f"{pad}{_INDENT}}},"]
        if self.rest is not None:
            lines += [f"{pad}{_INDENT}Rest: {{", self.rest.render(depth + 2)]
            lines.append(f"{pad}{_INDENT}}},")
        lines.append(f"{pad}}},")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class DeferredNode:
    """A deferred fragment (@defer) placed at `path`: `node` fetches what it
    selects (None when the primary response's fetches had to), to run once the
    primary response and the deferred fragment it is nested in (`parent`, an index
    into DeferNode.deferred) have merged; then each object at `path` (`@` for
    every list item) of type `type_name` gets a subsequent payload."""

    # The @defer's place among the document's (gateway.planner.defer).
    id: int
    label: str | None
    # The variable of `@defer(if:)`; when false, delivered in the primary payload.
    condition: str | None
    path: tuple[str, ...]
    type_name: str
    parent: int | None
    node: PlanNode | None

    def render(self, depth: int) -> str:
        pad = _INDENT * depth
        head = [f'path: "{".".join(self.path)}"']
        if self.label is not None:
            head.append(f'label: "{self.label}"')
        if self.condition is not None:
            head.append(f"if: ${self.condition}")
        if self.parent is not None:
            head.append(f"after: {self.parent}")
        lines = [f"{pad}Deferred({', '.join(head)}) {{"]
        if self.node is not None:
            lines.append(self.node.render(depth + 1))
        lines.append(f"{pad}}},")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class DeferNode:
    """An operation with deferred fragments: `primary` answers the first payload,
    each of `deferred` a later one (GraphQL incremental delivery)."""

    primary: PlanNode | None
    deferred: tuple[DeferredNode, ...]

    def render(self, depth: int) -> str:
        pad = _INDENT * depth
        lines = [f"{pad}Defer {{", f"{pad}{_INDENT}Primary {{"]
        if self.primary is not None:
            lines.append(self.primary.render(depth + 2))
        lines.append(f"{pad}{_INDENT}}},")
        lines += [deferred.render(depth + 1) for deferred in self.deferred]
        lines.append(f"{pad}}},")
        return "\n".join(lines)


PlanNode: TypeAlias = (
    FetchNode
    | FlattenNode
    | SequenceNode
    | ParallelNode
    | ConditionNode
    | SubscriptionNode
    | DeferNode
)


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """The plan for one operation; `node` is None when the gateway answers it alone
    (an operation made only of `__typename` and introspection fields)."""

    node: PlanNode | None

    def __str__(self) -> str:
        if self.node is None:
            return "QueryPlan {\n}"
        return "QueryPlan {\n" + self.node.render(1) + "\n}"


def _render_group(kind: str, nodes: tuple[PlanNode, ...], depth: int) -> str:
    pad = _INDENT * depth
    body = [node.render(depth + 1) for node in nodes]
    return "\n".join([f"{pad}{kind} {{", *body, f"{pad}}},"])


def _render_selections(selections: tuple[Selection, ...], depth: int) -> str:
    pad = _INDENT * depth
    lines = [f"{pad}{{"]
    lines += _selection_lines(selections, depth + 1)
    lines.append(f"{pad}}}")
    return "\n".join(lines)


def _selection_lines(selections: tuple[Selection, ...], depth: int) -> list[str]:
    pad = _INDENT * depth
    lines: list[str] = []
    for selection in selections:
        if isinstance(selection, FieldSelection):
            if not selection.selections:
                lines.append(f"{pad}{selection.name}")
                continue
            lines.append(f"{pad}{selection.name} {{")
        else:
            condition = selection.type_condition
            lines.append(f"{pad}... on {condition} {{" if condition else f"{pad}... {{")
        lines += _selection_lines(selection.selections, depth + 1)
        lines.append(f"{pad}}}")
    return lines


def _indent_block(text: str, pad: str) -> str:
    return "\n".join(pad + line if line else line for line in text.splitlines())
