"""Per-event execution of a subscription: run a SubscriptionNode's `rest` on events.

Each upstream event carries the primary fetch's data; the rest of the plan (entity
jumps, @requires) fills in fields owned by other subgraphs before the event is
projected onto the client's operation. Events that arrive in a burst are executed
together: every FlattenNode collects its objects across all the events, so one
`_entities` request per subgraph serves the whole burst.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from ..planner.plan import FetchNode
from .executor import _Execution
from .merge import collect_objects
from .response_errors import error_sort_key

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from ..planner.plan import EntityBatchNode, PlanNode
    from ..transport import SubgraphResponse, SubgraphTransport
    from ..types import JSONObject
    from .merge import ObjectPath
    from .projection import Projection

__all__ = ["EventGroup", "execute_event_groups", "execute_subscription_events"]


async def execute_subscription_events(
    rest: PlanNode | None,
    events: Sequence[SubgraphResponse],
    projection: Projection,
    variables: dict[str, Any],
    transports: Mapping[str, SubgraphTransport],
    *,
    headers: Mapping[str, str] | None = None,
    sign: Callable[[], Mapping[str, str]] | None = None,
) -> list[JSONObject]:
    """One GraphQL response per event, in order, after running `rest` on them all.

    An event's own errors (from the subscription's subgraph) are kept; errors of
    the fetches in `rest` go to the event whose objects they concern (errors with no
    path go to every event). Never raises for a subgraph failure.
    """
    (responses,) = await execute_event_groups(
        rest,
        [EventGroup(events, projection, variables)],
        variables,
        transports,
        headers=headers or {},
        sign=sign,
    )
    return responses


class EventGroup(NamedTuple):
    """Events of one upstream subscription and what completes them for its
    clients (its operation's projection and variables)."""

    events: Sequence[SubgraphResponse]
    projection: Projection
    variables: dict[str, Any]


async def execute_event_groups(
    rest: PlanNode | None,
    groups: Sequence[EventGroup],
    variables: dict[str, Any],
    transports: Mapping[str, SubgraphTransport],
    *,
    headers: Mapping[str, str],
    sign: Callable[[], Mapping[str, str]] | None = None,
) -> list[list[JSONObject]]:
    """As execute_subscription_events, for the events of several upstreams whose
    `rest` runs alike: `rest` runs once over all of them (one `_entities` request
    per subgraph), with `variables` (the values `rest` reads, which the groups
    share), and each group's events are completed with its own projection and
    variables. One list of responses per group, in order."""
    events = [event for group in groups for event in group.events]
    roots: list[JSONObject] = [dict(event.data or {}) for event in events]
    execution = _EventBatch(roots, variables, transports, headers, sign)
    if rest is not None and any(event.data is not None for event in events):
        await execution.run(rest)
    shared: list[JSONObject] = []
    per_event: list[list[JSONObject]] = [list(event.errors) for event in events]
    for error in execution.errors:
        path = error.get("path")
        if isinstance(path, list) and path and isinstance(path[0], int):
            per_event[path[0]].append({**error, "path": path[1:]})
        else:
            shared.append(error)
    results: list[list[JSONObject]] = []
    index = 0
    for group in groups:
        responses: list[JSONObject] = []
        for event in group.events:
            root, errors = roots[index], per_event[index]
            index += 1
            responses.append(
                _complete(
                    event, root, errors + shared, group.projection, group.variables
                )
            )
        results.append(responses)
    return results


def _complete(
    event: SubgraphResponse,
    root: JSONObject,
    errors: list[JSONObject],
    projection: Projection,
    variables: dict[str, Any],
) -> JSONObject:
    """One event's response: its data projected onto the client's operation."""
    if event.data is None:
        return {"errors": errors, "data": None}
    response: JSONObject = {}
    data = projection.project(root, variables, errors)
    if errors:
        errors.sort(key=error_sort_key)
        response["errors"] = errors
    response["data"] = data
    return response


class _EventBatch(_Execution):
    """An executor run whose response root is a list of events; paths start with
    the event's index, which is stripped when errors are given back."""

    __slots__ = ("roots",)

    def __init__(
        self,
        roots: list[JSONObject],
        variables: dict[str, Any],
        transports: Mapping[str, SubgraphTransport],
        headers: Mapping[str, str],
        sign: Callable[[], Mapping[str, str]] | None,
    ) -> None:
        super().__init__(variables, transports, headers, sign)
        self.roots = roots
        self.found = None

    async def run(self, node: PlanNode | EntityBatchNode) -> None:
        if isinstance(node, FetchNode):
            roots: list[ObjectPath] = [(None, i) for i in range(len(self.roots))]
            await self._root_fetch(node, self.roots, roots)
            return
        await super().run(node)

    def _collect(
        self, path: tuple[str, ...]
    ) -> tuple[list[JSONObject], list[ObjectPath]]:
        objects: list[JSONObject] = []
        paths: list[ObjectPath] = []
        for index, root in enumerate(self.roots):
            objects_here, found_paths = collect_objects(root, path)
            objects += objects_here
            paths += [_under_event(found, index) for found in found_paths]
        return objects, paths


def _under_event(path: ObjectPath, index: int) -> ObjectPath:
    """`path` (a linked path from one event's root) re-rooted under event `index`."""
    if path is None:
        return (None, index)
    parent, key = path
    return (_under_event(parent, index), key)
