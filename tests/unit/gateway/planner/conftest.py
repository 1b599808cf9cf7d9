"""Planner test fixtures: the hand-written supergraphs and a `plan` factory."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Protocol

import pytest
from graphql import parse, validate

from gateway.planner import QueryPlan, plan_operation
from gateway.supergraph import Supergraph, load_supergraph

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"


@cache
def supergraph(name: str) -> Supergraph:
    """A supergraph from tests/fixtures/supergraphs/NAME.graphql, or a reference
    composition from tests/fixtures/composition/NAME/supergraph.graphql."""
    path = FIXTURES / "supergraphs" / f"{name}.graphql"
    if not path.exists():
        path = FIXTURES / "composition" / name / "supergraph.graphql"
    return load_supergraph(path.read_text())


class Plan(Protocol):
    def __call__(
        self,
        fixture: str,
        query: str,
        operation_name: str | None = None,
        override_labels: frozenset[str] = frozenset(),
    ) -> QueryPlan: ...


def _plan(
    fixture: str,
    query: str,
    operation_name: str | None = None,
    override_labels: frozenset[str] = frozenset(),
) -> QueryPlan:
    graph = supergraph(fixture)
    document = parse(query)
    errors = validate(graph.api_schema, document)
    assert errors == [], errors
    return plan_operation(
        graph, document, operation_name, override_labels=override_labels
    )


@pytest.fixture
def plan() -> Plan:
    """plan(fixture, query, operation_name=None, override_labels=frozenset())."""
    return _plan
