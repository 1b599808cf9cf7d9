"""Run a QueryPlan against the subgraphs and build the client's response.

Parallel nodes run under one asyncio.TaskGroup, Sequence nodes in order. Fetch
results are merged into one response tree by response key, then projected onto the
client's operation. A subgraph that fails, times out or answers garbage becomes an
error with `extensions.code` and `extensions.serviceName` and leaves its fields
null: the request still answers with partial data.
"""

from __future__ import annotations

import asyncio
import logging
from bisect import bisect_right
from typing import TYPE_CHECKING, Any

import orjson
from graphql import OperationType

from ..errors import AgoraError, PlanningError, SubgraphBadResponse, SubgraphError
from ..planner import (
    ConditionNode,
    DeferNode,
    EntityBatchNode,
    FetchNode,
    FlattenNode,
    ParallelNode,
    SequenceNode,
)
from ..transport import SignedHeaders, SubgraphRequest
from .merge import (
    collect_below,
    collect_objects,
    copy_json,
    deep_merge,
    response_path,
)
from .representations import (
    EntityBatch,
    apply_rewrites,
    build_representation,
    context_variables,
    reader_for,
)
from .response_errors import (
    entity_error_paths,
    error_sort_key,
    failure_error,
    subgraph_error,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from ..planner import PlanNode, QueryPlan, Selection
    from ..transport import SubgraphResponse, SubgraphTransport
    from ..types import JSONObject
    from .merge import ObjectPath
    from .projection import Projection

__all__ = ["execute_plan"]

logger = logging.getLogger("agora.gateway")


async def execute_plan(
    plan: QueryPlan,
    projection: Projection,
    variables: dict[str, Any],
    transports: Mapping[str, SubgraphTransport],
    *,
    headers: Mapping[str, str] | None = None,
    sign: Callable[[], Mapping[str, str]] | None = None,
) -> JSONObject:
    """Execute `plan` and return the GraphQL response (`data`, and `errors` if any).

    `variables` are the client's coerced variable values. `headers` are sent with
    every subgraph request, and with them what `sign()` returns when each request is
    sent (the caller's signed identity, fresh however late the fetch). Never raises
    for a subgraph failure.
    """
    execution = _Execution(variables, transports, headers or {}, sign)
    if plan.node is not None:
        await execution.run(plan.node)
    errors = execution.errors
    data = projection.project(execution.data, variables, errors)
    response: JSONObject = {}
    if errors:
        errors.sort(key=error_sort_key)
        response["errors"] = errors
    response["data"] = data
    return response


class _Execution:
    """The state of one request's plan run: the merged data and the errors so far
    (incremental.py runs each deferred fragment with errors of its own over the
    same data)."""

    __slots__ = (
        "data",
        "errors",
        "found",
        "headers",
        "sign",
        "transports",
        "variables",
    )

    def __init__(
        self,
        variables: dict[str, Any],
        transports: Mapping[str, SubgraphTransport],
        headers: Mapping[str, str],
        sign: Callable[[], Mapping[str, str]] | None = None,
    ) -> None:
        self.variables = variables
        self.transports = transports
        self.headers = headers
        self.sign = sign
        self.data: JSONObject = {}
        self.errors: list[JSONObject] = []
        # Flatten path -> the objects collected there, while no merge above them
        # could have replaced them (see _collect); None: collect from the root
        # every time (several executions merging into one data, as @defer's).
        self.found: (
            dict[tuple[str, ...], tuple[list[JSONObject], list[ObjectPath]]] | None
        ) = {}

    async def run(self, node: PlanNode | EntityBatchNode) -> None:
        if isinstance(node, FetchNode):
            await self._root_fetch(node, [self.data], [None])
            if self.found:
                self.found.clear()
        elif isinstance(node, FlattenNode):
            if not self.found:
                await self._flatten(node, None)
                return
            written: set[str] = set()
            await self._flatten(node, written)
            self._merged_at(node.path, written)
        elif isinstance(node, SequenceNode):
            for child in node.nodes:
                await self.run(child)
        elif isinstance(node, ParallelNode):
            children = node.batched or node.nodes
            if len(children) == 1:
                await self.run(children[0])
                return
            async with asyncio.TaskGroup() as group:
                for task in children:
                    group.create_task(self.run(task))
        elif isinstance(node, EntityBatchNode):
            if not self.found:
                await self._batch_fetch(node, None)
                return
            keys: set[str] = set()
            await self._batch_fetch(node, keys)
            for path, _ in node.entries:
                self._merged_at(path, keys)
        elif isinstance(node, ConditionNode):
            branch = (
                node.if_clause
                if self.variables.get(node.condition) is True
                else node.else_clause
            )
            if branch is not None:
                await self.run(branch)
        elif isinstance(node, DeferNode):
            # Delivered whole (a client that takes no incremental delivery): the
            # deferred fragments run after the primary, nested ones after theirs.
            if node.primary is not None:
                await self.run(node.primary)
            for deferred in node.deferred:
                if deferred.node is not None:
                    await self.run(deferred.node)
        else:
            self.errors.append(
                failure_error(
                    PlanningError(f"{type(node).__name__} cannot run in a query"),
                    "gateway",
                )
            )

    def _collect(
        self, path: tuple[str, ...]
    ) -> tuple[list[JSONObject], list[ObjectPath]]:
        """The objects at a Flatten path, with their response paths.

        Walked on from the objects an earlier node collected at the longest prefix
        of `path` (the plan's later paths extend its earlier ones): merging into an
        object keeps it (deep_merge merges objects and equally long lists in
        place), so those objects are still the ones there, as long as no merge at
        a shorter path could have replaced them (`_merged_at` forgets those)."""
        found = self.found
        if found is None:
            return collect_objects(self.data, path)
        start: tuple[str, ...] = ()
        for known in found:
            if len(start) < len(known) <= len(path) and path[: len(known)] == known:
                start = known
        if start:
            objects, paths = found[start]
            if len(start) < len(path):
                objects, paths = collect_below(objects, paths, path[len(start) :])
        else:
            objects, paths = collect_objects(self.data, path)
        found[path] = (objects, paths)
        return objects, paths

    def _merged_at(self, path: tuple[str, ...], written: set[str]) -> None:
        """Data was merged into the objects at `path` under the keys `written`:
        forget what was collected below them through one of those keys (an object
        or list there may have been replaced, or appeared)."""
        assert self.found is not None
        depth = len(path)
        for known in [k for k in self.found if len(k) > depth]:
            if known[:depth] == path and _first_key(known, depth) in written:
                del self.found[known]

    async def _flatten(self, node: FlattenNode, written: set[str] | None) -> None:
        objects, paths = self._collect(node.path)
        if not objects:
            return
        inner = node.node
        if not isinstance(inner, FetchNode):
            self.errors.append(
                failure_error(
                    PlanningError("a Flatten node must wrap a Fetch node"), "gateway"
                )
            )
            return
        if inner.is_entity_fetch:
            await self._entity_fetch(inner, objects, paths, written)
        else:
            await self._root_fetch(inner, objects, paths, written)

    async def _root_fetch(
        self,
        node: FetchNode,
        targets: list[JSONObject],
        paths: list[ObjectPath],
        written: set[str] | None = None,
    ) -> None:
        """Send a root fetch and merge its data into `targets` (adding its keys to
        `written`)."""
        response = await self._send(node, self._variables_for(node))
        if response is None:
            return
        for error in response.errors:
            error_path = error.get("path")
            if not isinstance(error_path, list) or not error_path:
                self.errors.append(subgraph_error(error, node.service_name, None))
                continue
            for path in paths:
                self.errors.append(
                    subgraph_error(
                        error, node.service_name, response_path(path) + error_path
                    )
                )
        if response.data is None:
            return
        data = response.data
        if node.output_rewrites:
            apply_rewrites(data, node.output_rewrites)
        if written is not None:
            written.update(data)
        for target in targets:
            deep_merge(target, data)

    async def _entity_fetch(
        self,
        node: FetchNode,
        objects: list[JSONObject],
        paths: list[ObjectPath],
        written: set[str] | None,
    ) -> None:
        if not node.context_values:
            await self._entity_batch(node, objects, paths, {}, written)
            return
        # @fromContext: one request per distinct set of context values.
        groups: dict[bytes, tuple[JSONObject, list[int]]] = {}
        for index, path in enumerate(paths):
            values = context_variables(self.data, response_path(path), node)
            key = orjson.dumps(values, option=orjson.OPT_SORT_KEYS)
            groups.setdefault(key, (values, []))[1].append(index)
        async with asyncio.TaskGroup() as group:
            for values, indexes in groups.values():
                group.create_task(
                    self._entity_batch(
                        node,
                        [objects[i] for i in indexes],
                        [paths[i] for i in indexes],
                        values,
                        written,
                    )
                )

    async def _batch_fetch(
        self, batch_node: EntityBatchNode, written: set[str] | None
    ) -> None:
        """Entity fetches of several paths in one request: each path's objects give
        representations by its own `requires`, de-duplicated across all paths."""
        objects: list[JSONObject] = []
        paths: list[ObjectPath] = []
        # Index into `objects` where each entry's objects start.
        starts: list[int] = []
        batch = EntityBatch()
        for path, requires in batch_node.entries:
            found, found_paths = self._collect(path)
            start = len(objects)
            starts.append(start)
            objects += found
            paths += found_paths
            _add_representations(batch, found, start, requires)
        if batch.representations:
            await self._send_entities(
                batch_node.node, batch, objects, paths, {}, starts, written
            )

    async def _entity_batch(
        self,
        node: FetchNode,
        objects: list[JSONObject],
        paths: list[ObjectPath],
        context: JSONObject,
        written: set[str] | None,
    ) -> None:
        batch = EntityBatch()
        if not node.input_rewrites:
            _add_representations(batch, objects, 0, node.requires)
        for index, value in enumerate(objects if node.input_rewrites else ()):
            representation = build_representation(value, node.requires)
            if representation is None:
                continue
            apply_rewrites(representation, node.input_rewrites)
            batch.add(representation, index)
        if batch.representations:
            await self._send_entities(
                node, batch, objects, paths, context, None, written
            )

    async def _send_entities(
        self,
        node: FetchNode,
        batch: EntityBatch,
        objects: list[JSONObject],
        paths: list[ObjectPath],
        context: JSONObject,
        starts: list[int] | None,
        written: set[str] | None,
    ) -> None:
        """Send `batch` and merge `_entities[i]` into the objects behind
        representation i. With `starts` (an EntityBatchNode's objects, one run per
        path), an entity merged into objects of two paths is copied for the
        second: later fetches at either path must not write into the other's."""
        variables = self._variables_for(node)
        variables.update(context)
        variables["representations"] = batch.representations
        response = await self._send(node, variables)
        if response is None:
            return
        for error in response.errors:
            client_paths = entity_error_paths(error.get("path"), batch.origins, paths)
            if client_paths is None:
                self.errors.append(subgraph_error(error, node.service_name, None))
                continue
            for path in client_paths:
                self.errors.append(subgraph_error(error, node.service_name, path))
        entities = (response.data or {}).get("_entities")
        if entities is None and response.errors:
            return
        if not isinstance(entities, list) or len(entities) != len(
            batch.representations
        ):
            self.errors.append(
                failure_error(
                    SubgraphBadResponse(
                        node.service_name,
                        f"expected {len(batch.representations)} entities in _entities",
                    ),
                    node.service_name,
                )
            )
            return
        for entity, origins in zip(entities, batch.origins, strict=True):
            if not isinstance(entity, dict):
                continue
            if node.output_rewrites:
                apply_rewrites(entity, node.output_rewrites)
            if written is not None:
                written.update(entity)
            if _plain(entity):
                # deep_merge of scalars that are not null: an update.
                for origin in origins:
                    objects[origin].update(entity)
                continue
            if starts is None or len(origins) == 1 or _flat(entity):
                for origin in origins:
                    deep_merge(objects[origin], entity)
                continue
            first = bisect_right(starts, origins[0])
            for origin in origins:
                if bisect_right(starts, origin) == first:
                    deep_merge(objects[origin], entity)
                else:
                    deep_merge(objects[origin], copy_json(entity))

    def _variables_for(self, node: FetchNode) -> JSONObject:
        variables = self.variables
        return {
            name: variables[name] for name in node.variable_usages if name in variables
        }

    async def _send(
        self, node: FetchNode, variables: JSONObject
    ) -> SubgraphResponse | None:
        service = node.service_name
        transport = self.transports.get(service)
        headers = self.headers
        if self.sign is not None:
            # Signed when sent (never, when the entity cache answers).
            headers = SignedHeaders(headers, self.sign)
        request = SubgraphRequest(
            service,
            node.operation,
            variables,
            node.operation_name,
            headers,
            idempotent=node.operation_kind is not OperationType.MUTATION,
            entity_fetch=node.is_entity_fetch,
        )
        try:
            if transport is None:
                raise SubgraphError(service, "no transport is configured")
            return await transport.fetch(request)
        except AgoraError as exc:
            self.errors.append(failure_error(exc, service))
        except Exception as exc:  # a transport bug must not crash the request
            logger.exception("transport for %s raised %r", service, exc)
            self.errors.append(
                failure_error(SubgraphError(service, "unexpected failure"), service)
            )
        return None


def _add_representations(
    batch: EntityBatch,
    objects: list[JSONObject],
    start: int,
    requires: tuple[Selection, ...],
) -> None:
    """Add the representation of each of `objects` (numbered from `start`)."""
    reader = reader_for(requires)
    if reader is not None:
        for index, value in enumerate(objects, start):
            read = reader(value)
            if read is not None:
                batch.add(read[0], index, read[1])
        return
    for index, value in enumerate(objects, start):
        representation = build_representation(value, requires)
        if representation is not None:
            batch.add(representation, index)


def _flat(value: JSONObject) -> bool:
    """Whether `value` holds no object or list (merged, it shares nothing)."""
    for item in value.values():
        if type(item) is dict or type(item) is list:
            return False
    return True


def _plain(value: JSONObject) -> bool:
    """Whether `value` holds only scalars other than null."""
    for item in value.values():
        if item is None or type(item) is dict or type(item) is list:
            return False
    return True


def _first_key(path: tuple[str, ...], depth: int) -> str | None:
    """The first response key of `path` from `depth` on (past `@` and type
    conditions)."""
    for element in path[depth:]:
        if element != "@" and not element.startswith("... on "):
            return element
    return None
