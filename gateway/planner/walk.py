"""Walk a normalized operation over the supergraph and fill the fetch graph.

Each selection is placed in the fetch step whose subgraph is already resolving its
parent object when that subgraph can resolve it too (@shareable fields and @provides
cost no jump); otherwise the walk jumps through an entity key (Federation spec,
"Entities and @key") to a subgraph that resolves it, adding `__typename` and the key
fields to the current step and a representation selection (`requires`) to the next.
A @requires field always gets an entity fetch whose representations carry what it
requires (fetched first, possibly from other subgraphs). When no subgraph reachable
by a key resolves a field (shared value types, keys the current subgraph lacks), the
whole path from the nearest entity, or root query field, is asked of another
subgraph instead ("re-entry"); with no key to reach at all, a key is first fetched
from a third subgraph.

Promises kept for the executor:
- client aliases are kept; fields the planner adds use their own names, and where
  that would clash with a client's response key they get an `__agora_` alias, undone
  in the representation by a KeyRenamer input rewrite of the dependent fetch;
- representations carry `__typename` and the key (and @requires) fields, per type
  condition; an @interfaceObject subgraph is sent the interface name as `__typename`
  (ValueSetter input rewrite); objects fetched from an @interfaceObject subgraph get
  their concrete `__typename` from a later fetch to the subgraph owning the interface.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from graphql import (
    ArgumentNode,
    FieldNode,
    InlineFragmentNode,
    NameNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    print_ast,
)

from ..errors import PlanningError
from ._selections import FieldSel, FragmentSel, Sel, SelectionIndex
from .budget import JUMP_STEPS, PlanningBudget
from .fetch_graph import DeferUse, FetchGraph, FetchStep
from .plan import KeyRenamer, ValueSetter
from .query_graph import Provided, QueryGraph, merge_selection_sets

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from graphql import DirectiveNode

    from ..supergraph import ContextArgument, EntityKey, Supergraph
    from .budget import BudgetMeter
    from .defer import DeferDirective
    from .normalize import NormalizedOperation

__all__ = ["walk_operation"]

# Response keys of fields the planner adds under an alias (see module docstring).
PLANNER_ALIAS_PREFIX = "__agora_"


def walk_operation(
    supergraph: Supergraph,
    operation: NormalizedOperation,
    override_labels: frozenset[str] = frozenset(),
    meter: BudgetMeter | None = None,
) -> FetchGraph:
    """Build the fetch graph of `operation`; raises PlanningError when a field has no
    subgraph that can resolve it or no key leads to one, PlanningBudgetExceeded when
    `meter` runs out (a step per selection placed or weighed, budget.py)."""
    walk = _Walk(supergraph, override_labels, meter or PlanningBudget().start())
    walk.root(operation)
    return walk.graph


class _Walk:
    """One walk: the state of planning one operation (discarded afterwards)."""

    def __init__(
        self,
        supergraph: Supergraph,
        override_labels: frozenset[str],
        meter: BudgetMeter,
    ) -> None:
        self.sg = supergraph
        self.schema = supergraph.schema
        self.labels = override_labels
        self.meter = meter
        self.qg = QueryGraph(supergraph, override_labels, meter)
        self.graph = FetchGraph()
        # Finds what each selection list of the walk already holds.
        self.index = SelectionIndex()
        self._recorders: list[set[int]] = []
        # id(selection list) -> the client's response keys on that object, so fields
        # the planner adds never take a key the client uses for something else.
        self._client_keys: dict[int, dict[str, FieldSel]] = {}
        # (step, type) pairs already looking for a key elsewhere: stops cycles.
        self._indirect: set[tuple[int, str]] = set()
        # The fields walked into within the current step, outermost first: where
        # a value-type field no one can jump to is re-entered from.
        self._frames: list[_Frame] = []
        self._root_steps: list[FetchStep] = []
        self._root_wrappers: tuple[tuple[DirectiveNode, ...], ...] = ()
        self._kind = "query"
        self._root_name = ""
        self._reentries = 0
        # ids of @requires fields being placed in the fetch built for them.
        self._with_requirements: set[int] = set()
        # ids of the selection lists of an interface field asked of each
        # implementation in turn (re-entered whole from them: `_reenter`).
        self._exploded: set[int] = set()
        # Context variables made so far (@fromContext), for unique names.
        self._contexts = 0
        # (type, field, printed arguments) -> the alias a required field with
        # arguments is fetched under, so two requirements never share a response key.
        self._required_aliases: dict[tuple[str, str, str], str] = {}
        # The deferred fragment whose fetches the walk is making (index into
        # graph.defers), None for the primary response's; `_deferring` sets both.
        self._defer: int | None = None
        # The deferred fragment the walk is inside, for nesting deliveries (it may
        # be fetched with the primary response: then `_defer` stays as it was).
        self._delivery: int | None = None

    # -- the root -------------------------------------------------------------

    def root(self, operation: NormalizedOperation) -> None:
        root_type = self._root_type(operation.kind)
        steps = self._root_steps
        self._kind = operation.kind
        self._root_name = root_type
        uses: dict[int, int] = {}
        for sel, wrappers, deferrals in _root_items(list(operation.selections), ()):
            candidates = self.sg.resolving_graphs(root_type, sel.name, self.labels)
            if not candidates:
                raise PlanningError(
                    f"No subgraph can resolve field '{sel.name}' of type '{root_type}'."
                )
            defer = None
            if operation.kind == "query":
                # Root fields of a deferred fragment get root fetches of their own.
                for deferral in deferrals:
                    if deferral.ordinal not in uses:
                        uses[deferral.ordinal] = self._defer_use(
                            deferral, (), root_type, defer
                        )
                    defer = uses[deferral.ordinal]
            with self._deferring(defer, defer):
                for part, in_graphs in self._split_shared_root(
                    operation.kind, root_type, sel, candidates
                ):
                    step = self._root_step(
                        operation.kind, root_type, part, in_graphs, steps
                    )
                    self._root_wrappers = wrappers
                    target = self._root_target(step, wrappers)
                    self.walk_each(step, root_type, [part], target, (), None)

    def _root_target(
        self, step: FetchStep, wrappers: tuple[tuple[DirectiveNode, ...], ...]
    ) -> list[Sel]:
        target = step.root_selections
        for directives in wrappers:
            target = self.index.add_fragment(
                target, FragmentSel(None, directives)
            ).selections
        return target

    def _split_shared_root(
        self, kind: str, root_type: str, sel: FieldSel, candidates: tuple[str, ...]
    ) -> list[tuple[FieldSel, tuple[str, ...]]]:
        """Split a shared root query field returning a value type (no key, so no
        jump can complete it) across the subgraphs resolving its subfields."""
        whole = [(sel, candidates)]
        if kind != "query" or len(candidates) < 2 or sel.selections is None:
            return whole
        named, _ = self.qg.field_type(root_type, sel.name)
        join_type = self.sg.types.get(named)
        if join_type is None or join_type.keys or self.qg.is_abstract(named):
            return whole
        remaining = list(sel.selections)
        parts: list[tuple[FieldSel, tuple[str, ...]]] = []
        while remaining:
            best = max(
                candidates, key=lambda g: self.qg.local_score(g, named, remaining)
            )
            taken = [s for s in remaining if self.qg.placeable(best, named, s)]
            if not taken:
                break
            part = sel.shell()
            part.selections = taken
            parts.append((part, (best,)))
            remaining = [s for s in remaining if all(s is not t for t in taken)]
        if not parts:
            return whole
        if remaining:  # nobody resolves these: let the walk report them
            assert parts[-1][0].selections is not None
            parts[-1][0].selections.extend(remaining)
        return parts

    def _root_type(self, kind: str) -> str:
        root = self.schema.get_root_type(_OPERATION_TYPES[kind])
        if root is None:
            raise PlanningError(f"The supergraph has no {kind} type.")
        return root.name

    def _root_step(
        self,
        kind: str,
        root_type: str,
        sel: FieldSel,
        candidates: tuple[str, ...],
        steps: list[FetchStep],
    ) -> FetchStep:
        if kind == "mutation":
            # Mutation root fields run one after the other (GraphQL spec §6.2.2):
            # only consecutive fields of one subgraph share a request.
            if steps and steps[-1].subgraph in candidates:
                return steps[-1]
        else:
            # Join a root fetch already made to a subgraph only when it resolves
            # as much of `sel` itself as any other candidate (no needless jump).
            scores = {g: self.qg.local_score(g, root_type, [sel]) for g in candidates}
            top = max(scores.values())
            for step in steps:
                if scores.get(step.subgraph) == top and step.defer == self._defer:
                    return step
        best = max(
            candidates,
            key=lambda g: self.qg.local_score(g, root_type, [sel]),
        )
        step = self.graph.add(best, kind, defer=self._defer)
        steps.append(step)
        return step

    # -- selections -----------------------------------------------------------

    def walk(
        self,
        step: FetchStep,
        parent: str,
        selections: list[Sel],
        target: list[Sel],
        path: tuple[str, ...],
        provided: SelectionSetNode | None,
    ) -> None:
        """Place `selections` (on `parent` objects returned by `step`) into `target`."""
        subgraph = step.subgraph
        fields = self.qg.provided_fields(provided, parent)
        if self.qg.is_abstract(parent) and self.qg.interface_object_in(
            subgraph, parent
        ):
            # This subgraph types these objects as the interface itself: their real
            # `__typename` (and what it lacks) comes from the interface's owner.
            local: list[Sel] = []
            remote: list[Sel] = [FieldSel("__typename")]
            for sel in selections:
                if (
                    isinstance(sel, FieldSel)
                    and sel.name != "__typename"
                    and self.qg.resolvable(subgraph, parent, sel.name, fields)
                    # A @requires field needs representations carrying what it
                    # requires: the interface's owner asks for it in turn.
                    and self.qg.requires_of(subgraph, parent, sel.name) is None
                ):
                    local.append(sel)
                else:
                    remote.append(sel)
            self.walk_each(step, parent, local, target, path, provided)
            if len(remote) > 1:
                # Only a client's selection needs the concrete type: the projection
                # completes the rest on the interface (audit
                # non-resolvable-interface-object, whose owner resolves no key).
                self._jump_from_interface_object(step, parent, remote, target, path)
            return
        self.walk_each(step, parent, selections, target, path, provided)

    def walk_each(
        self,
        step: FetchStep,
        parent: str,
        selections: list[Sel],
        target: list[Sel],
        path: tuple[str, ...],
        provided: SelectionSetNode | None,
    ) -> None:
        """Like `walk`, without the @interfaceObject split (the objects' types are
        known). `provided` is the @provides selection that applies here."""
        keys = self._client_keys.setdefault(id(target), {})
        self.meter.tick(_collect_keys(selections, keys))
        fields = self.qg.provided_fields(provided, parent)
        for sel in selections:
            if isinstance(sel, FragmentSel):
                self._walk_fragment(step, parent, sel, target, path, provided)
            else:
                self._walk_field(step, parent, sel, target, path, fields)

    def _walk_fragment(
        self,
        step: FetchStep,
        parent: str,
        sel: FragmentSel,
        target: list[Sel],
        path: tuple[str, ...],
        provided: SelectionSetNode | None,
    ) -> None:
        if sel.defer is not None:
            self._walk_deferred(step, parent, sel, target, path, provided)
            return
        condition = sel.type_condition
        qg = self.qg
        if condition is None or condition == parent or not qg.is_abstract(parent):
            if condition not in (None, parent) and parent not in qg.possible(condition):
                return  # an object of another type: the fragment never applies
            # The fragment applies to every object here: no type condition needed.
            inner = target
            if sel.directives:
                inner = self._fragment(target, FragmentSel(None, sel.directives))
            self.walk_each(step, parent, sel.selections, inner, path, provided)
            return
        subgraph = step.subgraph
        # The objects this subgraph returns here that the client's fragment matches
        # (by the supergraph's types, as the executor projects them).
        matching = qg.possible_in(subgraph, parent).intersection(qg.possible(condition))
        for other in self._alternatives(step):
            # Another subgraph could serve this path too: only the members both
            # know are safe to ask for (audit partial-union-complex, Apollo's plan).
            matching &= qg.possible_in(other, parent)
        if not matching:
            return  # this subgraph never returns a `condition` object here
        if (
            qg.knows(subgraph, condition)
            and not qg.interface_object_in(subgraph, condition)
            and matching <= qg.possible_in(subgraph, condition)
        ):
            inner = self._fragment(target, FragmentSel(condition, sel.directives))
            self.walk(step, condition, sel.selections, inner, path, provided)
            return
        # The subgraph does not know the condition type, or not every object type
        # the supergraph says matches it (audit union-interface-distributed: an
        # implementation declared in another subgraph only): one fragment per type.
        for member in qg.possible(condition):
            if member in matching:
                inner = self._fragment(target, FragmentSel(member, sel.directives))
                self.walk(step, member, sel.selections, inner, path, provided)

    def _walk_deferred(
        self,
        step: FetchStep,
        parent: str,
        sel: FragmentSel,
        target: list[Sel],
        path: tuple[str, ...],
        provided: SelectionSetNode | None,
    ) -> None:
        """A fragment with @defer: its selections are fetched apart, by an entity
        fetch of their own from the objects here (a key of them added to this
        step), run after the primary response; where no key leads back to these
        objects they are fetched with it. Either way they are delivered later."""
        assert sel.defer is not None
        plain = FragmentSel(sel.type_condition, sel.directives, sel.selections)
        condition = sel.type_condition or parent
        object_type = next(
            (t for t in (condition, parent) if not self.qg.is_abstract(t)), None
        )
        use = self._defer_use(sel.defer, path, object_type or parent, self._delivery)
        jump = self._defer_jump(step, object_type, sel.selections)
        if jump is None or object_type is None:
            with self._deferring(self._defer, use):
                self._walk_fragment(step, parent, plain, target, path, provided)
            return
        subgraph, key = jump
        with self._deferring(use, use):
            child, _ = self._entity_step(step, subgraph, path)
            self._record(child)
            key_target = target
            if object_type != parent:
                key_target = self._fragment(target, FragmentSel(object_type))
            if sel.directives:
                key_target = self._fragment(
                    key_target, FragmentSel(None, sel.directives)
                )
            representation = self._add_key(
                step, object_type, key.selection_set, key_target, child
            )
            self.index.merge_selections(
                child.requires.setdefault(object_type, []), representation
            )
            entity_target = child.entity_selections.setdefault(object_type, [])
            inner = entity_target
            if sel.directives:
                inner = self._fragment(entity_target, FragmentSel(None, sel.directives))
            self.walk(child, object_type, sel.selections, inner, path, None)

    def _defer_jump(
        self, step: FetchStep, object_type: str | None, selections: list[Sel]
    ) -> tuple[str, EntityKey] | None:
        """The subgraph (this step's own first) and key by which the deferred
        `selections` on `object_type` objects can be fetched apart, if any."""
        if object_type is None or object_type not in self.sg.types:
            return None
        join_type = self.sg.types[object_type]
        graphs = [step.subgraph, *(g for g in join_type.graphs if g != step.subgraph)]
        choices: list[tuple[str, EntityKey]] = []
        for graph in graphs:
            key = self.qg.key_for(step.subgraph, object_type, graph, object_type)
            if key is not None:
                choices.append((graph, key))
        if not choices:
            return None
        return max(
            choices,
            key=lambda c: self.qg.local_score(c[0], object_type, selections),
        )

    def _defer_use(
        self,
        deferral: DeferDirective,
        path: tuple[str, ...],
        type_name: str,
        parent: int | None,
    ) -> int:
        self.graph.defers.append(DeferUse(deferral, path, type_name, parent))
        return len(self.graph.defers) - 1

    @contextlib.contextmanager
    def _deferring(self, defer: int | None, delivery: int | None) -> Iterator[None]:
        """Make fetches for deferred fragment `defer` (None: the primary response),
        inside the delivery of `delivery`, while the block runs."""
        saved = self._defer, self._delivery
        self._defer, self._delivery = defer, delivery
        try:
            yield
        finally:
            self._defer, self._delivery = saved

    def _alternatives(self, step: FetchStep) -> set[str]:
        """The other subgraphs that resolve the whole path `step` is walking from
        the nearest entity above (which each can be sent by a key) down to here."""
        path: list[tuple[str, str]] = []
        self.meter.tick(len(self._frames))
        for frame in reversed(self._frames):
            if frame.step is not step:
                return set()
            path.append((frame.parent, frame.sel.name))
            join_type = self.sg.types.get(frame.parent)
            if join_type is None or not join_type.keys:
                continue
            if self.qg.is_abstract(frame.parent):
                return set()
            return {
                graph
                for graph in join_type.graphs
                if graph != step.subgraph
                and any(key.resolvable for key in join_type.keys_in(graph))
                and all(self.qg.resolvable(graph, p, n, {}) for p, n in path)
            }
        return set()

    def _fragment(self, target: list[Sel], fragment: FragmentSel) -> list[Sel]:
        """The selection list of `fragment` in `target`; it shares the object, so
        it inherits the client's response keys already seen there."""
        inner = self.index.add_fragment(target, fragment).selections
        reserved = self._client_keys.setdefault(id(inner), {})
        inherited = self._client_keys.get(id(target), {})
        self.meter.tick(len(inherited))
        for key, sel in inherited.items():
            reserved.setdefault(key, sel)
        return inner

    def _walk_field(
        self,
        step: FetchStep,
        parent: str,
        sel: FieldSel,
        target: list[Sel],
        path: tuple[str, ...],
        provided: Provided,
    ) -> None:
        if sel.name == "__typename":
            self.index.add_field(target, sel)
            return
        subgraph = step.subgraph
        if self.qg.resolvable(subgraph, parent, sel.name, provided):
            if (
                id(sel) not in self._with_requirements
                and sel.name not in provided
                and (
                    self.qg.requires_in(subgraph, parent, sel)
                    or self._contexts_of(subgraph, parent, sel.name)
                )
            ):
                # A @requires field is only ever resolved from a representation
                # carrying the required fields: an entity fetch, even to the same
                # subgraph (Federation spec, "@requires").
                self._jump(step, parent, sel, target, path, allow_self=True)
                return
            placed = self.index.add_field(target, sel)
            self._record(step)
            if sel.selections is not None and placed.selections is not None:
                supergraph_type, depth = self.qg.field_type(parent, sel.name)
                named = self.qg.field_type_in(subgraph, parent, sel.name)
                # The supergraph's type: where it is abstract the projection needs
                # `__typename` even when this subgraph names one of its members.
                placed.type_name = supergraph_type
                sub_path = (*path, sel.response_key, *("@",) * depth)
                sub_provided = merge_selection_sets(
                    provided.get(sel.name), self.qg.provides(subgraph, parent, sel.name)
                )
                wrappers = self._root_wrappers if parent == self._root_name else ()
                self._frames.append(_Frame(step, parent, sel, target, path, wrappers))
                try:
                    self.walk(
                        step,
                        named,
                        sel.selections,
                        placed.selections,
                        sub_path,
                        sub_provided,
                    )
                finally:
                    self._frames.pop()
            return
        if self.qg.is_abstract(parent):
            self._jump_from_abstract(step, parent, sel, target, path)
        else:
            self._jump(step, parent, sel, target, path)

    # -- jumps ----------------------------------------------------------------

    def _jump(
        self,
        step: FetchStep,
        parent: str,
        sel: FieldSel,
        target: list[Sel],
        path: tuple[str, ...],
        *,
        allow_self: bool = False,
    ) -> None:
        options = self.qg.jump_targets(parent, sel.name)
        self.meter.tick(len(options))
        if not options:
            raise PlanningError(
                f"No subgraph can resolve field '{sel.name}' of type '{parent}'."
            )
        join_type = self.sg.types.get(parent)
        if (
            join_type is not None
            and not join_type.keys
            and self._reenter(step, parent, sel, target)
        ):
            return
        reachable: list[tuple[str, str, EntityKey]] = []
        for subgraph, entity_type in options:
            if subgraph == step.subgraph and entity_type == parent and not allow_self:
                continue
            key = self.qg.key_for(step.subgraph, parent, subgraph, entity_type)
            if key is not None:
                reachable.append((subgraph, entity_type, key))
        key_deps: frozenset[int] = frozenset()
        key_representation: list[Sel] | None = None
        key_renames: list[KeyRenamer] = []
        if reachable:
            index = self.graph.entity_index
            subgraph, entity_type, key = next(
                (
                    choice
                    for choice in reachable
                    if index.get(
                        (step.id, choice[0], path, frozenset({step.id}), self._defer)
                    )
                ),
                max(reachable, key=lambda c: self.qg.local_score(c[0], c[1], [sel])),
            )
        else:
            # No key of the target is known here. Ask another subgraph for the
            # path from the nearest entity above, or else fetch a key from a third
            # subgraph first, as if the key fields were @requires of the field.
            indirect = self._indirect_key_here(step, parent, options)
            if indirect is None:
                if self._reenter(step, parent, sel, target):
                    return
                indirect = self._indirect_key(step, parent, sel, options)
            subgraph, entity_type, key = indirect
            self._indirect.add((step.id, parent))
            try:
                key_deps, key_representation, key_renames = self._fetch_required(
                    step, parent, key.selection_set, target, path
                )
            finally:
                self._indirect.discard((step.id, parent))
        join_field = self.sg.field(entity_type, sel.name)
        source = join_field.source(subgraph) if join_field else None
        deps: frozenset[int] = frozenset()
        required: list[Sel] = []
        renames: list[KeyRenamer] = list(key_renames)
        if source is not None and source.requires_selection_set is not None:
            deps, required, required_renames = self._fetch_required(
                step, parent, source.requires_selection_set, target, path
            )
            renames += required_renames
        contexts: dict[str, tuple[str, int, list[Sel]]] = {}
        if source is not None and source.context_arguments:
            context_deps, contexts, sel = self._fetch_contexts(
                step, parent, sel, source.context_arguments, path
            )
            deps |= context_deps
        child, _ = self._entity_step(step, subgraph, path, deps | key_deps, renames)
        child.context_values.update(contexts)
        self._record(child)
        if key_representation is None:
            representation = self._add_key(
                step, parent, key.selection_set, target, child
            )
        else:
            self.index.add_field(target, FieldSel("__typename"))
            representation = [FieldSel("__typename"), *key_representation]
        self.index.merge_selections(
            child.requires.setdefault(parent, []), representation + required
        )
        for rename in renames:
            if rename not in child.input_rewrites:
                child.input_rewrites.append(rename)
        if entity_type != parent:
            setter = ValueSetter((f"... on {parent}", "__typename"), entity_type)
            if setter not in child.input_rewrites:
                child.input_rewrites.append(setter)
        entity_target = child.entity_selections.setdefault(entity_type, [])
        # The representation now carries what `sel` requires: place it as is.
        self._with_requirements.add(id(sel))
        try:
            self.walk_each(child, entity_type, [sel], entity_target, path, None)
        finally:
            self._with_requirements.discard(id(sel))

    def _indirect_key(
        self,
        step: FetchStep,
        parent: str,
        sel: FieldSel,
        options: list[tuple[str, str]],
    ) -> tuple[str, str, EntityKey]:
        names = ", ".join(sorted({g for g, _ in options}))
        if (step.id, parent) in self._indirect:
            raise PlanningError(
                f"Cannot plan field '{parent}.{sel.name}': no subgraph reachable "
                f"from '{step.subgraph}' provides a key of '{parent}' for {names}."
            )
        # Another subgraph (the key is fetched from here to reach it), the one that
        # resolves most of `sel` itself first.
        choices = [
            (subgraph, entity_type, key)
            for subgraph, entity_type in options
            if subgraph != step.subgraph
            for key in self.sg.types[entity_type].keys_in(subgraph)
            if key.resolvable and (entity_type == parent or key.is_interface_object)
        ]
        # Keys whose top-level fields this subgraph resolves come first: a key
        # field it must jump for may be the very field being planned (audit
        # complex-entity-call: `selected` of ProductList).
        rooted = [
            c
            for c in choices
            if all(
                self.qg.resolvable(step.subgraph, parent, name, {})
                for name in _top_level_names(c[2].selection_set)
            )
        ]
        if rooted or choices:
            return max(
                rooted or choices,
                key=lambda c: self.qg.local_score(c[0], c[1], [sel]),
            )
        raise PlanningError(
            f"Cannot plan field '{parent}.{sel.name}': {names} declare no resolvable "
            f"key of '{parent}'."
        )

    def _contexts_of(
        self, subgraph: str, parent: str, name: str
    ) -> tuple[ContextArgument, ...]:
        if self.qg.is_abstract(parent):
            return ()
        join_field = self.sg.field(parent, name)
        source = join_field.source(subgraph) if join_field else None
        return source.context_arguments if source else ()

    def _fetch_contexts(
        self,
        step: FetchStep,
        parent: str,
        sel: FieldSel,
        arguments: tuple[ContextArgument, ...],
        path: tuple[str, ...],
    ) -> tuple[frozenset[int], dict[str, tuple[str, int, list[Sel]]], FieldSel]:
        """Fetch each contextual argument's selection on the nearest ancestor
        setting its context (@fromContext); returns the steps the field's fetch
        waits for, its context variables, and `sel` passing them as arguments."""
        self._recorders.append(set())
        contexts: dict[str, tuple[str, int, list[Sel]]] = {}
        passed = list(sel.arguments)
        try:
            for argument in arguments:
                index = self._context_frame(argument.context)
                if index is None:
                    raise PlanningError(
                        f"Cannot plan field '{parent}.{sel.name}': no ancestor "
                        f"sets the context of its argument '{argument.name}'."
                    )
                frame = self._frames[index]
                sels = _to_sels(list(argument.selection_set.selections))
                saved = self._frames
                self._frames = saved[:index]
                try:
                    self.walk_each(
                        frame.step, frame.parent, sels, frame.target, frame.path, None
                    )
                finally:
                    self._frames = saved
                self._contexts += 1
                variable = f"contextualArgument_{self._contexts}"
                levels = len(path) - len(frame.path)
                contexts[variable] = (
                    argument.type,
                    levels,
                    self._representation_of(frame.parent, sels),
                )
                passed = [a for a in passed if a.name.value != argument.name]
                passed.append(
                    ArgumentNode(
                        name=NameNode(value=argument.name),
                        value=VariableNode(name=NameNode(value=variable)),
                    )
                )
        finally:
            touched = self._recorders.pop()
        for recorder in self._recorders:
            recorder |= touched
        touched.discard(step.id)
        with_values = FieldSel(
            name=sel.name,
            alias=sel.alias,
            arguments=tuple(passed),
            directives=sel.directives,
            selections=sel.selections,
            type_name=sel.type_name,
        )
        return frozenset(touched), contexts, with_values

    def _context_frame(self, context: str) -> int | None:
        """Index in `_frames` of the nearest ancestor whose type sets `context`."""
        for index in range(len(self._frames) - 1, -1, -1):
            frame_type = self._frames[index].parent
            if any(
                context in self.sg.types[t].contexts
                for t in (
                    frame_type,
                    *self.qg.possible(frame_type),
                    *self.qg.abstract_types_of(frame_type),
                )
                if t in self.sg.types
            ):
                return index
        return None

    def _indirect_key_here(
        self, step: FetchStep, parent: str, options: list[tuple[str, str]]
    ) -> tuple[str, str, EntityKey] | None:
        """A resolvable key of `parent` itself in a target subgraph whose every
        top-level field this step's subgraph or a key jump from here supplies
        (complex-entity-call: `id` here, `pid` by a jump, `category {...}` here);
        preferred to re-entry, which asks for the whole path again elsewhere."""
        if (step.id, parent) in self._indirect:
            return None
        own = self.qg.key_fields(step.subgraph, parent)
        if not own:
            return None
        for subgraph, entity_type in options:
            if entity_type != parent or subgraph == step.subgraph:
                continue
            for key in self.sg.types[parent].keys_in(subgraph):
                if key.resolvable and all(
                    self._suppliable(step.subgraph, parent, node)
                    for node in key.selection_set.selections
                ):
                    return subgraph, entity_type, key
        return None

    def _suppliable(self, subgraph: str, parent: str, node: object) -> bool:
        if not isinstance(node, FieldNode):
            return False
        if self.qg.fetchable(subgraph, parent, _single(node)):
            return True
        # Fetched by a key jump from here to a subgraph that resolves it.
        name = node.name.value
        return node.selection_set is None and any(
            self.qg.key_for(subgraph, parent, other, parent) is not None
            and self.qg.resolvable(other, parent, name, {})
            for other in self.sg.resolving_graphs(parent, name, self.labels)
            if other != subgraph
        )

    def _reenter(
        self, step: FetchStep, parent: str, sel: FieldSel, target: list[Sel]
    ) -> bool:
        """Fetch `sel` (on `parent`, which no subgraph reachable from here by a key
        resolves) by asking another subgraph for the whole field path from the
        nearest entity (or root query field) of this step down to it, type
        conditions included. False when there is none."""
        wrapper: FieldSel = sel
        # An interface field asked of each implementation is asked again whole
        # (as Apollo plans it: audit corrupted-supergraph-node-id expects `node {
        # id }` refused); a client's own fragments may go elsewhere type by type.
        inner: str | None = None if id(target) in self._exploded else parent
        for index in range(len(self._frames) - 1, -1, -1):
            frame = self._frames[index]
            if frame.step is not step:
                return False
            shell = frame.sel.shell()
            field_type, _ = self.qg.field_type(frame.parent, frame.sel.name)
            # Only the objects of the fragment's type: asking for the whole field
            # would re-enter for the members the other subgraph lacks in turn.
            shell.selections = [
                wrapper
                if inner is None or inner == field_type
                else FragmentSel(inner, (), [wrapper])
            ]
            wrapper = shell
            inner = frame.parent
            if frame.parent == self._root_name:
                if self._kind != "query":
                    return False
                return self._reenter_root(step, wrapper, frame.wrappers)
            if self._keyed_members(step.subgraph, frame.parent):
                # Jump per implementation from the abstract parent (the parent
                # entity call through an interface, audit provides-on-interface).
                self._count_reentry(sel)
                saved = self._frames
                self._frames = saved[:index]
                try:
                    self._jump_from_abstract(
                        step, frame.parent, wrapper, frame.target, frame.path
                    )
                finally:
                    self._frames = saved
                return True
            join_type = self.sg.types.get(frame.parent)
            if join_type is None or not join_type.keys:
                continue
            if self.qg.is_abstract(frame.parent):
                return False
            others = {
                g
                for g, _ in self.qg.jump_targets(frame.parent, frame.sel.name)
                if g != step.subgraph
            }
            if not others:
                continue
            self._count_reentry(sel, frame.parent)
            # Frames below this one do not apply to the path asked for anew.
            saved = self._frames
            self._frames = saved[:index]
            try:
                if not self._beside(step, frame, wrapper):
                    self._jump(step, frame.parent, wrapper, frame.target, frame.path)
            finally:
                self._frames = saved
            return True
        return False

    def _count_reentry(self, sel: FieldSel, parent: str | None = None) -> None:
        self._reentries += 1
        if self._reentries > _MAX_REENTRIES:
            raise PlanningError(
                f"Cannot plan field '{sel.name}': no subgraph resolves "
                f"the whole path to it from '{parent}'."
            )

    def _keyed_members(self, subgraph: str, parent: str) -> bool:
        """Whether `parent` is abstract and every implementation `subgraph`
        returns for it is an entity (has a key in some subgraph)."""
        if not self.qg.is_abstract(parent):
            return False
        members = self.sg.possible_types(parent, subgraph)
        return bool(members) and all(
            m in self.sg.types and self.sg.types[m].keys for m in members
        )

    def _beside(self, step: FetchStep, frame: _Frame, wrapper: FieldSel) -> bool:
        """When `frame` is an entity `step` was sent, ask another subgraph for
        `wrapper` with the same representations, beside `step` rather than after
        it (the parent entity call). False when no subgraph can take them."""
        entity = frame.parent
        if not step.is_entity or step.entity_selections.get(entity) is not frame.target:
            return False
        representation = step.requires.get(entity)
        if not representation or not step.depends_on:
            return False
        renamed = {
            r.path[-1]: r.rename_key_to
            for r in step.input_rewrites
            if isinstance(r, KeyRenamer) and len(r.path) == 2
        }
        copied = {
            renamed.get(s.response_key, s.response_key)
            for s in representation
            if isinstance(s, FieldSel)
        } | {"__typename"}
        for subgraph, entity_type in self.qg.jump_targets(entity, wrapper.name):
            if subgraph == step.subgraph or entity_type != entity:
                continue
            key = next(
                (
                    k
                    for k in self.sg.types[entity].keys_in(subgraph)
                    if k.resolvable and _top_level_names(k.selection_set) <= copied
                ),
                None,
            )
            if key is None:
                continue
            origin = self.graph.steps[step.depends_on[0]]
            sibling, _ = self._entity_step(
                origin, subgraph, frame.path, frozenset(step.depends_on)
            )
            self._record(sibling)
            # Only `__typename` and the key: the other subgraph is sent no field
            # it does not expect.
            wanted = _top_level_names(key.selection_set) | {"__typename"}
            wanted |= {alias for alias, name in renamed.items() if name in wanted}
            self.index.merge_selections(
                sibling.requires.setdefault(entity, []),
                [
                    s
                    for s in representation
                    if isinstance(s, FieldSel) and s.response_key in wanted
                ],
            )
            for rewrite in step.input_rewrites:
                if rewrite not in sibling.input_rewrites:
                    sibling.input_rewrites.append(rewrite)
            target = sibling.entity_selections.setdefault(entity, [])
            self.walk_each(sibling, entity, [wrapper], target, frame.path, None)
            return True
        return False

    def _reenter_root(
        self,
        step: FetchStep,
        wrapper: FieldSel,
        wrappers: tuple[tuple[DirectiveNode, ...], ...],
    ) -> bool:
        candidates = [
            g
            for g in self.sg.resolving_graphs(
                self._root_name, wrapper.name, self.labels
            )
            if g != step.subgraph
        ]
        if not candidates:
            return False
        self._reentries += 1
        if self._reentries > _MAX_REENTRIES:
            raise PlanningError(
                f"Cannot plan field '{wrapper.name}': no subgraph resolves it whole."
            )
        best = max(
            candidates, key=lambda g: self.qg.local_score(g, self._root_name, [wrapper])
        )
        root = next(
            (
                s
                for s in self._root_steps
                if s.subgraph == best and s.defer == self._defer
            ),
            None,
        )
        if root is None:
            root = self.graph.add(best, self._kind, defer=self._defer)
            self._root_steps.append(root)
        target = self._root_target(root, wrappers)
        self.walk_each(root, self._root_name, [wrapper], target, (), None)
        return True

    def _fetch_required(
        self,
        step: FetchStep,
        parent: str,
        requires: SelectionSetNode,
        target: list[Sel],
        path: tuple[str, ...],
    ) -> tuple[frozenset[int], list[Sel], list[KeyRenamer]]:
        """Fetch @requires fields of `parent` objects; returns the steps the requiring
        fetch must wait for, the representation selections, and key renames."""
        self._recorders.append(set())
        representation: list[Sel] = []
        renames: list[KeyRenamer] = []
        try:
            for node in requires.selections:
                if isinstance(node, FieldNode) and self.qg.fetchable(
                    step.subgraph, parent, _single(node)
                ):
                    representation += self._add_plain(
                        parent, [node], target, (f"... on {parent}",), renames
                    )
                else:
                    sels = _to_sels([node])
                    self._alias_required(parent, sels, (f"... on {parent}",), renames)
                    self.walk_each(step, parent, sels, target, path, None)
                    representation += self._representation_of(parent, sels)
        finally:
            touched = self._recorders.pop()
        for recorder in self._recorders:
            recorder |= touched
        touched.discard(step.id)
        return frozenset(touched), representation, renames

    def _representation_of(self, parent: str, sels: list[Sel]) -> list[Sel]:
        """What a representation copies of `sels` (on `parent`): response keys
        without client details, with `__typename` in nested abstract values."""
        copies: list[Sel] = []
        for sel in sels:
            if isinstance(sel, FragmentSel):
                inner = self._representation_of(
                    sel.type_condition or parent, sel.selections
                )
                copies.append(FragmentSel(sel.type_condition, (), inner))
                continue
            sub = None
            if sel.selections is not None:
                named, _ = self.qg.field_type(parent, sel.name)
                sub = self._representation_of(named, sel.selections)
                if self.qg.is_abstract(named):
                    sub.insert(0, FieldSel("__typename"))
            copies.append(FieldSel(sel.response_key, selections=sub))
        return copies

    def _required_alias(self, parent: str, sel: FieldSel) -> str:
        """The alias a required field with arguments is fetched under: the client
        (or another requirement) may select the same field with other arguments
        under its name (audit requires-with-argument, -conflict)."""
        arguments = " ".join(print_ast(a) for a in sel.arguments)
        key = (parent, sel.name, arguments)
        alias = self._required_aliases.get(key)
        if alias is None:
            alias = f"{PLANNER_ALIAS_PREFIX}{sel.name}_{len(self._required_aliases)}"
            self._required_aliases[key] = alias
        return alias

    def _alias_required(
        self,
        parent: str,
        sels: list[Sel],
        path: tuple[str, ...],
        renames: list[KeyRenamer],
    ) -> None:
        """Give the fields with arguments of required `sels` (on `parent`) their
        planner alias, recording the renames that restore their names."""
        for sel in sels:
            if isinstance(sel, FragmentSel):
                condition = sel.type_condition or parent
                self._alias_required(
                    condition, sel.selections, (*path, f"... on {condition}"), renames
                )
                continue
            key = sel.response_key
            if sel.arguments:
                sel.alias = self._required_alias(parent, sel)
                renames.append(KeyRenamer((*path, sel.alias), sel.name))
            if sel.selections:
                named, _ = self.qg.field_type(parent, sel.name)
                # Renames apply in order, the outer one first: inner paths use
                # the restored name.
                self._alias_required(named, sel.selections, (*path, key), renames)

    def _add_key(
        self,
        step: FetchStep,
        parent: str,
        key: SelectionSetNode,
        target: list[Sel],
        child: FetchStep,
        type_conditions: tuple[str, ...] = (),
    ) -> list[Sel]:
        """Add `__typename` and the key fields to `target`; return the representation
        selections that copy them (renames of aliased keys go to `child`)."""
        self.index.add_field(target, FieldSel("__typename"))
        renames: list[KeyRenamer] = []
        representation: list[Sel] = [FieldSel("__typename")]
        representation += self._add_plain(
            parent, list(key.selections), target, (f"... on {parent}",), renames
        )
        for rename in renames:
            for condition in type_conditions or (parent,):
                moved = KeyRenamer(
                    (f"... on {condition}", *rename.path[1:]), rename.rename_key_to
                )
                if moved not in child.input_rewrites:
                    child.input_rewrites.append(moved)
        self._record(step)
        return representation

    def _add_plain(
        self,
        parent: str,
        nodes: list[object],
        target: list[Sel],
        path: tuple[str, ...],
        renames: list[KeyRenamer],
    ) -> list[Sel]:
        """Add field-set `nodes` to `target` as planner fields; return the
        representation selections that read them back."""
        representation: list[Sel] = []
        for node in nodes:
            if isinstance(node, InlineFragmentNode):
                condition = (
                    node.type_condition.name.value if node.type_condition else parent
                )
                fragment = self.index.add_fragment(target, FragmentSel(condition))
                inner = self._add_plain(
                    condition,
                    list(node.selection_set.selections),
                    fragment.selections,
                    (*path, f"... on {condition}"),
                    renames,
                )
                representation.append(FragmentSel(condition, (), inner))
                continue
            assert isinstance(node, FieldNode)
            name = node.name.value
            wanted = FieldSel(
                name,
                arguments=tuple(node.arguments or ()),
                selections=[] if node.selection_set else None,
            )
            alias = None
            if wanted.arguments:
                alias = self._required_alias(parent, wanted)
            else:
                existing = self.index.find_response_key(
                    target, name
                ) or self._client_keys.get(id(target), {}).get(name)
                # A client's field that differs only by its @skip/@include merges
                # with ours: ours, unconditional, makes sure the value is there.
                if existing is not None and not existing.mergeable(wanted):
                    alias = f"{PLANNER_ALIAS_PREFIX}{name}"
            if alias is not None:
                wanted.alias = alias
                renames.append(KeyRenamer((*path, alias), name))
            placed = self.index.add_field(target, wanted)
            sub: list[Sel] | None = None
            if node.selection_set is not None and placed.selections is not None:
                named, _ = self.qg.field_type(parent, name)
                placed.type_name = named
                sub = self._add_plain(
                    named,
                    list(node.selection_set.selections),
                    placed.selections,
                    (*path, name),
                    renames,
                )
                if self.qg.is_abstract(named):
                    # Nested abstract values travel with their type, so both the
                    # executor's `... on T` and the subgraph can tell them apart.
                    self.index.add_field(placed.selections, FieldSel("__typename"))
                    sub.insert(0, FieldSel("__typename"))
            representation.append(FieldSel(alias or name, selections=sub))
        return representation

    def _jump_from_abstract(
        self,
        step: FetchStep,
        parent: str,
        sel: FieldSel,
        target: list[Sel],
        path: tuple[str, ...],
    ) -> None:
        subgraph = step.subgraph
        for other in self.sg.resolving_graphs(parent, sel.name, self.labels):
            if other == subgraph or not self.qg.interface_object_in(other, parent):
                continue
            key = next(
                (
                    k
                    for k in self.sg.types[parent].keys_in(other)
                    if k.resolvable
                    and self.qg.fetchable(subgraph, parent, k.selection_set)
                ),
                None,
            )
            if key is None:
                continue
            # An @interfaceObject subgraph resolves it for every implementation.
            join_field = self.sg.field(parent, sel.name)
            source = join_field.source(other) if join_field else None
            deps: frozenset[int] = frozenset()
            required: list[Sel] = []
            renames: list[KeyRenamer] = []
            if source is not None and source.requires_selection_set is not None:
                deps, required, renames = self._fetch_required(
                    step, parent, source.requires_selection_set, target, path
                )
            per_member = [
                KeyRenamer((f"... on {member}", *r.path[1:]), r.rename_key_to)
                for r in renames
                for member in self.sg.possible_types(parent, subgraph)
            ]
            child, _ = self._entity_step(step, other, path, deps, per_member)
            self._record(child)
            members = self.sg.possible_types(parent, subgraph)
            representation = self._add_key(
                step, parent, key.selection_set, target, child, members
            )
            for member in members:
                self.index.merge_selections(
                    child.requires.setdefault(member, []), representation + required
                )
                for rename in renames:
                    moved = KeyRenamer(
                        (f"... on {member}", *rename.path[1:]), rename.rename_key_to
                    )
                    if moved not in child.input_rewrites:
                        child.input_rewrites.append(moved)
            for member in members:
                setter = ValueSetter((f"... on {member}", "__typename"), parent)
                if setter not in child.input_rewrites:
                    child.input_rewrites.append(setter)
            entity_target = child.entity_selections.setdefault(parent, [])
            self.walk_each(child, parent, [sel], entity_target, path, None)
            return
        # Otherwise ask each implementation this subgraph returns on its own.
        members = self.sg.possible_types(parent, subgraph)
        if not members:
            raise PlanningError(
                f"Cannot plan field '{parent}.{sel.name}': '{subgraph}' returns no "
                f"implementation of '{parent}' and no subgraph resolves it for the "
                "interface."
            )
        for member in members:
            inner = self._fragment(target, FragmentSel(member))
            self._exploded.add(id(inner))
            try:
                self.walk_each(step, member, [sel], inner, path, None)
            finally:
                self._exploded.discard(id(inner))

    def _jump_from_interface_object(
        self,
        step: FetchStep,
        parent: str,
        selections: list[Sel],
        target: list[Sel],
        path: tuple[str, ...],
    ) -> None:
        subgraph = step.subgraph
        for other in self.sg.types[parent].graphs:
            if (
                other == subgraph
                or self.qg.interface_object_in(other, parent)
                # No implementation there: `... on Interface` is no entity it knows.
                or not self.sg.possible_types(parent, other)
            ):
                continue
            key = next(
                (
                    k
                    for k in self.sg.types[parent].keys_in(other)
                    if k.resolvable
                    and self.qg.fetchable(subgraph, parent, k.selection_set)
                ),
                None,
            )
            if key is None:
                continue
            child, _ = self._entity_step(step, other, path)
            self._record(child)
            representation = self._add_key(
                step, parent, key.selection_set, target, child
            )
            self.index.merge_selections(
                child.requires.setdefault(parent, []), representation
            )
            entity_target = child.entity_selections.setdefault(parent, [])
            self.walk_each(child, parent, selections, entity_target, path, None)
            return
        raise PlanningError(
            f"No subgraph defines interface '{parent}' with a key reachable from the "
            f"@interfaceObject in '{subgraph}'."
        )

    def _entity_step(
        self,
        parent: FetchStep,
        subgraph: str,
        response_path: tuple[str, ...],
        depends_on: frozenset[int] = frozenset(),
        renames: Sequence[KeyRenamer] = (),
    ) -> tuple[FetchStep, bool]:
        """`self.graph.entity_step(...)`, counted as a jump (budget.py)."""
        self.meter.tick(JUMP_STEPS)
        return self.graph.entity_step(
            parent, subgraph, response_path, depends_on, renames, self._defer
        )

    def _record(self, step: FetchStep) -> None:
        for recorder in self._recorders:
            recorder.add(step.id)


_MAX_REENTRIES = 64


@dataclass(frozen=True, slots=True)
class _Frame:
    """A field whose selection the walk is inside, in `step`."""

    step: FetchStep
    parent: str
    sel: FieldSel
    target: list[Sel]
    path: tuple[str, ...]
    wrappers: tuple[tuple[DirectiveNode, ...], ...] = ()


_OPERATION_TYPES = {
    "query": OperationType.QUERY,
    "mutation": OperationType.MUTATION,
    "subscription": OperationType.SUBSCRIPTION,
}


_RootItem: TypeAlias = (
    "tuple[FieldSel, tuple[tuple[DirectiveNode, ...], ...], tuple[DeferDirective, ...]]"
)


def _root_items(
    selections: list[Sel],
    wrappers: tuple[tuple[DirectiveNode, ...], ...],
    deferrals: tuple[DeferDirective, ...] = (),
) -> list[_RootItem]:
    """Root fields with the conditional fragments (directives) around each, and
    the deferred fragments they are in, outermost first."""
    items: list[_RootItem] = []
    for sel in selections:
        if isinstance(sel, FieldSel):
            items.append((sel, wrappers, deferrals))
        else:
            inner = (*wrappers, sel.directives) if sel.directives else wrappers
            deferred = deferrals if sel.defer is None else (*deferrals, sel.defer)
            items += _root_items(sel.selections, inner, deferred)
    return items


def _single(node: FieldNode) -> SelectionSetNode:
    return SelectionSetNode(selections=(node,))


def _to_sels(nodes: list[object]) -> list[Sel]:
    sels: list[Sel] = []
    for node in nodes:
        if isinstance(node, FieldNode):
            sub = (
                _to_sels(list(node.selection_set.selections))
                if node.selection_set
                else None
            )
            arguments = tuple(node.arguments or ())
            sels.append(FieldSel(node.name.value, arguments=arguments, selections=sub))
        elif isinstance(node, InlineFragmentNode):
            condition = node.type_condition.name.value if node.type_condition else None
            sels.append(
                FragmentSel(
                    condition, (), _to_sels(list(node.selection_set.selections))
                )
            )
    return sels


def _collect_keys(selections: list[Sel], keys: dict[str, FieldSel]) -> int:
    """Add the response keys of `selections` (through fragments) to `keys`; returns
    how many selections it looked at."""
    seen = len(selections)
    for sel in selections:
        if isinstance(sel, FieldSel):
            keys.setdefault(sel.response_key, sel)
        else:
            seen += _collect_keys(sel.selections, keys)
    return seen


def _top_level_names(selection_set: SelectionSetNode) -> set[str]:
    return {n.name.value for n in selection_set.selections if isinstance(n, FieldNode)}
