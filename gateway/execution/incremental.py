"""Run a plan with deferred fragments as GraphQL incremental delivery.

The payloads are those Apollo Router and Hive Gateway send (the incremental
delivery format of graphql-js 17.0.0-alpha.2, `deferSpec=20220824`), which Apollo
Client reads: first `{data, errors?, hasNext}`, then for each deferred fragment
`{incremental: [{data, path, label?, errors?}, ...], hasNext}`, the last with
`hasNext: false`.

The primary plan runs and its payload is sent before any deferred fetch starts, so
the first payload never waits for a deferred fragment. Each deferred fragment then
runs as soon as the payload of the one it is nested in (or the primary) is out,
concurrently with its siblings, and is answered the moment it completes: one entry
per object at its path (`path` names the object, with list indexes). A fragment
whose `@defer(if: $v)` is false for this request runs with the payload around it
and is answered in it.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from ..planner import DeferNode
from .executor import _Execution, execute_plan
from .merge import collect_objects, response_path
from .response_errors import error_sort_key

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Callable, Mapping

    from ..planner import DeferredNode, QueryPlan
    from ..transport import SubgraphTransport
    from ..types import JSONObject
    from .projection import Projection

__all__ = ["execute_incrementally", "has_deferred"]


def has_deferred(plan: QueryPlan) -> bool:
    """Whether `plan` has deferred fragments (an incremental response)."""
    return isinstance(plan.node, DeferNode)


async def execute_incrementally(
    plan: QueryPlan,
    projection: Projection,
    variables: dict[str, Any],
    transports: Mapping[str, SubgraphTransport],
    *,
    headers: Mapping[str, str] | None = None,
    sign: Callable[[], Mapping[str, str]] | None = None,
) -> AsyncGenerator[JSONObject, None]:
    """The payloads of `plan` in the order they are ready (module docstring); a
    plan without deferred fragments gives one whole response. Never raises for a
    subgraph failure: its errors go into the payload it belongs to."""
    node = plan.node
    if not isinstance(node, DeferNode):
        yield await execute_plan(
            plan, projection, variables, transports, headers=headers, sign=sign
        )
        return
    primary = _Execution(variables, transports, headers or {}, sign)
    # Deferred fragments merge into one data from several executions at once.
    primary.found = None
    run = _Delivery(node.deferred, variables, primary)
    if node.primary is not None:
        await primary.run(node.primary)
    await run.inline(None, primary)
    errors = primary.errors
    data = projection.project(primary.data, variables, errors, incremental=True)
    first: JSONObject = {}
    if errors:
        errors.sort(key=error_sort_key)
        first["errors"] = errors
    first["data"] = data
    pending = {asyncio.ensure_future(run.block(i)) for i in run.children(None)}
    first["hasNext"] = bool(pending)
    yield first
    try:
        while pending:
            done, pending = await asyncio.wait(
                pending, return_when=asyncio.FIRST_COMPLETED
            )
            entries: list[JSONObject] = []
            for task in done:
                index, execution = task.result()
                entries += run.entries(index, execution, projection)
                pending |= {
                    asyncio.ensure_future(run.block(i)) for i in run.children(index)
                }
            if entries or not pending:
                payload: JSONObject = {"hasNext": bool(pending)}
                if entries:
                    payload["incremental"] = entries
                yield payload
    finally:
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task


class _Delivery:
    """Which deferred fragment is delivered when, for one request."""

    __slots__ = ("deferred", "primary", "variables", "within")

    def __init__(
        self,
        deferred: tuple[DeferredNode, ...],
        variables: dict[str, Any],
        primary: _Execution,
    ) -> None:
        self.deferred = deferred
        self.variables = variables
        self.primary = primary
        # Index -> the deferred fragment whose payload carries it: its nearest
        # enclosing one deferred for this request (None: the primary payload).
        self.within: dict[int, int | None] = {}
        for index, node in enumerate(deferred):
            parent = node.parent
            while parent is not None and not self.active(parent):
                parent = deferred[parent].parent
            self.within[index] = parent

    def active(self, index: int) -> bool:
        condition = self.deferred[index].condition
        return condition is None or self.variables.get(condition) is not False

    def children(self, index: int | None) -> list[int]:
        """The deferred fragments delivered after `index`'s payload."""
        return [
            i for i, within in self.within.items() if within == index and self.active(i)
        ]

    async def inline(self, index: int | None, execution: _Execution) -> None:
        """Run the fragments answered within `index`'s payload (`if` false)."""
        for i, within in self.within.items():
            node = self.deferred[i].node
            if within == index and not self.active(i) and node is not None:
                await execution.run(node)

    async def block(self, index: int) -> tuple[int, _Execution]:
        """Run deferred fragment `index` over the merged data, errors apart."""
        execution = _Execution(
            self.variables,
            self.primary.transports,
            self.primary.headers,
            self.primary.sign,
        )
        execution.data = self.primary.data
        execution.found = None
        node = self.deferred[index].node
        if node is not None:
            await execution.run(node)
        await self.inline(index, execution)
        return index, execution

    def entries(
        self, index: int, execution: _Execution, projection: Projection
    ) -> list[JSONObject]:
        """One incremental entry per object at the fragment's path; the errors of
        its fetches go with the entry whose path they fall under (else the first)."""
        deferred = self.deferred[index]
        objects, paths = collect_objects(self.primary.data, deferred.path)
        entries: list[JSONObject] = []
        for value, linked in zip(objects, paths, strict=True):
            path = response_path(linked)
            errors: list[JSONObject] = []
            applies, data = projection.project_deferred(
                deferred.id, deferred.type_name, value, path, self.variables, errors
            )
            if not applies:
                continue
            entry: JSONObject = {"data": data, "path": path}
            if deferred.label is not None:
                entry["label"] = deferred.label
            if errors:
                entry["errors"] = errors
            entries.append(entry)
        for error in execution.errors:
            target = _entry_for(entries, error.get("path"))
            if target is None:
                # No object to answer for: the failure still reaches the client,
                # in an entry with no data to merge.
                target = {"path": []}
                if deferred.label is not None:
                    target["label"] = deferred.label
                entries.append(target)
            target.setdefault("errors", []).append(error)
        for entry in entries:
            if "errors" in entry:
                entry["errors"].sort(key=error_sort_key)
        return entries


def _entry_for(entries: list[JSONObject], path: object) -> JSONObject | None:
    if not entries:
        return None
    if isinstance(path, list):
        for entry in entries:
            prefix = entry["path"]
            if path[: len(prefix)] == prefix:
                return entry
    return entries[0]
