"""Events of different upstream subscriptions that arrive in the same loop
iteration share one entity fetch per subgraph (issue 14); each upstream still
gets its own responses, in order, with its own errors and projection."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from graphql import build_schema, parse

from gateway.execution import Projection
from gateway.planner.plan import (
    ConditionNode,
    FetchNode,
    FieldSelection,
    FlattenNode,
    InlineFragmentSelection,
    SequenceNode,
)
from gateway.subscriptions.batching import EventBatcher, EventSource, rest_variables
from gateway.transport import MockTransport, SubgraphResponse

if TYPE_CHECKING:
    from gateway.planner.plan import PlanNode
    from gateway.transport import SubgraphRequest
    from gateway.types import JSONObject

API_SCHEMA = build_schema(
    """
    type Query { ok: Boolean }
    type Subscription { messageAdded(room: ID!): Message! }
    type Message { id: ID!, author: User! }
    type User { id: ID!, name: String }
    """
)
OPERATION = (
    "subscription($room: ID!, $full: Boolean!) { messageAdded(room: $room) "
    "{ id author { id name @include(if: $full) } } }"
)


def entity_fetch(variable_usages: tuple[str, ...] = ()) -> FlattenNode:
    return FlattenNode(
        ("messageAdded", "author"),
        FetchNode(
            "people",
            "query($representations:[_Any!]!){_entities(representations:"
            "$representations){...on User{name}}}",
            requires=(
                InlineFragmentSelection(
                    "User", (FieldSelection("__typename"), FieldSelection("id"))
                ),
            ),
            variable_usages=variable_usages,
        ),
    )


REST = entity_fetch()
NAMES = {"u1": "Ada", "u2": "Grace"}


def event(id: str, author: str) -> SubgraphResponse:
    return SubgraphResponse(
        {"messageAdded": {"id": id, "author": {"__typename": "User", "id": author}}}
    )


def people(request: SubgraphRequest) -> JSONObject:
    entities: list[JSONObject | None] = []
    errors: list[JSONObject] = []
    for index, representation in enumerate(request.variables["representations"]):
        name = NAMES.get(representation["id"])
        entities.append(None if name is None else {"name": name})
        if name is None:
            errors.append(
                {"message": "no such user", "path": ["_entities", index, "name"]}
            )
    return {"data": {"_entities": entities}, "errors": errors}


PROJECTION = Projection(
    API_SCHEMA,
    (document := parse(OPERATION)),
    document.definitions[0],  # type: ignore[arg-type]
)


def source(
    room: str,
    *,
    full: bool = True,
    scope: Any = ("user-1",),
    rest: PlanNode = REST,
    **extra: Any,
) -> EventSource:
    return EventSource(
        rest, PROJECTION, {"room": room, "full": full, **extra}, {}, None, scope
    )


def authors(responses: list[JSONObject]) -> list[Any]:
    return [r["data"]["messageAdded"]["author"] for r in responses]


async def test_events_of_upstreams_arriving_together_share_one_entity_fetch() -> None:
    transport = MockTransport(people)
    batcher = EventBatcher({"people": transport})
    rooms = [source("r1"), source("r2", full=False), source("r3")]
    results = await asyncio.gather(
        batcher.execute(rooms[0], [event("m1", "u1"), event("m2", "u2")]),
        batcher.execute(rooms[1], [event("m3", "u2")]),
        batcher.execute(rooms[2], [event("m4", "nobody"), event("m5", "u1")]),
    )
    assert len(transport.requests) == 1
    assert transport.requests[0].variables["representations"] == [
        {"__typename": "User", "id": "u1"},
        {"__typename": "User", "id": "u2"},
        {"__typename": "User", "id": "nobody"},
    ]
    assert (batcher.runs, batcher.events) == (1, 5)
    assert authors(results[0]) == [
        {"id": "u1", "name": "Ada"},
        {"id": "u2", "name": "Grace"},
    ]
    # Projected with its own variables: $full is false here.
    assert authors(results[1]) == [{"id": "u2"}]
    assert "errors" not in results[1][0]
    # The entity error goes to the one event it concerns.
    assert results[2][0]["errors"][0]["path"] == ["messageAdded", "author", "name"]
    assert authors(results[2]) == [
        {"id": "nobody", "name": None},
        {"id": "u1", "name": "Ada"},
    ]
    assert "errors" not in results[2][1]


async def test_other_callers_and_other_rest_variables_are_not_mixed() -> None:
    transport = MockTransport(people)
    batcher = EventBatcher({"people": transport})
    with_lang = entity_fetch(("lang",))
    await asyncio.gather(
        batcher.execute(source("r1"), [event("m1", "u1")]),
        batcher.execute(source("r2", scope=("user-2",)), [event("m2", "u1")]),
        batcher.execute(source("r3", rest=with_lang, lang="en"), [event("m3", "u1")]),
        batcher.execute(source("r4", rest=with_lang, lang="fr"), [event("m4", "u1")]),
        batcher.execute(source("r5", rest=with_lang, lang="fr"), [event("m5", "u2")]),
    )
    # user-1, user-2, lang en, lang fr (r4 and r5 together).
    assert len(transport.requests) == 4
    assert batcher.runs == 4


async def test_events_in_later_iterations_run_apart_and_in_order() -> None:
    transport = MockTransport(people)
    batcher = EventBatcher({"people": transport})
    first = await batcher.execute(source("r1"), [event("m1", "u1")])
    second = await batcher.execute(source("r1"), [event("m2", "u2")])
    assert authors(first + second) == [
        {"id": "u1", "name": "Ada"},
        {"id": "u2", "name": "Grace"},
    ]
    assert len(transport.requests) == 2


async def test_an_upstream_that_stops_waiting_leaves_the_others_served() -> None:
    gate = asyncio.Event()

    async def slow_people(request: SubgraphRequest) -> JSONObject:
        await gate.wait()
        return people(request)

    batcher = EventBatcher({"people": MockTransport(slow_people)})
    leaving = asyncio.ensure_future(batcher.execute(source("r1"), [event("m1", "u1")]))
    staying = asyncio.ensure_future(batcher.execute(source("r2"), [event("m2", "u2")]))
    await asyncio.sleep(0.01)
    leaving.cancel()
    gate.set()
    assert authors(await staying) == [{"id": "u2", "name": "Grace"}]
    assert leaving.cancelled()
    await batcher.aclose()


async def test_a_subgraph_out_of_reach_gives_every_waiting_upstream_its_error() -> None:
    # No transport for "people": each event gets the error, nothing raises.
    batcher = EventBatcher({})
    results = await asyncio.gather(
        batcher.execute(source("r1"), [event("m1", "u1")]),
        batcher.execute(source("r2"), [event("m2", "u2")]),
    )
    for responses in results:
        assert responses[0]["errors"][0]["extensions"]["serviceName"] == "people"


def test_rest_variables_reads_fetches_and_conditions() -> None:
    assert rest_variables(REST) == frozenset()
    assert rest_variables(None) == frozenset()
    both = SequenceNode(
        (entity_fetch(("a",)), ConditionNode("flag", entity_fetch(("b",)), None))
    )
    assert rest_variables(both) == frozenset({"a", "b", "flag"})


async def test_a_leader_cancelled_before_the_run_hands_its_group_on() -> None:
    transport = MockTransport(people)
    batcher = EventBatcher({"people": transport})
    leader = asyncio.ensure_future(batcher.execute(source("r1"), [event("m1", "u1")]))
    joined = asyncio.ensure_future(batcher.execute(source("r2"), [event("m2", "u2")]))
    await asyncio.sleep(0)  # both have run: the leader yields, r2 has joined it
    leader.cancel()
    assert authors(await joined) == [{"id": "u2", "name": "Grace"}]
    assert leader.cancelled()
    assert len(transport.requests) == 1


async def test_a_full_group_leaves_later_upstreams_to_another_request() -> None:
    transport = MockTransport(people)
    batcher = EventBatcher({"people": transport}, max_events=3)
    results = await asyncio.gather(
        *(batcher.execute(source(f"r{n}"), [event(f"m{n}", "u1")]) for n in range(7))
    )
    assert (batcher.runs, batcher.events) == (3, 7)  # 3 + 3 + 1 events
    assert len(transport.requests) == 3
    assert all(authors(r) == [{"id": "u1", "name": "Ada"}] for r in results)
