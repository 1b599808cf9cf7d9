"""Errors the planner raises beyond gateway.errors.PlanningError.

AgoraError                          (gateway.errors)
└── PlanningError                   the operation cannot be planned (gateway.errors)
    └── PlanningBudgetExceeded      planning took more steps or time than its budget
"""

from __future__ import annotations

from enum import StrEnum

from ..errors import PlanningError

__all__ = ["PlanningBudgetExceeded", "PlanningLimit"]


class PlanningLimit(StrEnum):
    """Which limit of a PlanningBudget a plan ran into (the budget's field name)."""

    MAX_STEPS = "max_steps"
    MAX_SECONDS = "max_seconds"


class PlanningBudgetExceeded(PlanningError):
    """Raised when planning an operation needs more steps or time than its budget
    allows; `limit` is the budget's value and `measured` how far planning got."""

    code = "QUERY_PLANNING_BUDGET_EXCEEDED"

    def __init__(self, exceeded: PlanningLimit, limit: float, measured: float) -> None:
        if exceeded is PlanningLimit.MAX_STEPS:
            spent = f"more than {limit:g} planning steps"
        else:
            spent = f"{measured:.3f}s, more than its {limit:g}s"
        super().__init__(
            f"Planning this operation took {spent}: it is too large or too "
            "complex to plan."
        )
        self.exceeded = exceeded
        self.limit = limit
        self.measured = measured
