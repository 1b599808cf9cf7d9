"""Per-event execution: a burst of events shares its entity fetches, and each
event keeps only its own errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphql import build_schema, parse

from gateway.execution import Projection, execute_subscription_events
from gateway.planner.plan import (
    FetchNode,
    FieldSelection,
    FlattenNode,
    InlineFragmentSelection,
)
from gateway.transport import MockTransport, SubgraphResponse

if TYPE_CHECKING:
    from gateway.transport import SubgraphRequest
    from gateway.types import JSONObject

API_SCHEMA = build_schema(
    """
    type Query { ok: Boolean }
    type Subscription { messageAdded: Message! }
    type Message { id: ID!, author: User! }
    type User { id: ID!, name: String }
    """
)
OPERATION = "subscription { messageAdded { id author { id name } } }"
REST = FlattenNode(
    ("messageAdded", "author"),
    FetchNode(
        "people",
        "query($representations:[_Any!]!){_entities(representations:$representations)"
        "{...on User{name}}}",
        requires=(
            InlineFragmentSelection(
                "User", (FieldSelection("__typename"), FieldSelection("id"))
            ),
        ),
        variable_usages=(),
    ),
)
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
        if name is None:
            entities.append(None)
            errors.append(
                {"message": "no such user", "path": ["_entities", index, "name"]}
            )
        else:
            entities.append({"name": name})
    return {"data": {"_entities": entities}, "errors": errors}


def projection() -> Projection:
    document = parse(OPERATION)
    return Projection(API_SCHEMA, document, document.definitions[0])  # type: ignore[arg-type]


async def test_a_burst_runs_one_entity_fetch_with_deduplicated_representations() -> (
    None
):
    transport = MockTransport(people)
    events = [event("m1", "u1"), event("m2", "u2"), event("m3", "u1")]
    responses = await execute_subscription_events(
        REST, events, projection(), {}, {"people": transport}
    )
    assert len(transport.requests) == 1
    assert transport.requests[0].variables["representations"] == [
        {"__typename": "User", "id": "u1"},
        {"__typename": "User", "id": "u2"},
    ]
    assert [r["data"]["messageAdded"]["author"]["name"] for r in responses] == [
        "Ada",
        "Grace",
        "Ada",
    ]


async def test_an_entity_error_goes_only_to_the_event_it_concerns() -> None:
    events = [event("m1", "u1"), event("m2", "nobody")]
    responses = await execute_subscription_events(
        REST, events, projection(), {}, {"people": MockTransport(people)}
    )
    assert "errors" not in responses[0]
    assert responses[1]["errors"][0]["path"] == ["messageAdded", "author", "name"]
    assert responses[1]["data"]["messageAdded"]["author"] == {
        "id": "nobody",
        "name": None,
    }


async def test_an_unreachable_subgraph_leaves_fields_null_with_an_error_per_event() -> (
    None
):
    events = [event("m1", "u1"), event("m2", "u2")]
    responses = await execute_subscription_events(REST, events, projection(), {}, {})
    for response in responses:
        assert response["data"]["messageAdded"]["author"]["name"] is None
        assert response["errors"][0]["extensions"]["serviceName"] == "people"


async def test_an_event_without_data_is_passed_on_with_its_errors() -> None:
    failed = SubgraphResponse(None, ({"message": "boom"},))
    responses = await execute_subscription_events(
        REST, [failed], projection(), {}, {"people": MockTransport(people)}
    )
    assert responses == [{"errors": [{"message": "boom"}], "data": None}]
