"""RequestPipeline: every GraphQL request, from any transport, checked in one place.

GET, POST, SSE and both websocket protocols hand their GraphQLRequestData and Caller
to `prepare`, which runs, in order and before any subgraph is called:

  document present -> parse (the client's token limit) -> pick the operation ->
  shape limits (depth, height, aliases, root fields, directives) -> validate
  (introspection and field suggestions as the client may) -> transport rules (no
  mutation over GET; subscriptions not over plain HTTP) -> variables -> demand
  control (cost) -> authorization directives -> plan
  (budgeted, cached by normalised document, operation, override labels and what
  authorization removed)

and answers a PreparedRequest to execute, or a Refusal with GraphQL errors. A policy
added here holds for every transport; one added to a transport alone is a hole.
"""

from __future__ import annotations

import enum
import logging
import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import orjson
from graphql import (
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    get_operation_ast,
)
from graphql.execution.values import get_variable_values

from .._lru import LRU
from ..config import Charge
from ..errors import AgoraError
from ..execution import Projection
from ..planner import PlanningBudget, PlanningBudgetExceeded, PlanningLimit
from ..policy import (
    CostModel,
    LimitsMode,
    MemoryRateLimiter,
    OperationMeasures,
    PolicyRules,
    authorization_rules,
    authorize_operation,
    check_limits,
    estimate_cost,
    grants_of,
    measure_operation,
)
from ..telemetry import Telemetry
from .admission import admit
from .documents import DocumentCache, validate_unused_fragments
from .persisted import resolve_document
from .refusal import BAD_REQUEST, BAD_USER_INPUT, Refusal, graphql_error

if TYPE_CHECKING:
    from graphql import DocumentNode

    from ..config import GatewayConfig
    from ..persisted import ApqStore
    from ..planner import QueryPlan
    from ..policy import (
        AuthorizationResult,
        Grants,
        LimitsVerdict,
        OperationLimits,
        RateLimiter,
    )
    from ..supergraph import Supergraph
    from ..types import JSONObject
    from .caller import Caller, ClientPolicy
    from .documents import ParsedDocument
    from .params import GraphQLRequestData

__all__ = [
    "PlanOperation",
    "PreparedRequest",
    "RequestPipeline",
    "Via",
    "draw_override_labels",
    "override_labels_of",
]

logger = logging.getLogger("agora.gateway")

OPERATION_RESOLUTION_FAILURE = "OPERATION_RESOLUTION_FAILURE"


class PlanOperation(Protocol):
    def __call__(
        self,
        supergraph: Supergraph,
        document: DocumentNode,
        operation_name: str | None,
        *,
        override_labels: frozenset[str] = ...,
        budget: PlanningBudget | None = ...,
    ) -> QueryPlan: ...


class Via(enum.Enum):
    """The transport a request arrived on."""

    HTTP = "http"
    SSE = "sse"
    WEBSOCKET = "websocket"


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    """A request ready to execute: everything a transport needs, nothing to check."""

    kind: OperationType
    operation_name: str | None
    # The normalised document's key: equal for texts that differ only in comments
    # and spacing (upstream subscriptions are shared by it).
    document_key: str
    plan: QueryPlan
    projection: Projection
    variables: dict[str, Any]
    caller: Caller
    explain: bool
    # What authorization removed (its errors go into the response), if anything.
    authorization: AuthorizationResult | None = None
    # What the response's `extensions` carry beside the plan (limits, on explain).
    extensions: JSONObject = field(default_factory=dict)
    # The estimated cost, when something read it (a limit, a rate limit, explain).
    cost: int | None = None
    # The operation's own name in the document (for logs and metrics).
    name: str | None = None


@dataclass(frozen=True, slots=True)
class _Shape:
    """An operation picked from a document, measured before validation."""

    node: OperationDefinitionNode
    measures: OperationMeasures
    # The largest figures of any operation in the document (what validation walks).
    widest: OperationMeasures
    # Fragments no operation uses: refused before validation walks them.
    unused_fragments: tuple[GraphQLError, ...]


@dataclass(frozen=True, slots=True)
class _Operation:
    """One operation of a valid document (cached per normalised key and name)."""

    document: DocumentNode
    node: OperationDefinitionNode
    kind: OperationType
    projection: Projection
    # The estimated cost when no variable can change it, else None (per request).
    static_cost: int | None
    # The variables the estimate reads (empty when static_cost is set).
    cost_variables: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Planned:
    plan: QueryPlan | None
    error: AgoraError | None
    # False for a refusal that says more about this request than the operation.
    cacheable: bool = True


@dataclass(frozen=True, slots=True)
class _Known:
    """What `prepare` keeps of a text one client sent and that passed the checks."""

    client: ClientPolicy
    parsed: ParsedDocument
    shape: _Shape
    operation: _Operation


class RequestPipeline:
    """Prepares requests for one supergraph under one configuration."""

    def __init__(
        self,
        supergraph: Supergraph,
        config: GatewayConfig,
        plan_operation: PlanOperation,
        *,
        apq: ApqStore | None = None,
        limiter: RateLimiter | None = None,
        telemetry: Telemetry | None = None,
    ) -> None:
        self.supergraph = supergraph
        self.config = config
        self.plan_operation = plan_operation
        # Registered APQ documents (None: APQ off) and the rate limits' state.
        self.apq = apq
        self.limiter: RateLimiter = limiter or MemoryRateLimiter()
        self.telemetry = telemetry or Telemetry()
        size = config.operation_cache_size
        text_bytes = config.operation_cache_text_bytes
        self.documents = DocumentCache(supergraph.api_schema, size, text_bytes)
        self._shapes: LRU[tuple[str, str | None], _Shape | Refusal] = LRU(size)
        self._shape_verdicts: LRU[
            tuple[str, str | None, OperationLimits], tuple[Refusal | None]
        ] = LRU(size)
        self._operations: LRU[tuple[str, str | None], _Operation] = LRU(size)
        self._plans: LRU[
            tuple[str, str | None, frozenset[str], frozenset[str]], _Planned
        ] = LRU(size)
        self._authorized: LRU[tuple[str, str | None, Grants], AuthorizationResult] = (
            LRU(size)
        )
        self._costs: LRU[tuple[str, str | None, bytes | None], int] = LRU(size)
        # Keyed by the text itself: bounded by its bytes too.
        self._known: LRU[tuple[str, str | None, int], _Known] = LRU(size, text_bytes)
        self._verdicts: LRU[
            tuple[str, str | None, int, int], tuple[OperationLimits, LimitsVerdict]
        ] = LRU(size)
        metrics = self.telemetry.metrics
        self._plan_hits = metrics.plan_cache.labels("hit") if metrics else None
        self.cost_model = CostModel.from_supergraph(
            supergraph, default_list_size=config.default_list_size
        )
        self.authorization_rules = authorization_rules(supergraph)
        self.policy_rules = PolicyRules(dict(config.authorization.policies))
        self.override_labels = override_labels_of(supergraph)
        self._rng = random.Random()
        self.plans_built = 0  # how many times the planner ran (tests, metrics)

    async def accept(
        self,
        data: GraphQLRequestData,
        caller: Caller,
        *,
        via: Via,
        method: str = "POST",
        explain_header: bool = False,
        deadline: float | None = None,
    ) -> PreparedRequest | Refusal:
        """Everything a transport does with a request before running it: the rate
        limits, the document it names (APQ, trusted documents), then `prepare`."""
        refused = await admit(self.limiter, caller)
        if refused is not None:
            return refused
        resolved = await resolve_document(data, caller.client, self.apq)
        if isinstance(resolved, Refusal):
            return resolved
        prepared = self.prepare(
            resolved,
            caller,
            via=via,
            method=method,
            explain_header=explain_header,
            deadline=deadline,
        )
        charge_cost = caller.client.rate_limits.charge is Charge.COST
        cost = prepared.cost if isinstance(prepared, PreparedRequest) else None
        if charge_cost and cost is not None and cost > 1:
            # One unit was taken at the door, before any work: the rest now.
            refused = await admit(self.limiter, caller, cost - 1)
            if refused is not None:
                return refused
        return prepared

    def prepare(
        self,
        data: GraphQLRequestData,
        caller: Caller,
        *,
        via: Via,
        method: str = "POST",
        explain_header: bool = False,
        deadline: float | None = None,
    ) -> PreparedRequest | Refusal:
        """Check `data` for `caller` and plan it; never raises for bad input.

        `deadline` (`time.monotonic()` seconds) bounds a cold plan as well as the
        planning budget does; `explain_header` is a transport's own way to ask for
        the plan.
        """
        if not data.query:
            return Refusal.of("The request has no 'query' string.", BAD_REQUEST)
        client = caller.client
        limits = client.limits
        measuring = limits.mode is LimitsMode.MEASURE
        # A text this client sent before and that passed: its parse, shape and
        # compiled operation in one lookup (by the text itself, no digest).
        known_key = (data.query, data.operation_name, id(client))
        known = self._known.get(known_key)
        if known is not None and known.client is client:
            parsed, shape, operation = known.parsed, known.shape, known.operation
        else:
            checked = self._check_document(data, client, measuring)
            if isinstance(checked, Refusal):
                return checked
            parsed, shape, operation = checked
            self._known.put(
                known_key, _Known(client, parsed, shape, operation), len(data.query)
            )
        refused = _transport_rules(operation.kind, via, method)
        if refused is not None:
            return refused
        variables = self._coerce(operation, data.variables or {}, caller)
        if isinstance(variables, Refusal):
            return variables
        explain = client.explain and (explain_header or _asks_explain(data.extensions))
        extensions: JSONObject = {}
        cost = None
        charge_cost = client.rate_limits.charge is Charge.COST
        if limits.max_cost is not None or measuring or explain or charge_cost:
            cost = self._cost(parsed.key, operation, data.operation_name, variables)
            verdict = self._verdict(
                parsed.key, data.operation_name, shape, cost, limits
            )
            if verdict.refused:
                return Refusal(verdict.errors)
            if verdict.exceeded:
                logger.warning(
                    "operation %s over its limits %s (measure mode): %s",
                    data.operation_name or "(anonymous)",
                    ", ".join(verdict.exceeded),
                    verdict.figures(),
                )
            if explain:
                extensions["limits"] = verdict.figures()
        authorized = self._authorize(
            parsed.key,
            operation,
            data.operation_name,
            grants_of(caller.identity, self.policy_rules),
        )
        if authorized.document is None:
            # Nothing of the operation is left: `data: null` and the errors, with no
            # subgraph request (the Apollo Router's answer).
            return Refusal(authorized.errors, 200, data_null=True)
        labels = self._labels()
        planned = self._plan(
            parsed.key, authorized, operation, data.operation_name, labels, deadline
        )
        if planned.plan is None:
            error = planned.error
            if isinstance(error, PlanningBudgetExceeded):
                # The operation's fault, like a limit: refused, nothing executed.
                limit = error.exceeded.value
                budget = graphql_error(
                    error.message,
                    error.code,
                    limit={limit: error.limit},
                    measured=error.measured,
                )
                return Refusal((budget,))
            assert error is not None
            coded = graphql_error(error.message, error.code)
            return Refusal((coded,), 200, data_null=True)
        return PreparedRequest(
            kind=operation.kind,
            operation_name=data.operation_name,
            document_key=parsed.key,
            plan=planned.plan,
            projection=operation.projection,
            variables=variables,
            caller=caller,
            explain=explain,
            authorization=authorized if authorized.errors else None,
            extensions=extensions,
            cost=cost,
            name=operation.node.name.value if operation.node.name else None,
        )

    def _check_document(
        self, data: GraphQLRequestData, client: ClientPolicy, measuring: bool
    ) -> tuple[ParsedDocument, _Shape, _Operation] | Refusal:
        """`data`'s document parsed, within `client`'s shape limits, valid for it,
        and its operation compiled; or the refusal."""
        assert data.query is not None, "checked by prepare"
        limits = client.limits
        documents = self.documents
        # Measure mode parses everything, so the token count can be reported.
        parsed = documents.parse(data.query, None if measuring else limits.max_tokens)
        if parsed.document is None:
            return Refusal(parsed.errors)
        document = documents.canonical(parsed)
        shape = self._shape(parsed.key, document, data.operation_name)
        if isinstance(shape, Refusal):
            return shape
        # The shape limits first: validation's own work grows with aliases and
        # fields, so a flood is refused before graphql-core walks it.
        refused_shape = self._shape_refusal(
            parsed.key, data.operation_name, shape, limits
        )
        if refused_shape is not None:
            return refused_shape
        if shape.unused_fragments:
            return Refusal(shape.unused_fragments)
        errors = documents.validate(
            parsed,
            introspection=client.introspection,
            suggestions=client.field_suggestions,
        )
        if errors:
            return Refusal(errors)
        operation = self._operation(parsed.key, document, shape, data.operation_name)
        return parsed, shape, operation

    def _verdict(
        self,
        key: str,
        operation_name: str | None,
        shape: _Shape,
        cost: int,
        limits: OperationLimits,
    ) -> LimitsVerdict:
        """`check_limits` of the operation's measures and `cost` (cached)."""
        cache_key = (key, operation_name, cost, id(limits))
        found = self._verdicts.get(cache_key)
        if found is not None and found[0] is limits:
            return found[1]
        verdict = check_limits(shape.measures, cost, limits)
        self._verdicts.put(cache_key, (limits, verdict))
        return verdict

    def _cost(
        self,
        key: str,
        operation: _Operation,
        operation_name: str | None,
        variables: dict[str, Any],
    ) -> int:
        """The estimated cost: per operation, and per the values of the few
        variables it reads (a page size, not an id), so most requests hit a cache."""
        if operation.static_cost is not None:
            return operation.static_cost
        read = {name: variables.get(name) for name in operation.cost_variables}
        try:
            values = orjson.dumps(read, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # a custom scalar's value orjson cannot encode
            values = None
        cache_key = (key, operation_name, values)
        cost = self._costs.get(cache_key) if values is not None else None
        if cost is None:
            cost = estimate_cost(
                self.cost_model, operation.document, operation.node, variables
            )
            if values is not None:
                self._costs.put(cache_key, cost)
        return cost

    def _shape_refusal(
        self,
        key: str,
        operation_name: str | None,
        shape: _Shape,
        limits: OperationLimits,
    ) -> Refusal | None:
        """The refusal of a document over the shape limits (cached per client's
        limits: the figures do not change), or None."""
        cache_key = (key, operation_name, limits)
        known = self._shape_verdicts.get(cache_key)
        if known is None:
            verdict = check_limits(shape.widest, None, limits)
            known = (Refusal(verdict.errors) if verdict.refused else None,)
            self._shape_verdicts.put(cache_key, known)
        return known[0]

    def _shape(
        self, key: str, document: DocumentNode, operation_name: str | None
    ) -> _Shape | Refusal:
        cache_key = (key, operation_name)
        found = self._shapes.get(cache_key)
        if found is None:
            found = _measure(document, operation_name)
            self._shapes.put(cache_key, found)
        return found

    def _operation(
        self,
        key: str,
        document: DocumentNode,
        shape: _Shape,
        operation_name: str | None,
    ) -> _Operation:
        cache_key = (key, operation_name)
        found = self._operations.get(cache_key)
        if found is None:
            found = _compile(self.supergraph, self.cost_model, document, shape.node)
            self._operations.put(cache_key, found)
        return found

    def _authorize(
        self,
        key: str,
        operation: _Operation,
        operation_name: str | None,
        grants: Grants,
    ) -> AuthorizationResult:
        cache_key = (key, operation_name, grants)
        result = self._authorized.get(cache_key)
        if result is None:
            result = authorize_operation(
                self.authorization_rules,
                operation.document,
                operation_name,
                grants,
                dry_run=self.config.authorization.dry_run,
            )
            self._authorized.put(cache_key, result)
        return result

    def _coerce(
        self, operation: _Operation, inputs: dict[str, Any], caller: Caller
    ) -> dict[str, Any] | Refusal:
        definitions = operation.node.variable_definitions
        if not definitions and not inputs:
            return {}
        result = get_variable_values(
            self.supergraph.api_schema,
            definitions or (),
            inputs,
            max_errors=50,
            hide_suggestions=not caller.client.field_suggestions,
        )
        if isinstance(result, list):
            return Refusal(
                GraphQLError(
                    e.message,
                    nodes=e.nodes,
                    extensions={**(e.extensions or {}), "code": BAD_USER_INPUT},
                )
                for e in result
            )
        # graphql-core 3.3 returns VariableValues(sources, coerced).
        return dict(result.coerced)

    def _labels(self) -> frozenset[str]:
        if not self.override_labels:
            return frozenset()
        return draw_override_labels(
            self.override_labels, self.config.override_labels, self._rng
        )

    def _plan(
        self,
        key: str,
        authorized: AuthorizationResult,
        operation: _Operation,
        operation_name: str | None,
        labels: frozenset[str],
        deadline: float | None,
    ) -> _Planned:
        cache_key = (key, operation_name, labels, authorized.removed)
        planned = self._plans.get(cache_key)
        if planned is not None:
            if self._plan_hits is not None:
                self._plan_hits.inc()
            return planned
        metrics = self.telemetry.metrics
        started = time.perf_counter()
        with self.telemetry.tracing.span("graphql plan"):
            planned = self._plan_cold(
                authorized, operation, operation_name, labels, deadline
            )
        if metrics is not None:
            metrics.plan_cache.labels("miss").inc()
            metrics.planning_seconds.observe(time.perf_counter() - started)
        if planned.cacheable:
            self._plans.put(cache_key, planned)
            if metrics is not None:
                metrics.plan_cache_size.set(len(self._plans))
        return planned

    def _plan_cold(
        self,
        authorized: AuthorizationResult,
        operation: _Operation,
        operation_name: str | None,
        labels: frozenset[str],
        deadline: float | None = None,
    ) -> _Planned:
        document = authorized.document or operation.document
        budget = self._budget(deadline)
        if budget is None:  # no time left: this request's, not the operation's fault
            late = PlanningBudgetExceeded(PlanningLimit.MAX_SECONDS, 0.0, 0.0)
            return _Planned(None, late, cacheable=False)
        try:
            plan = self.plan_operation(
                self.supergraph,
                document,
                operation_name,
                override_labels=labels,
                budget=budget,
            )
        except AgoraError as error:
            # Out of this request's time: its deadline, not the operation's size.
            out_of_time = _ran_out_of_request_time(
                error, budget, self.config.planning.max_seconds
            )
            return _Planned(None, error, cacheable=not out_of_time)
        self.plans_built += 1
        return _Planned(plan, None)

    def _budget(self, deadline: float | None) -> PlanningBudget | None:
        """The budget of one cold plan, None when the request has no time left."""
        planning = self.config.planning
        seconds = planning.max_seconds
        if deadline is not None:
            seconds = min(seconds, deadline - time.monotonic())
            if seconds <= 0:
                return None
        return PlanningBudget(max_steps=planning.max_steps, max_seconds=seconds)


def _ran_out_of_request_time(
    error: AgoraError, budget: PlanningBudget, configured: float
) -> bool:
    return (
        isinstance(error, PlanningBudgetExceeded)
        and error.exceeded is PlanningLimit.MAX_SECONDS
        and budget.max_seconds < configured
    )


def _measure(document: DocumentNode, operation_name: str | None) -> _Shape | Refusal:
    node = get_operation_ast(document, operation_name)
    if node is None:
        message = (
            f"Unknown operation named '{operation_name}'."
            if operation_name
            else "Must provide operation name if query contains multiple operations."
        )
        return Refusal.of(message, OPERATION_RESOLUTION_FAILURE, http_level=False)
    measures = measure_operation(document, node)
    # Validation walks every operation and fragment of the document, not only the
    # one to run: the others must keep to the limits too, and a fragment nothing
    # uses (which no operation's measure counts) is refused before validation.
    others = [
        measure_operation(document, other)
        for other in document.definitions
        if isinstance(other, OperationDefinitionNode) and other is not node
    ]
    unused = validate_unused_fragments(document)
    return _Shape(node, measures, _widest(measures, others), unused)


def _widest(
    measures: OperationMeasures, others: list[OperationMeasures]
) -> OperationMeasures:
    if not others:
        return measures
    every = [measures, *others]
    return OperationMeasures(
        **{
            name: max(getattr(m, name) for m in every)
            for name in OperationMeasures.__dataclass_fields__
        }
    )


def _compile(
    supergraph: Supergraph,
    cost_model: CostModel,
    document: DocumentNode,
    node: OperationDefinitionNode,
) -> _Operation:
    projection = Projection(supergraph.api_schema, document, node)
    read = cost_model.variables_read(document, node)
    static_cost = None if read else estimate_cost(cost_model, document, node)
    return _Operation(document, node, node.operation, projection, static_cost, read)


def _transport_rules(kind: OperationType, via: Via, method: str) -> Refusal | None:
    if method == "GET" and kind is OperationType.MUTATION:
        # GraphQL over HTTP: GET must not change anything (caches, prefetching,
        # cross-site links): SSE over GET included.
        return Refusal.of(
            "Mutations cannot be sent with GET: use POST.",
            "METHOD_NOT_ALLOWED",
            405,
            headers={"allow": "POST"},
        )
    if kind is OperationType.SUBSCRIPTION and via is Via.HTTP:
        return Refusal.of(
            "Subscriptions are served over websockets or SSE "
            "(Accept: text/event-stream), not here."
        )
    return None


def _asks_explain(extensions: dict[str, Any] | None) -> bool:
    return extensions is not None and extensions.get("agoraExplain") is True


def override_labels_of(supergraph: Supergraph) -> frozenset[str]:
    """Every progressive-override label (`@join__field(overrideLabel:)`)."""
    return frozenset(
        source.override_label
        for join_type in supergraph.types.values()
        for join_field in join_type.fields.values()
        for source in join_field.sources
        if source.override_label
    )


def draw_override_labels(
    labels: frozenset[str], enabled: frozenset[str], rng: random.Random
) -> frozenset[str]:
    """The labels on for one request: `percent(N)` with probability N/100, others
    when listed in `enabled` (Apollo progressive override)."""
    active = set(enabled & labels)
    for label in labels:
        if label.startswith("percent(") and label.endswith(")"):
            try:
                percent = float(label[8:-1])
            except ValueError:
                continue
            if rng.random() * 100 < percent:
                active.add(label)
    return frozenset(active)
