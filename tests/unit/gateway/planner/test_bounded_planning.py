"""Planning stays linear in the merged operation, and a budget ends the rest
(issue 10, "bounded planning")."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from graphql import parse, validate

from gateway.errors import PlanningError
from gateway.planner import (
    PlanningBudget,
    PlanningBudgetExceeded,
    PlanningLimit,
    plan_operation,
)
from gateway.supergraph import load_supergraph

from .conftest import supergraph

if TYPE_CHECKING:
    from gateway.planner import QueryPlan
    from gateway.supergraph import Supergraph

ROOT = Path(__file__).resolve().parents[4]

# Generous for what these operations need (a few hundred steps, a few ms), tiny
# for what they would need if planning work doubled per fragment.
LINEAR = PlanningBudget(max_steps=2_000, max_seconds=0.1)


@cache
def agora() -> Supergraph:
    return load_supergraph((ROOT / "schema" / "supergraph.graphql").read_text())


def _plan(
    graph: Supergraph,
    query: str,
    budget: PlanningBudget | None = None,
) -> QueryPlan:
    document = parse(query)
    assert validate(graph.api_schema, document) == []
    return plan_operation(graph, document, budget=budget)


def _doubling(top: str, base: str, step: str, k: int, head: str = "") -> str:
    """`{top}` selecting `...F{k}`, with F0 = `base` and Fi = `step` on F(i-1)."""
    fragments = [base.format(i=0)]
    fragments += [step.format(i=i, j=i - 1) for i in range(1, k + 1)]
    return head + top.format(k=k) + "\n" + "\n".join(fragments)


def test_fragment_doubling_plans_as_the_fields_it_selects() -> None:
    query = _doubling(
        "{{ me {{ ...F{k} }} }}",
        "fragment F{i} on User {{ id displayName }}",
        "fragment F{i} on User {{ ...F{j} ...F{j} }}",
        40,
    )
    doubled = _plan(agora(), query, LINEAR)
    assert doubled == _plan(agora(), "{ me { id displayName } }")


def test_doubling_through_an_inline_fragment_of_the_same_type_stays_linear() -> None:
    query = _doubling(
        "{{ me {{ ...F{k} }} }}",
        "fragment F{i} on User {{ id displayName }}",
        "fragment F{i} on User {{ ...F{j} ... on User {{ ...F{j} }} }}",
        40,
    )
    doubled = _plan(agora(), query, LINEAR)
    assert doubled == _plan(agora(), "{ me { id displayName } }")


def test_fragments_spread_in_different_orders_merge() -> None:
    query = (
        "{ me { ...A40 ...B40 } }\n"
        "fragment A0 on User { id displayName }\n"
        "fragment B0 on User { displayName id }\n"
        + "\n".join(
            f"fragment A{i} on User {{ ...A{i - 1} ...B{i - 1} }}\n"
            f"fragment B{i} on User {{ ...B{i - 1} ...A{i - 1} }}"
            for i in range(1, 41)
        )
    )
    crossed = _plan(agora(), query, LINEAR)
    assert crossed == _plan(agora(), "{ me { id displayName } }")


def test_conditional_spreads_of_one_fragment_merge_under_one_condition() -> None:
    query = _doubling(
        "{{ me {{ ...F{k} @include(if: $v) }} }}",
        "fragment F{i} on User {{ id displayName }}",
        "fragment F{i} on User {{ ...F{j} @include(if: $v) ...F{j} @include(if: $v) }}",
        40,
        head="query ($v: Boolean!) ",
    )
    doubled = _plan(agora(), query, LINEAR)
    plain = "query ($v: Boolean!) { me { ... @include(if: $v) { id displayName } } }"
    assert doubled == _plan(agora(), plain)


def test_aliased_duplicates_merge_by_response_key() -> None:
    query = _doubling(
        "{{ me {{ ...F{k} }} }}",
        "fragment F{i} on User {{ a: id b: displayName }}",
        "fragment F{i} on User {{ ...F{j} a: id ...F{j} b: displayName }}",
        40,
    )
    doubled = _plan(agora(), query, LINEAR)
    assert doubled == _plan(agora(), "{ me { a: id b: displayName } }")


def test_fragments_on_an_interface_and_its_implementation_stay_linear() -> None:
    # Gk on the interface spreads Bk-1 on an implementation and the other way
    # round: from k = 2 on, each level adds nothing.
    fragments = ["fragment G0 on Media { id title }", "fragment B0 on Book { pages }"]
    for i in range(1, 41):
        fragments.append(f"fragment G{i} on Media {{ ...G{i - 1} ...B{i - 1} }}")
        fragments.append(f"fragment B{i} on Book {{ ...B{i - 1} ...G{i - 1} }}")
    query = "{ topRated { ...G40 ...B40 } }\n" + "\n".join(fragments)
    deep = _plan(supergraph("media"), query, LINEAR)
    plain = "{ topRated { id title ... on Book { pages } ... on Book { id title } } }"
    assert deep == _plan(supergraph("media"), plain)
    assert "pages" in str(deep)


def test_doubled_fragments_with_entity_jumps_plan_as_the_plain_operation() -> None:
    base = (
        "fragment F{i} on Product {{ name inStock shippingEstimate "
        "reviews {{ author {{ username name }} }} }}"
    )
    query = _doubling(
        "{{ topProducts {{ ...F{k} }} }}",
        base,
        "fragment F{i} on Product {{ ...F{j} ...F{j} }}",
        30,
    )
    doubled = _plan(supergraph("shop"), query, LINEAR)
    plain = (
        "{ topProducts { name inStock shippingEstimate "
        "reviews { author { username name } } } }"
    )
    assert doubled == _plan(supergraph("shop"), plain)


def test_a_later_selection_keeps_only_what_it_adds() -> None:
    repeated = "{ me { id tenant { id } displayName tenant { id name } id } }"
    plain = "{ me { id tenant { id name } displayName } }"
    assert _plan(agora(), repeated) == _plan(agora(), plain)


def test_a_condition_already_in_force_is_left_out_below_it() -> None:
    nested = (
        "query ($v: Boolean!) { me { ... @skip(if: $v) { id "
        "... @skip(if: $v) { displayName } } "
        "tenant @include(if: $v) { ... @include(if: $v) { name } } } }"
    )
    plain = (
        "query ($v: Boolean!) { me { ... @skip(if: $v) { id displayName } "
        "tenant @include(if: $v) { name } } }"
    )
    assert _plan(agora(), nested) == _plan(agora(), plain)


def test_selections_under_different_conditions_are_kept_apart() -> None:
    query = (
        "query ($a: Boolean!, $b: Boolean!) { me { ... @include(if: $a) { id } "
        "... @include(if: $b) { id } ... @include(if: $a) { id } } }"
    )
    operation = str(_plan(agora(), query))
    assert operation.count("@include(if: $a)") == 1
    assert operation.count("@include(if: $b)") == 1


def test_fields_of_one_name_with_other_arguments_are_not_merged() -> None:
    query = (
        '{ a: user(id: "1") { id } b: user(id: "2") { id } '
        'a: user(id: "1") { displayName } }'
    )
    plain = '{ a: user(id: "1") { id displayName } b: user(id: "2") { id } }'
    assert _plan(agora(), query) == _plan(agora(), plain)


def test_eight_thousand_aliases_of_one_field_plan_in_linear_steps() -> None:
    # About five steps an alias: normalised, placed, printed (a linear search
    # per placed field made this quadratic).
    aliases = " ".join(f"a{i}: id" for i in range(8_000))
    result = _plan(
        agora(), f"{{ me {{ {aliases} }} }}", PlanningBudget(max_steps=50_000)
    )
    assert str(result).count(": id\n") == 8_000


# Distinct response keys double the real selection per fragment: nothing merges,
# so only the budget stops it.
DISTINCT_DOUBLING = _doubling(
    "{{ me {{ tenant {{ ...T{k} }} }} }}",
    "fragment T{i} on Tenant {{ id name }}",
    "fragment T{i} on Tenant {{ a: products {{ tenant {{ ...T{j} }} }} "
    "b: products {{ tenant {{ ...T{j} }} }} }}",
    40,
)


def test_selections_doubling_per_fragment_end_with_the_step_budget() -> None:
    with pytest.raises(PlanningBudgetExceeded) as raised:
        _plan(agora(), DISTINCT_DOUBLING, PlanningBudget(max_steps=5_000))
    assert raised.value.exceeded is PlanningLimit.MAX_STEPS
    assert raised.value.limit == 5_000


def test_a_step_budget_too_small_for_the_operation_stops_planning() -> None:
    with pytest.raises(PlanningBudgetExceeded) as raised:
        _plan(
            agora(),
            "{ me { id displayName tenant { name } } }",
            PlanningBudget(max_steps=10),
        )
    error = raised.value
    assert isinstance(error, PlanningError)
    assert error.code == "QUERY_PLANNING_BUDGET_EXCEEDED"
    assert error.exceeded is PlanningLimit.MAX_STEPS
    assert (error.limit, error.measured) == (10, 11)
    assert "more than 10 planning steps" in error.message


def test_a_clock_past_the_time_budget_stops_planning() -> None:
    readings = iter([100.0, 107.5])

    def clock() -> float:
        return next(readings, 107.5)

    with pytest.raises(PlanningBudgetExceeded) as raised:
        _plan(
            agora(),
            "{ me { id displayName } }",
            PlanningBudget(max_seconds=2.0, clock=clock),
        )
    error = raised.value
    assert error.exceeded is PlanningLimit.MAX_SECONDS
    assert (error.limit, error.measured) == (2.0, 7.5)


def test_a_clock_within_the_time_budget_lets_planning_finish() -> None:
    result = _plan(
        agora(),
        "{ me { id displayName } }",
        PlanningBudget(max_seconds=2.0, clock=lambda: 100.0),
    )
    assert result == _plan(agora(), "{ me { id displayName } }")


@pytest.mark.parametrize(
    ("max_steps", "max_seconds"), [(0, 1.0), (100, 0.0), (100, float("nan"))]
)
def test_a_budget_that_allows_no_work_is_refused(
    max_steps: int, max_seconds: float
) -> None:
    with pytest.raises(ValueError, match="planning budget"):
        PlanningBudget(max_steps=max_steps, max_seconds=max_seconds)
