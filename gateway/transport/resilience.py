"""Containment of a failing subgraph: circuit breaker, bulkhead, retries in a budget.

`ResilientTransport` wraps the transport of one subgraph. For each fetch it

1. sends the time left as `x-agora-deadline-ms` (the least of the subgraph's
   timeout and what is left of the client's request, `scope.current_scope`), and a
   mutation's `Idempotency-Key`, and bounds the fetch by the same time;
2. refuses at once with SUBGRAPH_UNAVAILABLE while the subgraph's circuit breaker
   is open (`CircuitBreaker`), or when its bulkhead is full for longer than the
   bulkhead's wait (`Bulkhead`): nothing is sent, so a mutation's failure is certain;
3. retries a query (never a mutation: a subgraph may have applied it) after a
   connection failure or an HTTP 503 (a timeout too with `on_timeout`), with
   full-jitter exponential back-off, while the retry budget (`RetryBudget`) and the
   deadline allow;
4. turns a mutation's timeout or dropped connection, once the request may have
   been sent, into OUTCOME_UNKNOWN (`retryable` when the client gave a key).

The state machines take a clock, so their tests need no sleeping.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import math
import random
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from ..errors import (
    SubgraphError,
    SubgraphNotCalled,
    SubgraphOutcomeUnknown,
    SubgraphTimeout,
    SubgraphUnavailable,
)
from .models import FetchProgress, SubgraphRequest, current_progress
from .scope import DEADLINE_HEADER, IDEMPOTENCY_KEY_HEADER, current_scope

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..config import GatewayConfig
    from ..telemetry.metrics import GatewayMetrics
    from .models import SubgraphResponse, SubgraphTransport

__all__ = [
    "BreakerState",
    "Bulkhead",
    "CircuitBreaker",
    "ResilienceHooks",
    "ResilientTransport",
    "RetryBudget",
    "RetryPolicy",
    "resilient_transport",
]


class BreakerState(enum.Enum):
    """CLOSED lets everything through; OPEN refuses everything until its cool-down
    ends; HALF_OPEN lets a few probes through, whose outcome closes or reopens it."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class _Window:
    """Successes and failures over the last `seconds`, in one-second buckets."""

    __slots__ = ("buckets", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = max(1, int(seconds))
        # (second, successes, failures), oldest first.
        self.buckets: deque[list[int]] = deque()

    def add(self, now: float, failed: bool) -> None:
        second = int(now)
        self._expire(second)
        if not self.buckets or self.buckets[-1][0] != second:
            self.buckets.append([second, 0, 0])
        self.buckets[-1][2 if failed else 1] += 1

    def counts(self, now: float) -> tuple[int, int]:
        """(requests, failures) in the window."""
        self._expire(int(now))
        return (
            sum(b[1] + b[2] for b in self.buckets),
            sum(b[2] for b in self.buckets),
        )

    def clear(self) -> None:
        self.buckets.clear()

    def _expire(self, second: int) -> None:
        while self.buckets and self.buckets[0][0] <= second - self.seconds:
            self.buckets.popleft()


class CircuitBreaker:
    """One subgraph's breaker.

    Opens after `failure_threshold` consecutive failures, or when at least
    `minimum_requests` in the last `window` seconds failed at a rate of
    `failure_rate` or more (0: no rate rule). Open, it refuses for `open_for`
    seconds, then lets `half_open_probes` requests through at once: a success closes
    it, a failure opens it again for another `open_for`.

    `acquire()` before a request (False: refused), then exactly one of
    `success()`, `failure()` or `abandon()` (the request was given up without an
    answer: neither, e.g. cancelled with its client).
    """

    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        failure_rate: float = 0.5,
        minimum_requests: int = 20,
        window: float = 10.0,
        open_for: float = 5.0,
        half_open_probes: int = 1,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[BreakerState], None] | None = None,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.failure_rate = failure_rate
        self.minimum_requests = minimum_requests
        self.open_for = open_for
        self.half_open_probes = max(1, half_open_probes)
        self.clock = clock
        self.on_change = on_change
        self._state = BreakerState.CLOSED
        self.consecutive_failures = 0
        self.opened_at = 0.0
        self._probes = 0
        self._window = _Window(window)
        self.last_reason = ""

    @property
    def state(self) -> BreakerState:
        """The state now (an open breaker whose cool-down is over reads HALF_OPEN)."""
        if (
            self._state is BreakerState.OPEN
            and self.clock() - self.opened_at >= self.open_for
        ):
            self._move(BreakerState.HALF_OPEN)
        return self._state

    def retry_after(self) -> float:
        """Seconds until an open breaker lets a probe through."""
        return max(0.0, self.opened_at + self.open_for - self.clock())

    def acquire(self) -> bool:
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and self._probes < self.half_open_probes:
            self._probes += 1
            return True
        return False

    def success(self) -> None:
        now = self.clock()
        self.consecutive_failures = 0
        if self._state is BreakerState.HALF_OPEN:
            self._probes = max(0, self._probes - 1)
            self._window.clear()
            self._move(BreakerState.CLOSED)
        self._window.add(now, failed=False)

    def failure(self, reason: str = "") -> None:
        now = self.clock()
        self.consecutive_failures += 1
        self.last_reason = reason
        if self._state is BreakerState.HALF_OPEN:
            self._probes = max(0, self._probes - 1)
            self._open(now)
            return
        if self._state is BreakerState.OPEN:
            return  # a request let through before it opened
        self._window.add(now, failed=True)
        if self.consecutive_failures >= self.failure_threshold > 0:
            self._open(now)
            return
        if self.failure_rate > 0:
            requests, failures = self._window.counts(now)
            if (
                requests >= self.minimum_requests
                and failures >= self.failure_rate * requests
            ):
                self._open(now)

    def abandon(self) -> None:
        if self._state is BreakerState.HALF_OPEN:
            self._probes = max(0, self._probes - 1)

    def _open(self, now: float) -> None:
        self.opened_at = now
        self._probes = 0
        self._window.clear()
        self._move(BreakerState.OPEN)

    def _move(self, state: BreakerState) -> None:
        if state is self._state:
            return
        self._state = state
        if self.on_change is not None:
            self.on_change(state)


class RetryBudget:
    """Retries allowed as a share of requests (Finagle's RetryBudget): over the
    last `window` seconds, retries may be at most `ratio` of the requests plus
    `min_per_second` * window, so a failing subgraph gets at most that much more
    load however many clients retry."""

    def __init__(
        self,
        *,
        ratio: float = 0.2,
        min_per_second: float = 10.0,
        window: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ratio = ratio
        self.min_per_second = min_per_second
        self.window = max(1.0, window)
        self.clock = clock
        self._requests: deque[float] = deque()
        self._retries: deque[float] = deque()

    def deposit(self) -> None:
        """Count one request (a first attempt)."""
        now = self.clock()
        self._expire(now)
        self._requests.append(now)

    def withdraw(self) -> bool:
        """Take one retry if the budget has it."""
        now = self.clock()
        self._expire(now)
        allowed = self.ratio * len(self._requests) + self.min_per_second * self.window
        if len(self._retries) + 1 > allowed:
            return False
        self._retries.append(now)
        return True

    def _expire(self, now: float) -> None:
        horizon = now - self.window
        for times in (self._requests, self._retries):
            while times and times[0] <= horizon:
                times.popleft()


@dataclasses.dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How a query is retried: at most `max_retries` more attempts, each after a
    random wait of up to base * 2**n seconds (capped at `max_backoff`)."""

    max_retries: int = 2
    base_backoff: float = 0.05
    max_backoff: float = 1.0
    # Retry a fetch that timed out (each attempt may take the whole timeout).
    on_timeout: bool = False

    def backoff(self, retry: int) -> float:
        """The wait before retry number `retry` (0 first): full jitter."""
        ceiling = min(self.max_backoff, self.base_backoff * (2**retry))
        return random.uniform(0.0, ceiling)


class Bulkhead:
    """At most `max_concurrent` requests in flight to one subgraph; one more waits
    up to `max_wait` seconds for a slot (0: refused at once)."""

    def __init__(self, max_concurrent: int, max_wait: float = 0.0) -> None:
        self.max_concurrent = max_concurrent
        self.max_wait = max_wait
        self.in_use = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    def try_acquire(self) -> bool:
        """Take a free slot now (True), or take none."""
        if self.in_use < self.max_concurrent and not self._waiters:
            self.in_use += 1
            return True
        return False

    async def acquire(self, limit: float | None = None) -> bool:
        """Take a slot (True), or give up after `max_wait` (or `limit`) seconds."""
        if self.try_acquire():
            return True
        wait = self.max_wait if limit is None else min(self.max_wait, limit)
        if wait <= 0:
            return False
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(wait):
                await waiter
        except TimeoutError:
            if waiter.done() and not waiter.cancelled():
                return True  # handed a slot as the wait ran out
            return False
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed a slot, then cancelled: pass it on
            raise
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
        return True

    def release(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes on; in_use unchanged
                return
        self.in_use -= 1


@dataclasses.dataclass(slots=True)
class ResilienceHooks:
    """Callbacks for the metrics (each may be None)."""

    retried: Callable[[], None] | None = None
    retry_refused: Callable[[], None] | None = None
    bulkhead_rejected: Callable[[], None] | None = None


class ResilientTransport:
    """Wraps one subgraph's transport (module docstring)."""

    def __init__(
        self,
        subgraph: str,
        inner: SubgraphTransport,
        *,
        timeout: float,
        breaker: CircuitBreaker | None = None,
        bulkhead: Bulkhead | None = None,
        retry: RetryPolicy | None = None,
        budget: RetryBudget | None = None,
        hooks: ResilienceHooks | None = None,
    ) -> None:
        self.subgraph = subgraph
        self.inner = inner
        self.timeout = timeout
        self.breaker = breaker
        self.bulkhead = bulkhead
        self.retry = retry
        self.budget = budget
        self.hooks = hooks or ResilienceHooks()
        # The timeout the wrapped transport keeps itself (inf: none).
        self._inner_timeout = float(getattr(inner, "timeout", math.inf))

    async def fetch(self, request: SubgraphRequest) -> SubgraphResponse:
        scope = current_scope.get()
        deadline = key = None
        if scope is not None:
            deadline = scope.deadline
            if not request.idempotent:
                key = scope.key_for(request.query)
        if not request.idempotent:
            try:
                return await self._attempt(request, deadline, key)
            except SubgraphError as error:
                keyed = key is not None or IDEMPOTENCY_KEY_HEADER in request.headers
                unknown = _outcome_unknown(error, keyed)
                if unknown is None:
                    raise
                raise unknown from error
        budget = self.budget
        if budget is not None:
            budget.deposit()
        retry = 0
        while True:
            try:
                return await self._attempt(request, deadline, None)
            except SubgraphError as error:
                if not self._may_retry(error, retry):
                    raise
                wait = self.retry.backoff(retry) if self.retry else 0.0
                if deadline is not None and time.monotonic() + wait >= deadline:
                    raise
                if budget is not None and not budget.withdraw():
                    if self.hooks.retry_refused is not None:
                        self.hooks.retry_refused()
                    raise
                if self.hooks.retried is not None:
                    self.hooks.retried()
            await asyncio.sleep(wait)
            retry += 1

    def _may_retry(self, error: SubgraphError, retry: int) -> bool:
        if self.retry is None or retry >= self.retry.max_retries:
            return False
        if isinstance(error, SubgraphUnavailable):
            # Refused by this gateway (breaker, bulkhead) is not retried, nor an
            # HTTP error other than 503.
            return not isinstance(error, SubgraphNotCalled) and error.status in (
                None,
                503,
            )
        return self.retry.on_timeout and isinstance(error, SubgraphTimeout)

    async def _attempt(
        self, request: SubgraphRequest, deadline: float | None, key: str | None
    ) -> SubgraphResponse:
        breaker = self.breaker
        if breaker is not None and not breaker.acquire():
            raise SubgraphNotCalled(
                self.subgraph,
                "circuit breaker open after repeated failures"
                f" ({breaker.last_reason or 'no reason'}); next probe in"
                f" {breaker.retry_after():.1f}s",
            )
        bulkhead = self.bulkhead
        if bulkhead is not None and not bulkhead.try_acquire():
            try:
                limit = None if deadline is None else deadline - time.monotonic()
                taken = await bulkhead.acquire(limit)
            except BaseException:
                if breaker is not None:
                    breaker.abandon()
                raise
            if not taken:
                if breaker is not None:
                    breaker.abandon()
                if self.hooks.bulkhead_rejected is not None:
                    self.hooks.bulkhead_rejected()
                raise SubgraphNotCalled(
                    self.subgraph,
                    f"bulkhead full: {bulkhead.max_concurrent} requests in flight",
                )
        try:
            response = await self._send(request, deadline, key)
        except SubgraphError as error:
            if breaker is not None:
                if _counts_against(error):
                    breaker.failure(error.reason)
                else:
                    breaker.success()  # it answered, even if not usefully
            raise
        except BaseException:
            if breaker is not None:
                breaker.abandon()
            raise
        finally:
            if bulkhead is not None:
                bulkhead.release()
        if breaker is not None:
            breaker.success()
        return response

    async def _send(
        self, request: SubgraphRequest, deadline: float | None, key: str | None
    ) -> SubgraphResponse:
        allowed = self.timeout
        if deadline is not None:
            allowed = min(allowed, deadline - time.monotonic())
            if allowed <= 0:
                raise SubgraphTimeout(self.subgraph, self.timeout, sent=False)
        headers = dict(request.headers)
        headers[DEADLINE_HEADER] = str(int(allowed * 1000))
        if key is not None:
            headers[IDEMPOTENCY_KEY_HEADER] = key
        request = SubgraphRequest(
            request.subgraph,
            request.query,
            request.variables,
            request.operation_name,
            headers,
            request.idempotent,
        )
        if self._inner_timeout <= allowed:
            # The transport's own timeout ends it first, knowing what it sent.
            return await self.inner.fetch(request)
        progress = FetchProgress()
        token = current_progress.set(progress)
        try:
            async with asyncio.timeout(allowed):
                return await self.inner.fetch(request)
        except TimeoutError:
            # Still connecting (or waiting for a pooled connection): never sent.
            raise SubgraphTimeout(
                self.subgraph, round(allowed, 3), sent=progress.sent is not False
            ) from None
        finally:
            current_progress.reset(token)

    def __getattr__(self, name: str) -> Any:
        # start(), aclose(), name, url, app: the wrapped transport's.
        return getattr(self.inner, name)


def _counts_against(error: SubgraphError) -> bool:
    """Failures that say the subgraph is down or hung (not a bad answer)."""
    return isinstance(error, SubgraphTimeout) or (
        isinstance(error, SubgraphUnavailable)
        and not isinstance(error, SubgraphNotCalled)
    )


def _outcome_unknown(
    error: SubgraphError, keyed: bool
) -> SubgraphOutcomeUnknown | None:
    """OUTCOME_UNKNOWN for a mutation that may have reached its subgraph and got
    no answer; None when its failure is certain (never sent) or an answer came."""
    if error.sent and isinstance(error, SubgraphTimeout | SubgraphUnavailable):
        return SubgraphOutcomeUnknown(error.subgraph, error.reason, retryable=keyed)
    return None


_BREAKER_LEVEL = {
    BreakerState.CLOSED: 0,
    BreakerState.HALF_OPEN: 1,
    BreakerState.OPEN: 2,
}


def resilient_transport(
    subgraph: str,
    inner: SubgraphTransport,
    config: GatewayConfig,
    metrics: GatewayMetrics | None = None,
) -> ResilientTransport:
    """`inner` wrapped as the subgraph's resilience settings and timeout ask, its
    state in `metrics` (breaker state, bulkhead in use and refused, retries)."""
    settings = config.resilience_for(subgraph)
    on_change = None
    hooks = ResilienceHooks()
    h = settings.bulkhead
    bulkhead = Bulkhead(h.max_concurrent, h.max_wait) if h.max_concurrent else None
    if metrics is not None:
        state = metrics.breaker_state.labels(subgraph)
        transitions = metrics.breaker_transitions

        def on_change(new: BreakerState) -> None:
            state.set(_BREAKER_LEVEL[new])
            transitions.labels(subgraph, new.value).inc()

        state.set(0)
        if bulkhead is not None:
            # Read when /metrics is scraped: nothing to do per fetch.
            slots = bulkhead
            metrics.bulkhead_in_use.labels(subgraph).set_function(lambda: slots.in_use)
        hooks = ResilienceHooks(
            retried=metrics.retries.labels(subgraph, "retried").inc,
            retry_refused=metrics.retries.labels(subgraph, "budget_exhausted").inc,
            bulkhead_rejected=metrics.bulkhead_rejections.labels(subgraph).inc,
        )
    b = settings.breaker
    breaker = (
        CircuitBreaker(
            failure_threshold=b.failure_threshold,
            failure_rate=b.failure_rate,
            minimum_requests=b.minimum_requests,
            window=b.window,
            open_for=b.open_for,
            half_open_probes=b.half_open_probes,
            on_change=on_change,
        )
        if b.enabled
        else None
    )
    r = settings.retry
    retry = (
        RetryPolicy(r.max_retries, r.base_backoff, r.max_backoff, r.on_timeout)
        if r.max_retries
        else None
    )
    budget = (
        RetryBudget(
            ratio=r.budget_ratio,
            min_per_second=r.budget_min_per_second,
            window=r.budget_window,
        )
        if retry is not None
        else None
    )
    return ResilientTransport(
        subgraph,
        inner,
        # An inner transport given its own (shorter) timeout keeps it.
        timeout=min(config.timeout_for(subgraph), getattr(inner, "timeout", math.inf)),
        breaker=breaker,
        bulkhead=bulkhead,
        retry=retry,
        budget=budget,
        hooks=hooks,
    )
