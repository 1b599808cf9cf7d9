"""One `rest` run for the events of many upstream subscriptions at once.

Each upstream subscription runs its plan's `rest` (the entity fetches that fill
in other subgraphs' fields) for its own events. A hundred conversations each
with its own upstream stream would then send a hundred `_entities` requests to
accounts for a hundred events that arrived together. EventBatcher gathers the
events that upstreams hand it in the same event-loop iteration, groups those
whose `rest` runs alike (the same plan node, the same caller scope and headers,
the same values of the variables `rest` reads) and runs `rest` once per group
over all of their events, so each subgraph sees one `_entities` request per
group and tick, DataLoader-style. Each upstream's events are then projected
with its own projection and variables, and each upstream gets exactly its own
responses, in order.

Nothing waits for a timer: the first upstream of a group yields once to the
loop, so the upstreams woken in the same iteration join it, then runs the
group (alone, as before, inline). A lone event costs one loop pass of latency;
under load, when many events arrive per iteration, requests are shared.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from ..execution.subscription_event import (
    EventGroup,
    execute_event_groups,
    execute_subscription_events,
)
from ..planner.plan import (
    ConditionNode,
    DeferNode,
    EntityBatchNode,
    FetchNode,
    FlattenNode,
    ParallelNode,
    SequenceNode,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable, Mapping, Sequence

    from ..execution import Projection
    from ..planner.plan import PlanNode
    from ..transport import SubgraphResponse, SubgraphTransport
    from ..types import JSONObject

__all__ = ["EventBatcher", "EventSource", "rest_variables"]


@dataclass(eq=False, slots=True)
class EventSource:
    """What one upstream subscription's events run with."""

    rest: PlanNode | None
    projection: Projection
    variables: dict[str, Any]
    headers: Mapping[str, str]
    sign: Callable[[], Mapping[str, str]] | None
    # The caller scope the upstream was opened for (identity, forwarded headers).
    scope: Hashable
    group: Hashable = field(init=False)

    def __post_init__(self) -> None:
        names = rest_variables(self.rest)
        variables = self.variables
        used = (
            variables
            if names is None
            else {name: variables[name] for name in names if name in variables}
        )
        self.group = (
            id(self.rest),
            self.scope,
            tuple(sorted(self.headers.items())),
            orjson.dumps(used, option=orjson.OPT_SORT_KEYS),
        )


def rest_variables(node: PlanNode | EntityBatchNode | None) -> frozenset[str] | None:
    """The client variables `node` reads (fetch variables, conditions), or None
    when it has a node this does not know (then every variable counts)."""
    if node is None:
        return frozenset()
    if isinstance(node, FetchNode):
        return frozenset(node.variable_usages)
    if isinstance(node, FlattenNode | EntityBatchNode):
        return rest_variables(node.node)
    if isinstance(node, SequenceNode | ParallelNode):
        children: list[PlanNode | EntityBatchNode] = list(node.nodes)
        if isinstance(node, ParallelNode) and node.batched:
            children += node.batched
        return _union(children)
    if isinstance(node, ConditionNode):
        names = _union([node.if_clause, node.else_clause])
        return None if names is None else names | {node.condition}
    if isinstance(node, DeferNode):
        return _union([node.primary, *(d.node for d in node.deferred)])
    return None


def _union(nodes: Sequence[PlanNode | EntityBatchNode | None]) -> frozenset[str] | None:
    names: frozenset[str] = frozenset()
    for child in nodes:
        found = rest_variables(child)
        if found is None:
            return None
        names |= found
    return names


@dataclass(eq=False, slots=True)
class _Waiting:
    source: EventSource
    events: Sequence[SubgraphResponse]
    future: asyncio.Future[list[JSONObject]]


@dataclass(eq=False, slots=True)
class _Group:
    """The upstreams that joined a leader in this iteration; `events` counts the
    leader's too."""

    events: int
    joined: list[_Waiting] = field(default_factory=list)


class EventBatcher:
    """Runs the `rest` of upstream events in groups: those submitted in the
    same loop iteration with the same group key run as one."""

    def __init__(
        self, transports: Mapping[str, SubgraphTransport], *, max_events: int = 256
    ) -> None:
        self.transports = transports
        # A group full with this many events is left to run; later upstreams of
        # the iteration start another (bounds one `_entities` request).
        self.max_events = max_events
        self._groups: dict[Hashable, _Group] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # For tests and the bench: rest runs, and the events they served.
        self.runs = 0
        self.events = 0

    async def execute(
        self, source: EventSource, events: Sequence[SubgraphResponse]
    ) -> list[JSONObject]:
        """One GraphQL response per event of `events`, in order (as
        execute_subscription_events gives them)."""
        if source.rest is None:
            return await execute_subscription_events(
                None,
                events,
                source.projection,
                source.variables,
                self.transports,
                headers=source.headers,
                sign=source.sign,
            )
        group = self._groups.get(source.group)
        if group is not None and group.events + len(events) <= self.max_events:
            # Another upstream leads this group in this iteration: wait for it.
            loop = asyncio.get_running_loop()
            waiting = _Waiting(source, events, loop.create_future())
            group.joined.append(waiting)
            group.events += len(events)
            return await waiting.future
        # Lead the group: every upstream woken in this iteration joins it (they
        # run before this task resumes), then run it.
        joined = _Group(len(events))
        self._groups[source.group] = joined
        try:
            await asyncio.sleep(0)
        except asyncio.CancelledError:
            self._spawn(self._take(source.group, joined))
            raise
        others = self._take(source.group, joined)
        if not others:
            # Alone (the rule at low rates): no task, no future.
            return (await self._execute([(source, events)]))[0]
        mine = _Waiting(source, events, asyncio.get_running_loop().create_future())
        self._spawn([mine, *others])
        # Cancelling this upstream cancels its own wait only: the run goes on
        # for the others.
        return await mine.future

    def _take(self, key: Hashable, group: _Group) -> list[_Waiting]:
        if self._groups.get(key) is group:
            del self._groups[key]
        return [m for m in group.joined if not m.future.done()]

    def _spawn(self, members: list[_Waiting]) -> None:
        if not members:
            return
        task = asyncio.get_running_loop().create_task(self._run(members))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, members: list[_Waiting]) -> None:
        try:
            results = await self._execute([(m.source, m.events) for m in members])
        except asyncio.CancelledError:
            for member in members:
                member.future.cancel()
            raise
        except Exception as exc:  # noqa: BLE001 - each upstream ends with it
            for member in members:
                if not member.future.done():
                    member.future.set_exception(exc)
            return
        for member, responses in zip(members, results, strict=True):
            if not member.future.done():
                member.future.set_result(responses)

    async def _execute(
        self, members: Sequence[tuple[EventSource, Sequence[SubgraphResponse]]]
    ) -> list[list[JSONObject]]:
        self.runs += 1
        self.events += sum(len(events) for _, events in members)
        # rest reads only variables the members share (the group key), so the
        # first member's serve all.
        first = members[0][0]
        return await execute_event_groups(
            first.rest,
            [
                EventGroup(events, source.projection, source.variables)
                for source, events in members
            ],
            first.variables,
            self.transports,
            headers=first.headers,
            sign=first.sign,
        )

    async def aclose(self) -> None:
        """Cancel the group runs in flight."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
