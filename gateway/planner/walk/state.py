"""The state of one walk, written down: what every part of the walk reads and
changes, each with what it is for, and the blocks that change it for a while."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from graphql import OperationType

from .._selections import FragmentSel, SelectionIndex
from ..budget import JUMP_STEPS
from ..fetch_graph import FetchGraph
from ..query_graph import QueryGraph

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from graphql import DirectiveNode, GraphQLSchema, SelectionSetNode

    from ...supergraph import Supergraph
    from .._selections import FieldSel, Sel
    from ..budget import BudgetMeter
    from ..fetch_graph import FetchStep
    from ..plan import KeyRenamer

__all__ = ["Frame", "Reenter", "Walk", "WalkEach", "root_target"]

_T = TypeVar("_T")


class WalkEach(Protocol):
    """traversal.walk_each: place `selections` on `parent` objects into `target`."""

    def __call__(
        self,
        walk: Walk,
        step: FetchStep,
        parent: str,
        selections: list[Sel],
        target: list[Sel],
        path: tuple[str, ...],
        provided: SelectionSetNode | None,
    ) -> None: ...


class Reenter(Protocol):
    """reentry.reenter: ask another subgraph for the whole path to `sel`."""

    def __call__(
        self, walk: Walk, step: FetchStep, parent: str, sel: FieldSel, target: list[Sel]
    ) -> bool: ...


def root_target(
    walk: Walk, step: FetchStep, wrappers: tuple[tuple[DirectiveNode, ...], ...]
) -> list[Sel]:
    """The selection list of `step`'s root inside the conditional fragments
    `wrappers` (made where missing)."""
    target = step.root_selections
    for directives in wrappers:
        target = walk.index.add_fragment(
            target, FragmentSel(None, directives)
        ).selections
    return target


@dataclass(frozen=True, slots=True)
class Frame:
    """A field whose selection the walk is inside, in `step`."""

    step: FetchStep
    parent: str
    sel: FieldSel
    target: list[Sel]
    path: tuple[str, ...]
    # The conditional fragments around a root field (re-entered with it).
    wrappers: tuple[tuple[DirectiveNode, ...], ...] = ()


class Walk:
    """One walk: the state of planning one operation (discarded afterwards).

    traversal.py places selections, jumps.py jumps through keys (and fetches what
    a jump needs first), reentry.py asks another subgraph for a whole path, and
    representations.py builds what a representation copies; they share this.
    """

    # The supergraph planned against, its schema, and the progressive-override
    # labels enabled for this request.
    sg: Supergraph
    schema: GraphQLSchema
    labels: frozenset[str]
    # Counts the walk's steps against the planning budget (budget.py).
    meter: BudgetMeter
    # What each subgraph resolves and how to move between them.
    qg: QueryGraph
    # What the walk builds: the fetch steps and the deferred fragments.
    graph: FetchGraph
    # Finds what each selection list of the walk already holds.
    index: SelectionIndex
    # One set per block fetching prerequisites (@requires, keys, contexts): the
    # steps the block touched, which the fetch needing them must wait for.
    recorders: list[set[int]]
    # id(selection list) -> the client's response keys on that object, so fields
    # the planner adds never take a key the client uses for something else.
    client_keys: dict[int, dict[str, FieldSel]]
    # (step, type) pairs already looking for a key elsewhere: stops cycles.
    indirect: set[tuple[int, str]]
    # The fields walked into within the current step, outermost first: where a
    # value-type field no one can jump to is re-entered from.
    frames: list[Frame]
    # The root fetches made so far, in order (mutations keep it).
    root_steps: list[FetchStep]
    # The conditional fragments around the root field being walked.
    root_wrappers: tuple[tuple[DirectiveNode, ...], ...]
    # The operation's kind (query, mutation, subscription) and root type name.
    kind: OperationType
    root_name: str
    # Re-entries made so far: past reentry.MAX_REENTRIES planning stops.
    reentries: int
    # ids of @requires fields being placed in the fetch built for them.
    with_requirements: set[int]
    # ids of the selection lists of an interface field asked of each
    # implementation in turn (re-entered whole from them: reentry.py).
    exploded: set[int]
    # Context variables made so far (@fromContext), for unique names.
    contexts: int
    # (type, field, printed arguments) -> the alias a required field with
    # arguments is fetched under, so two requirements never share a response key.
    required_aliases: dict[tuple[str, str, str], str]
    # The deferred fragment whose fetches the walk is making (index into
    # graph.defers), None for the primary response's; `deferring` sets it.
    defer: int | None
    # The deferred fragment the walk is inside, for nesting deliveries (it may be
    # fetched with the primary response: then `defer` stays as it was).
    delivery: int | None
    # Where the walk recurses: a jump walks what it fetches (traversal.walk_each),
    # a field no key leads to is asked again elsewhere (reentry.reenter). Given by
    # walk_operation, so that jumps.py and reentry.py, which traversal reaches,
    # need not import it (or each other) back.
    walk_each: WalkEach
    reenter: Reenter

    def __init__(
        self,
        supergraph: Supergraph,
        override_labels: frozenset[str],
        meter: BudgetMeter,
        *,
        walk_each: WalkEach,
        reenter: Reenter,
    ) -> None:
        self.sg = supergraph
        self.schema = supergraph.schema
        self.labels = override_labels
        self.meter = meter
        self.qg = QueryGraph(supergraph, override_labels, meter)
        self.graph = FetchGraph()
        self.index = SelectionIndex()
        self.recorders = []
        self.client_keys = {}
        self.indirect = set()
        self.frames = []
        self.root_steps = []
        self.root_wrappers = ()
        self.kind = OperationType.QUERY
        self.root_name = ""
        self.reentries = 0
        self.with_requirements = set()
        self.exploded = set()
        self.contexts = 0
        self.required_aliases = {}
        self.defer = None
        self.delivery = None
        self.walk_each = walk_each
        self.reenter = reenter

    # -- what changes for a while ----------------------------------------------

    @contextlib.contextmanager
    def within(self, frame: Frame) -> Iterator[None]:
        """Walk inside `frame`'s field while the block runs."""
        self.frames.append(frame)
        try:
            yield
        finally:
            self.frames.pop()

    @contextlib.contextmanager
    def frames_above(self, index: int) -> Iterator[None]:
        """Walk as if only the frames above `index` were entered (a path asked
        again from there, or a context read there)."""
        saved = self.frames
        self.frames = saved[:index]
        try:
            yield
        finally:
            self.frames = saved

    @contextlib.contextmanager
    def recording(self) -> Iterator[set[int]]:
        """Yield the set of the steps the block touches; afterwards every
        enclosing recording has them too."""
        self.recorders.append(set())
        try:
            yield self.recorders[-1]
        finally:
            touched = self.recorders.pop()
            for recorder in self.recorders:
                recorder |= touched

    @contextlib.contextmanager
    def holding(self, guard: set[_T], item: _T) -> Iterator[None]:
        """`item` is in `guard` while the block runs."""
        guard.add(item)
        try:
            yield
        finally:
            guard.discard(item)

    @contextlib.contextmanager
    def deferring(self, defer: int | None, delivery: int | None) -> Iterator[None]:
        """Make fetches for deferred fragment `defer` (None: the primary response),
        inside the delivery of `delivery`, while the block runs."""
        saved = self.defer, self.delivery
        self.defer, self.delivery = defer, delivery
        try:
            yield
        finally:
            self.defer, self.delivery = saved

    # -- small changes -----------------------------------------------------------

    def entity_step(
        self,
        parent: FetchStep,
        subgraph: str,
        response_path: tuple[str, ...],
        depends_on: frozenset[int] = frozenset(),
        renames: Sequence[KeyRenamer] = (),
    ) -> tuple[FetchStep, bool]:
        """`self.graph.entity_step(...)` for the current deferral, counted as a
        jump (budget.py)."""
        self.meter.tick(JUMP_STEPS)
        return self.graph.entity_step(
            parent, subgraph, response_path, depends_on, renames, self.defer
        )

    def record(self, step: FetchStep) -> None:
        """Tell every recording block that `step` was touched."""
        for recorder in self.recorders:
            recorder.add(step.id)

    def fragment(self, target: list[Sel], fragment: FragmentSel) -> list[Sel]:
        """The selection list of `fragment` in `target`; it shares the object, so
        it inherits the client's response keys already seen there."""
        inner = self.index.add_fragment(target, fragment).selections
        reserved = self.client_keys.setdefault(id(inner), {})
        inherited = self.client_keys.get(id(target), {})
        self.meter.tick(len(inherited))
        for key, sel in inherited.items():
            reserved.setdefault(key, sel)
        return inner
