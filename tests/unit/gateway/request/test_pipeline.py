"""RequestPipeline.prepare: one order of checks for every transport."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphql import OperationType

from gateway.config import hash_api_key, load_config
from gateway.planner import plan_operation
from gateway.policy import Identity
from gateway.request import (
    Caller,
    Clients,
    GraphQLRequestData,
    PreparedRequest,
    Refusal,
    RequestPipeline,
    Via,
    draw_override_labels,
)
from gateway.supergraph import load_supergraph

if TYPE_CHECKING:
    import pytest

ROOT = Path(__file__).resolve().parents[4]
FIXTURES = ROOT / "tests" / "fixtures" / "composition"
AUTHORIZATION = load_supergraph(
    (FIXTURES / "authorization" / "supergraph.graphql").read_text()
)


def pipeline(**values: Any) -> tuple[RequestPipeline, Clients]:
    config = load_config(environ={}, values=values)
    return RequestPipeline(AUTHORIZATION, config, plan_operation), Clients(config)


def anonymous(clients: Clients, api_key: str | None = None) -> Caller:
    client = clients.resolve(api_key)
    assert not isinstance(client, Refusal)
    return Caller(None, client, "127.0.0.1", {})


def signed_in(clients: Clients) -> Caller:
    identity = Identity("u1", "t1", frozenset(), frozenset(), 2**40, "Bearer x")
    return Caller(identity, clients.default, "127.0.0.1", {})


def prepare(
    p: RequestPipeline,
    caller: Caller,
    query: str,
    *,
    via: Via = Via.HTTP,
    method: str = "POST",
    **kwargs: Any,
) -> PreparedRequest | Refusal:
    return p.prepare(
        GraphQLRequestData(query, **kwargs), caller, via=via, method=method
    )


def codes(result: PreparedRequest | Refusal) -> list[str]:
    assert isinstance(result, Refusal), result
    return [str((e.extensions or {}).get("code")) for e in result.errors]


def test_texts_that_differ_in_comments_and_spacing_share_one_plan() -> None:
    p, clients = pipeline()
    caller = signed_in(clients)
    first = prepare(p, caller, "{ me { id name } }")
    second = prepare(p, caller, "# the same\n{\n  me {\n    id\n    name\n  }\n}\n")
    assert isinstance(first, PreparedRequest)
    assert isinstance(second, PreparedRequest)
    assert second.plan is first.plan
    assert second.document_key == first.document_key
    assert (p.documents.parsed, p.plans_built) == (2, 1)


def test_shape_limits_refuse_before_validation_runs() -> None:
    p, clients = pipeline(limits={"max_aliases": 3})
    # Invalid too (no such field): the alias flood is what the client hears of.
    flood = "{ " + " ".join(f"a{i}: nope" for i in range(10)) + " }"
    result = prepare(p, anonymous(clients), flood)
    assert codes(result) == ["MAX_ALIASES_LIMIT"]
    assert isinstance(result, Refusal)
    assert result.errors[0].extensions == {
        "code": "MAX_ALIASES_LIMIT",
        "limit": 3,
        "measured": 10,
    }


def test_a_client_known_by_its_api_key_has_its_own_limits() -> None:
    p, clients = pipeline(
        limits={"max_depth": 10},
        clients=[
            {
                "name": "partner",
                "api_key_sha256": [hash_api_key("k1")],
                "limits": {"max_depth": 1},
            }
        ],
    )
    query = "{ user(id: 1) { id } }"
    assert isinstance(prepare(p, anonymous(clients), query), PreparedRequest)
    assert codes(prepare(p, anonymous(clients, "k1"), query)) == ["MAX_DEPTH_LIMIT"]
    assert isinstance(clients.resolve("not-a-key"), Refusal)


def test_measure_mode_reports_the_figures_and_refuses_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    p, clients = pipeline(limits={"max_depth": 1, "mode": "measure"})
    result = prepare(
        p,
        anonymous(clients),
        "{ user(id: 1) { id } }",
        extensions={"agoraExplain": True},
    )
    assert isinstance(result, PreparedRequest)
    assert result.extensions["limits"]["depth"] == 2
    assert "MAX_DEPTH_LIMIT" in caplog.text


def test_cost_is_checked_before_planning() -> None:
    p, clients = pipeline(limits={"max_cost": 5})
    assert isinstance(
        prepare(p, anonymous(clients), "{ user(id: 1) { id } }"), PreparedRequest
    )
    # A list of ten (the default list size) objects costs more than five.
    assert codes(prepare(p, anonymous(clients), "{ search { __typename } }")) == [
        "COST_ESTIMATED_TOO_EXPENSIVE"
    ]
    assert p.plans_built == 1


def test_mutations_are_refused_over_get_on_every_http_path() -> None:
    p, clients = pipeline()
    caller = signed_in(clients)
    for via in (Via.HTTP, Via.SSE):
        result = prepare(p, caller, "mutation { ping }", via=via, method="GET")
        assert codes(result) == ["METHOD_NOT_ALLOWED"]
        assert isinstance(result, Refusal)
        assert (result.status, result.headers) == (405, {"allow": "POST"})


def test_subscriptions_need_a_streaming_transport() -> None:
    agora = load_supergraph((ROOT / "schema" / "supergraph.graphql").read_text())
    config = load_config(environ={})
    p = RequestPipeline(agora, config, plan_operation)
    caller = signed_in(Clients(config))
    query = 'subscription { stockChanged(productId: "p") { quantity } }'
    assert codes(prepare(p, caller, query)) == ["BAD_REQUEST"]
    for via in (Via.SSE, Via.WEBSOCKET):
        # Reading is not changing: a subscription may come over GET.
        started = prepare(p, caller, query, via=via, method="GET")
        assert isinstance(started, PreparedRequest)
        assert started.kind is OperationType.SUBSCRIPTION


def test_introspection_and_suggestions_follow_the_client() -> None:
    p, clients = pipeline(introspection=False, field_suggestions=False)
    caller = anonymous(clients)
    assert set(codes(prepare(p, caller, "{ __schema { types { name } } }"))) == {
        "INTROSPECTION_DISABLED"
    }
    assert isinstance(prepare(p, caller, "{ __typename }"), PreparedRequest)
    refused = prepare(p, caller, "{ user(id: 1) { nam } }")
    assert codes(refused) == ["GRAPHQL_VALIDATION_FAILED"]
    assert isinstance(refused, Refusal)
    assert "Did you mean" not in refused.errors[0].message


def test_unauthorized_fields_are_removed_before_planning() -> None:
    p, clients = pipeline()
    result = prepare(p, anonymous(clients), "{ me { id } user(id: 1) { id } }")
    assert isinstance(result, PreparedRequest)
    assert result.authorization is not None
    assert [e.path for e in result.authorization.errors] == [["me"]]
    assert "me" not in str(result.plan)
    nothing_left = prepare(p, anonymous(clients), "{ me { id } }")
    assert codes(nothing_left) == ["UNAUTHORIZED_FIELD_OR_TYPE"]
    assert isinstance(nothing_left, Refusal)
    assert nothing_left.data_null


def test_a_plan_over_its_budget_is_refused_with_the_figures() -> None:
    p, clients = pipeline(planning={"max_steps": 3})
    result = prepare(p, signed_in(clients), "{ me { id name } recentOrders { id } }")
    assert codes(result) == ["QUERY_PLANNING_BUDGET_EXCEEDED"]
    assert isinstance(result, Refusal)
    extensions = result.errors[0].extensions or {}
    assert extensions["limit"] == {"max_steps": 3}
    assert extensions["measured"] > 3
    assert not result.data_null


def test_a_request_out_of_time_is_not_remembered_as_too_big() -> None:
    p, clients = pipeline()
    caller = signed_in(clients)
    query = "{ me { id } recentOrders { id } }"
    late = p.prepare(
        GraphQLRequestData(query), caller, via=Via.HTTP, deadline=time.monotonic()
    )
    assert codes(late) == ["QUERY_PLANNING_BUDGET_EXCEEDED"]
    assert isinstance(prepare(p, caller, query), PreparedRequest)


def test_percent_labels_are_drawn_and_named_labels_follow_the_config() -> None:
    labels = frozenset({"percent(25)", "beta", "gamma"})
    rng = random.Random(7)
    draws = [draw_override_labels(labels, frozenset({"beta"}), rng) for _ in range(400)]
    enabled = sum("percent(25)" in draw for draw in draws)
    assert 60 < enabled < 140
    assert all("beta" in draw and "gamma" not in draw for draw in draws)


def test_every_operation_of_the_document_keeps_to_the_shape_limits() -> None:
    # Validation walks them all: a huge operation beside the one to run would
    # cost validation time though it never runs.
    p, clients = pipeline(limits={"max_aliases": 3})
    flood = " ".join(f"a{i}: user(id: {i}) {{ id }}" for i in range(10))
    document = f"query Small {{ user(id: 1) {{ id }} }} query Big {{ {flood} }}"
    result = prepare(p, anonymous(clients), document, operation_name="Small")
    assert codes(result) == ["MAX_ALIASES_LIMIT"]


def test_a_fragment_nothing_uses_is_refused_before_validation() -> None:
    p, clients = pipeline()
    document = "{ user(id: 1) { id } } fragment Spare on User { name }"
    result = prepare(p, anonymous(clients), document)
    assert codes(result) == ["GRAPHQL_VALIDATION_FAILED"]
    assert isinstance(result, Refusal)
    assert result.errors[0].message == "Fragment 'Spare' is never used."


def test_commas_comments_and_spacing_do_not_change_the_normalised_key() -> None:
    p, _ = pipeline()
    keys = {
        p.documents.parse(text, None).key
        for text in (
            "{ user(id: 1) { id name } }",
            "{user(id:1){id,name}}",
            "# a comment\n{\n user(id: 1) {\n  id # why\n  name\n }\n}",
        )
    }
    assert len(keys) == 1
    assert p.documents.parse('{ user(id: "1") { id name } }', None).key not in keys
    same = {
        p.documents.parse(text, None).key
        for text in ('{ user(id: "a") { id } }', '{ user(id: """a""") { id } }')
    }
    assert len(same) == 1


def test_the_cost_is_estimated_once_per_value_of_the_variables_it_reads() -> None:
    agora = load_supergraph((ROOT / "schema" / "supergraph.graphql").read_text())
    config = load_config(environ={}, values={"limits": {"max_cost": 500}})
    p = RequestPipeline(agora, config, plan_operation)
    caller = signed_in(Clients(config))
    query = """query ($n: Int, $after: String) {
      products(first: $n, after: $after) { edges { node { id name } } }
    }"""
    for after in ("a", "b", "c"):
        result = prepare(p, caller, query, variables={"n": 10, "after": after})
        assert isinstance(result, PreparedRequest)
    assert len(p._costs) == 1
    over = prepare(p, caller, query, variables={"n": 1000, "after": "a"})
    assert codes(over) == ["COST_ESTIMATED_TOO_EXPENSIVE"]
    assert len(p._costs) == 2


def test_the_text_the_caches_keep_follows_operation_cache_text_bytes() -> None:
    # Distinct documents padded with spaces: each kept text weighs its bytes.
    budget = 2 * 1024 * 1024
    p, clients = pipeline(operation_cache_text_bytes=budget)
    caller = signed_in(clients)
    padding = " " * (256 * 1024)
    for n in range(20):
        assert isinstance(
            prepare(p, caller, f"{{ a{n}: me {{ id }} }}{padding}"), PreparedRequest
        )
    assert 0 < p.documents._texts.weight <= budget
    assert 0 < p._known.weight <= budget
    assert len(p._known) < 20
