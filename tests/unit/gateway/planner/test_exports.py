"""The planner package's front door lists exactly its public names, sorted."""

from __future__ import annotations

import gateway.planner as planner

MODULES = {
    "annotations",
    "budget",
    "build_plan",
    "conditions",
    "defer",
    "errors",
    "fetch_graph",
    "normalize",
    "optimize",
    "plan",
    "plan_operation",
    "query_graph",
    "walk",
}


def test_all_is_sorted_and_complete() -> None:
    assert planner.__all__ == sorted(planner.__all__)
    public = {
        name
        for name in vars(planner)
        if not name.startswith("_") and name not in MODULES - {"plan_operation"}
    }
    assert public == set(planner.__all__)
