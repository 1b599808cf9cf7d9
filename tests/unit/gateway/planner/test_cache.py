"""QueryPlanCache parses, validates and plans a document once."""

from __future__ import annotations

import hashlib

from gateway.planner import QueryPlanCache
from gateway.planner.cache import document_hash

from .conftest import supergraph

QUERY = "query Q { topProducts { name inStock } } query R { me { id } }"


def test_repeated_document_is_planned_once_and_shared() -> None:
    cache = QueryPlanCache(supergraph("shop"))
    first = cache.prepare(QUERY, "Q")
    second = cache.prepare(QUERY, "Q")
    assert second is first
    assert cache.plans_built == 1
    assert first.errors == ()
    assert first.operation_kind == "query"


def test_each_operation_name_gets_its_own_plan() -> None:
    cache = QueryPlanCache(supergraph("shop"))
    q = cache.prepare(QUERY, "Q")
    r = cache.prepare(QUERY, "R")
    assert str(q.plan) != str(r.plan)
    assert cache.plans_built == 2


def test_override_labels_are_part_of_the_key() -> None:
    cache = QueryPlanCache(supergraph("media"))
    query = "{ media { ... on Book { price } } }"
    off = cache.prepare(query)
    on = cache.prepare(query, override_labels=frozenset({"percent(25)"}))
    assert '"pricing"' not in str(off.plan)
    assert '"pricing"' in str(on.plan)
    assert cache.prepare(query, override_labels=frozenset({"percent(25)"})) is on


def test_parse_errors_are_returned_with_a_code() -> None:
    prepared = QueryPlanCache(supergraph("shop")).prepare("{ me { ")
    assert prepared.plan is None
    assert [e.extensions["code"] for e in prepared.errors] == ["GRAPHQL_PARSE_FAILED"]


def test_validation_errors_are_returned_with_a_code() -> None:
    prepared = QueryPlanCache(supergraph("shop")).prepare("{ me { secret } }")
    assert prepared.plan is None
    assert [e.extensions["code"] for e in prepared.errors] == [
        "GRAPHQL_VALIDATION_FAILED"
    ]


def test_inaccessible_field_fails_validation() -> None:
    prepared = QueryPlanCache(supergraph("shop")).prepare(
        "{ topProducts { secretCost } }"
    )
    assert prepared.errors[0].message == (
        "Cannot query field 'secretCost' on type 'Product'."
    )


def test_missing_operation_name_is_returned_as_an_error() -> None:
    prepared = QueryPlanCache(supergraph("shop")).prepare(QUERY)
    assert prepared.plan is None
    assert prepared.errors[0].extensions == {"code": "OPERATION_RESOLUTION_FAILURE"}


def test_least_recently_used_plans_are_evicted() -> None:
    cache = QueryPlanCache(supergraph("shop"), maxsize=1)
    cache.prepare("{ me { id } }")
    cache.prepare("{ users { id } }")
    cache.prepare("{ me { id } }")
    assert cache.plans_built == 3


def test_document_hash_is_sha256_of_the_text() -> None:
    expected = hashlib.sha256(b"{ me { id } }").hexdigest()
    assert document_hash("{ me { id } }") == expected
