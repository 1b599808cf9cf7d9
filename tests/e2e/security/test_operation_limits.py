"""Operations built to make the gateway work: fragment doubling, depth, aliases, root
fields, directives, tokens, comments, cost, parser recursion, introspection depth and
planning. Each is refused with its code, on every transport, before any subgraph
sees a request."""

from __future__ import annotations

import gc
import itertools
import time
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio

from ._clients import (
    EVERY,
    HTTP_PATHS,
    NOT_GET,
    SOCKETS,
    Via,
    ask,
    closed,
    get,
    post,
    refused,
    sse,
    websocket,
)
from .conftest import DEMO_USER, mint, open_gateway

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from .conftest import Gateway, Graph, RequestLog

pytestmark = pytest.mark.asyncio(loop_scope="module")

# Every call of an attack carries a new comment: the plan and document caches must
# not be what makes it cheap (the issue: "a changed comment misses the plan cache").
_fresh = itertools.count()


def fresh(query: str) -> str:
    return f"# attempt {next(_fresh)}\n{query}"


def collect_garbage() -> None:
    """Collect now: this process also holds the graph and every earlier test's
    garbage, and a full collection of that inside a timed window is not the
    attack's cost (the attack's own allocations still count)."""
    gc.collect()


def fragment_doubling(k: int = 40) -> str:
    """`{ me { ...Fk } }` where each fragment spreads the one below it twice: 2**k
    fields once expanded, about 1.4 KB of text."""
    fragments = ["fragment F0 on User { id displayName }"]
    fragments += [
        f"fragment F{i} on User {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, k + 1)
    ]
    return f"{{ me {{ ...F{k} }} }}\n" + "\n".join(fragments)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def measuring_gateway(graph: Graph) -> AsyncIterator[Gateway]:
    """Every limit in measure mode: figures reported, nothing refused."""
    async with open_gateway(graph, {"limits": {"mode": "measure"}}) as opened:
        yield opened


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def tiny_planning_gateway(graph: Graph) -> AsyncIterator[Gateway]:
    async with open_gateway(graph, {"planning": {"max_steps": 1}}) as opened:
        yield opened


@pytest.mark.parametrize("via", EVERY)
async def test_fragment_doubling_k40_is_refused_by_a_limit_within_100_ms(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    for _ in range(3):
        collect_garbage()
        started = time.perf_counter()
        answer = await ask(gateway, via, fresh(fragment_doubling(40)))
        elapsed = time.perf_counter() - started

        error = refused(answer, "MAX_HEIGHT_LIMIT")
        assert error["extensions"]["limit"] == 1000
        assert error["extensions"]["measured"] == 2**41 + 1
        assert elapsed < 0.1, f"answered in {elapsed * 1000:.0f} ms"
    assert not log


@pytest.mark.parametrize("via", EVERY)
async def test_fragment_doubling_k40_measured_only_is_answered_right_within_100_ms(
    measuring_gateway: Gateway, log: RequestLog, via: Via
) -> None:
    token = mint()
    pipeline = measuring_gateway.app.state.pipeline
    planned = pipeline.plans_built
    for _ in range(3):
        collect_garbage()
        started = time.perf_counter()
        answer = await ask(
            measuring_gateway, via, fresh(fragment_doubling(40)), token=token
        )
        elapsed = time.perf_counter() - started

        assert answer.body == {
            "data": {"me": {"id": DEMO_USER, "displayName": "Demo Member"}}
        }, answer
        assert elapsed < 0.1, f"answered in {elapsed * 1000:.0f} ms"
    # One subgraph request per answer, and one field each: the doubling merged away.
    assert log.subgraphs() == ["accounts"] * 3
    assert all(request.text.count("displayName") == 1 for request in log.requests)
    # A changed comment is the same normalised operation: planned once at most.
    assert pipeline.plans_built - planned <= 1


@pytest.mark.parametrize("via", EVERY)
async def test_seven_deep_products_tenant_nesting_is_refused_by_depth(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    selection = "name"
    for _ in range(7):
        selection = f"tenant {{ products {{ {selection} }} }}"
    query = f"{{ products {{ edges {{ node {{ {selection} }} }} }} }}"

    answer = await ask(gateway, via, query, token=mint())

    error = refused(answer, "MAX_DEPTH_LIMIT")
    assert error["extensions"] == {
        "code": "MAX_DEPTH_LIMIT",
        "limit": 15,
        "measured": 18,
    }
    assert not log


# Longer than a URL may be (uvicorn refuses one past 64 KiB): not over GET.
@pytest.mark.parametrize("via", NOT_GET)
async def test_a_thousand_aliases_of_search_messages_are_refused(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    aliases = " ".join(
        f'a{i}: searchMessages(query: "road", first: 100) '
        "{ id text sender { displayName } }"
        for i in range(1000)
    )

    answer = await ask(gateway, via, f"{{ {aliases} }}", token=mint())

    error = refused(answer, "MAX_ALIASES_LIMIT")
    assert error["extensions"]["limit"] == 100
    assert error["extensions"]["measured"] == 1000
    assert not log


@pytest.mark.parametrize("via", EVERY)
async def test_a_root_field_flood_is_refused(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    fields = " ".join(f'u{i}: user(id: "{i}") {{ displayName }}' for i in range(60))

    answer = await ask(gateway, via, f"{{ {fields} }}")

    assert answer.codes == ["MAX_ROOT_FIELDS_LIMIT"], answer
    error = refused(answer, "MAX_ROOT_FIELDS_LIMIT")
    assert (error["extensions"]["limit"], error["extensions"]["measured"]) == (50, 60)
    assert not log


@pytest.mark.parametrize("via", EVERY)
async def test_a_directive_flood_is_refused(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    query = "{ " + "__typename @skip(if: false) " * 150 + "}"

    answer = await ask(gateway, via, query)

    error = refused(answer, "MAX_DIRECTIVES_LIMIT")
    assert (error["extensions"]["limit"], error["extensions"]["measured"]) == (100, 150)
    assert not log


@pytest.mark.parametrize("via", HTTP_PATHS)
async def test_a_flood_of_unknown_directives_is_refused_before_validation_lists_them(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    # Validation would report each of the 5,000 unknown directives (up to its cap):
    # the limit answers first with one error.
    query = "{ __typename" + " @x" * 5000 + " }"

    answer = await ask(gateway, via, query)

    assert answer.codes == ["MAX_DIRECTIVES_LIMIT"], answer
    refused(answer, "MAX_DIRECTIVES_LIMIT")
    assert not log


@pytest.mark.parametrize("via", EVERY)
async def test_a_token_flood_is_refused(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    query = "{" + " a" * 21_000 + " }"

    answer = await ask(gateway, via, query)

    error = refused(answer, "MAX_TOKENS_LIMIT")
    assert error["extensions"]["limit"] == 20_000
    assert not log


@pytest.mark.parametrize("via", NOT_GET)
async def test_a_comment_flood_is_refused_by_the_token_limit(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    query = "#\n" * 21_000 + "{ __typename }"

    answer = await ask(gateway, via, query)

    error = refused(answer, "MAX_TOKENS_LIMIT")
    assert error["extensions"]["limit"] == 20_000
    assert not log


COST_BOMB = "{ edges { node { name stock { quantity farm { name } } } } }"


@pytest.mark.parametrize("via", EVERY)
async def test_a_cost_bomb_by_literal_is_refused(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    query = f"{{ products(first: 100000) {COST_BOMB} }}"

    answer = await ask(gateway, via, query, token=mint())

    error = refused(answer, "COST_ESTIMATED_TOO_EXPENSIVE")
    extensions = error["extensions"]
    assert extensions["limit"] == extensions["cost.max"] == 50_000
    assert extensions["measured"] == extensions["cost.estimated"] > 50_000
    assert not log


@pytest.mark.parametrize("via", EVERY)
async def test_a_cost_bomb_by_variable_is_refused_after_the_same_document_served_small(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    query = f"query Bomb($n: Int!) {{ products(first: $n) {COST_BOMB} }}"
    token = mint()

    # Small first: whatever it leaves cached must not let the big one through.
    small = await ask(gateway, via, query, variables={"n": 1}, token=token)
    assert "errors" not in small.body, small
    assert log.subgraphs() == ["inventory"]
    log.clear()

    answer = await ask(gateway, via, query, variables={"n": 1_000_000}, token=token)

    error = refused(answer, "COST_ESTIMATED_TOO_EXPENSIVE")
    assert error["extensions"]["measured"] > 50_000
    assert not log


@pytest.mark.parametrize("via", EVERY)
async def test_a_cost_bomb_in_a_variable_default_is_refused(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    query = f"query Bomb($n: Int! = 1000000) {{ products(first: $n) {COST_BOMB} }}"

    answer = await ask(gateway, via, query, token=mint())

    refused(answer, "COST_ESTIMATED_TOO_EXPENSIVE")
    assert not log


def introspection_nesting(levels: int) -> str:
    selection = "name"
    for _ in range(levels):
        selection = f"fields {{ type {{ {selection} }} }}"
    return f"{{ __schema {{ types {{ {selection} }} }} }}"


@pytest.mark.parametrize("via", EVERY)
async def test_the_introspection_depth_attack_is_refused_by_depth(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    answer = await ask(gateway, via, introspection_nesting(8))

    error = refused(answer, "MAX_DEPTH_LIMIT")
    assert (error["extensions"]["limit"], error["extensions"]["measured"]) == (15, 19)
    assert not log


@pytest.mark.parametrize("via", EVERY)
async def test_introspection_cycles_within_the_depth_limit_are_refused(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    # Within the depth limit, but `fields { type { fields ...` three times over:
    # graphql-js's MaxIntrospectionDepthRule.
    answer = await ask(gateway, via, introspection_nesting(4))

    error = refused(answer, "GRAPHQL_VALIDATION_FAILED")
    assert "introspection" in error["message"].lower()
    assert not log


@pytest.mark.parametrize("via", NOT_GET)
async def test_a_hundred_thousand_open_braces_are_a_parse_error(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    answer = await ask(gateway, via, "{" * 100_000)

    refused(answer, "GRAPHQL_PARSE_FAILED")
    assert not log


@pytest.mark.parametrize("via", EVERY)
async def test_selections_nested_past_the_parser_recursion_limit_are_a_parse_error(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    query = "{ me " + "{ tenant " * 1000 + "{ id }" + " }" * 1001

    answer = await ask(gateway, via, query, token=mint())

    error = refused(answer, "GRAPHQL_PARSE_FAILED")
    assert "nested too deeply" in error["message"]
    assert not log


@pytest.mark.parametrize("via", EVERY)
async def test_a_list_literal_nested_past_the_parser_recursion_limit_is_a_parse_error(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    query = "{ users(ids: " + "[" * 1000 + "]" * 1000 + ") { id } }"

    answer = await ask(gateway, via, query)

    error = refused(answer, "GRAPHQL_PARSE_FAILED")
    assert "nested too deeply" in error["message"]
    assert not log


@pytest.mark.parametrize("via", HTTP_PATHS)
async def test_variables_nested_past_the_json_depth_limit_are_refused(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    deep = "[" * 5000 + "]" * 5000
    query = "query Users($ids: [ID!]!) { users(ids: $ids) { id } }"
    if via is Via.GET:
        params = {"query": query, "variables": f'{{"ids": {deep}}}'}
        answer = await get(gateway, params)
    else:
        body = f'{{"query": "{query}", "variables": {{"ids": {deep}}}}}'
        send = post if via is Via.POST else sse
        answer = await send(gateway, content=body)

    refused(answer, "BAD_REQUEST")
    assert not log


@pytest.mark.parametrize("via", SOCKETS)
async def test_a_websocket_message_nested_past_the_json_depth_limit_closes_it(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    deep = "[" * 5000 + "]" * 5000
    async with websocket(gateway, via) as socket:
        kind = "start" if via is Via.LEGACY else "subscribe"
        await socket.send(
            f'{{"id": "1", "type": "{kind}", "payload": {{"query": "{{ __typename }}",'
            f' "variables": {{"ids": {deep}}}}}}}'
        )
        code, _ = await closed(socket)

    assert code == 4400
    assert not log


@pytest.mark.parametrize("via", EVERY)
async def test_a_duplicated_field_flood_is_refused_without_a_subgraph_call(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    # 5,000 copies of one field: one distinct name (height 1), no alias, under the
    # token limit; graphql-core's overlapping-fields budget ends validation.
    query = "{ me { " + "id " * 5000 + "} }"

    answer = await ask(gateway, via, query, token=mint())

    error = refused(answer, "GRAPHQL_VALIDATION_FAILED")
    assert error["message"] == "Validation aborted."
    assert not log


@pytest.mark.parametrize("via", EVERY)
async def test_a_fragment_cycle_is_refused(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    query = (
        "{ me { ...A } } fragment A on User { id ...B } "
        "fragment B on User { displayName ...A }"
    )

    answer = await ask(gateway, via, query, token=mint())

    refused(answer, "GRAPHQL_VALIDATION_FAILED")
    assert not log


@pytest.mark.parametrize("via", EVERY)
async def test_an_exhausted_planning_budget_is_refused_before_any_fetch(
    tiny_planning_gateway: Gateway, log: RequestLog, via: Via
) -> None:
    answer = await ask(tiny_planning_gateway, via, "{ me { id } }", token=mint())

    error = refused(answer, "QUERY_PLANNING_BUDGET_EXCEEDED")
    assert error["extensions"]["limit"] == {"max_steps": 1}
    assert error["extensions"]["measured"] > 1
    assert not log
