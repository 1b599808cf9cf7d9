"""The planning budget: how much work one plan may take before it is refused.

Planning is synchronous CPU work on the event loop, so an operation crafted to make
the planner work hard (issue 10: 1.4 KB of fragment spreads that doubled per
fragment) would stall every other request. Normalisation keeps the usual attacks
linear; the budget ends whatever is left with PlanningBudgetExceeded.

A step is one unit of planning work whose cost does not grow with the operation:
- normalisation: one selection (field, inline fragment, fragment spread) of the
  document visited, and one selection of a fragment's expansion merged where it is
  spread;
- the walk: one selection placed into a fetch, one selection weighed when choosing
  the subgraph to fetch from or jump to (the paths tried), one subgraph considered
  for a jump, one response key a nested fragment inherits; a jump itself (an
  entity fetch made or joined, with its key and requirements) counts JUMP_STEPS;
- optimisation: one fetch of the graph per pass, and per pair of sibling fetches
  compared one per fetch of the graph (the comparison walks it);
- plan building: a fetch turned into a plan node counts FETCH_STEPS and one per
  line of its operation; one per fetch and wave when ordering them.
The clock is read every `CLOCK_EVERY` steps and between stages, so planning stops
within a millisecond of `max_seconds`, or one pause of the garbage collector (up to
0.1 s when an operation has made hundreds of thousands of objects).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import PlanningBudgetExceeded, PlanningLimit

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["FETCH_STEPS", "JUMP_STEPS", "BudgetMeter", "PlanningBudget"]

# The operations of the planner tests take at most about 2,000 steps and the
# benchmark operations under scripts/bench under 300; a 99 KB operation selecting
# every field of schema/supergraph.graphql three levels deep under 119 aliased root
# fields (465 fetches) takes 91,000 steps and 0.15-0.35 s cold. A step costs about
# 3 microseconds, so 300,000 steps is about a second: room for three such
# operations, and the same refusal on every machine.
DEFAULT_MAX_STEPS = 300_000
# Three times the cold plan of that operation on a loaded machine: the longest one
# plan may hold the event loop (plus at most one garbage-collector pause).
DEFAULT_MAX_SECONDS = 1.0
# What a jump and a fetch node cost, in steps: measured against placing selections
# (about 3 microseconds each), a jump takes about 70 and building a fetch node
# about 30 plus its printing.
JUMP_STEPS = 20
FETCH_STEPS = 10
# Steps between two readings of the clock (a reading costs less than one step).
CLOCK_EVERY = 128


@dataclass(frozen=True, slots=True)
class PlanningBudget:
    """Limits on the work of planning one operation (steps are defined in the module
    docstring); `clock` returns seconds, monotonic (injected so tests need no
    sleeping and the planner reads no clock of its own)."""

    max_steps: int = DEFAULT_MAX_STEPS
    max_seconds: float = DEFAULT_MAX_SECONDS
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        if self.max_steps < 1 or not self.max_seconds > 0:
            raise ValueError(
                "a planning budget needs max_steps >= 1 and max_seconds > 0, "
                f"not {self.max_steps} and {self.max_seconds}"
            )

    def start(self) -> BudgetMeter:
        """A meter for one plan, its clock started now."""
        return BudgetMeter(self)


class BudgetMeter:
    """Counts the steps of one plan against its budget."""

    __slots__ = ("_next_reading", "budget", "started", "steps")

    def __init__(self, budget: PlanningBudget) -> None:
        self.budget = budget
        # Steps taken so far.
        self.steps = 0
        # Step count at which the clock is read next.
        self._next_reading = CLOCK_EVERY
        self.started = budget.clock()

    def tick(self, steps: int = 1) -> None:
        """Count `steps` more; raises PlanningBudgetExceeded past either limit."""
        self.steps += steps
        if self.steps > self.budget.max_steps:
            raise PlanningBudgetExceeded(
                PlanningLimit.MAX_STEPS, self.budget.max_steps, self.steps
            )
        if self.steps >= self._next_reading:
            self._next_reading = self.steps + CLOCK_EVERY
            self.check_clock()

    def check_clock(self) -> None:
        """Raise PlanningBudgetExceeded when the time limit has passed."""
        elapsed = self.budget.clock() - self.started
        if elapsed > self.budget.max_seconds:
            raise PlanningBudgetExceeded(
                PlanningLimit.MAX_SECONDS, self.budget.max_seconds, elapsed
            )
