"""Selections the caller may not make: `@authenticated` fields asked for anonymously
(plainly, aliased, in fragments, behind directives, nested under public fields) and
a `@policy` mutation asked for by a member. The gateway removes them before planning
and reports UNAUTHORIZED_FIELD_OR_TYPE with their paths; when nothing is left no
subgraph is called, and otherwise the subgraphs never see the removed fields."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ._clients import EVERY, NOT_GET, Via, ask
from .conftest import DEMO_COMPLAINT, DEMO_CONVERSATION, DEMO_USER, mint

if TYPE_CHECKING:
    from ._clients import Answer
    from .conftest import Gateway, RequestLog

pytestmark = pytest.mark.asyncio(loop_scope="module")

UNAUTHORIZED = "UNAUTHORIZED_FIELD_OR_TYPE"


def nothing_left(answer: Answer) -> list[list[str]]:
    """Assert `answer` is the refusal of an operation authorization emptied (data
    null, each removed field's error); the errors' paths."""
    if answer.via in (Via.POST, Via.GET):
        assert (answer.kind, answer.status) == ("json", 200), answer
    elif answer.via is Via.SSE:
        assert (answer.kind, answer.status) == ("json", 400), answer
    elif answer.via is Via.WS:
        assert answer.kind == "error", answer
    else:
        assert (answer.kind, len(answer.events)) == ("stream", 1), answer
    assert answer.body.get("data") is None, answer
    assert set(answer.codes) == {UNAUTHORIZED}, answer
    return [error["path"] for error in answer.errors]


HIDDEN = [
    pytest.param("{ me { id email } }", [["me"]], id="plain"),
    pytest.param("{ m: me { id } }", [["m"]], id="aliased"),
    pytest.param("{ ...Q } fragment Q on Query { me { id } }", [["me"]], id="fragment"),
    pytest.param("{ ... on Query { me { id } } }", [["me"]], id="inline-fragment"),
    pytest.param("{ me @include(if: true) { id } }", [["me"]], id="include"),
    pytest.param(
        "{ a: me { id } b: me { email } farms { id } }",
        [["a"], ["b"], ["farms"]],
        id="several",
    ),
]


@pytest.mark.parametrize("via", EVERY)
@pytest.mark.parametrize(("query", "paths"), HIDDEN)
async def test_an_anonymous_selection_of_authenticated_fields_calls_no_subgraph(
    gateway: Gateway, log: RequestLog, via: Via, query: str, paths: list[list[str]]
) -> None:
    answer = await ask(gateway, via, query)

    assert nothing_left(answer) == paths
    assert not log


@pytest.mark.parametrize("via", EVERY)
async def test_an_authenticated_field_behind_a_variable_directive_is_removed(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    query = "query Q($skip: Boolean!) { me @skip(if: $skip) { id } }"

    answer = await ask(gateway, via, query, variables={"skip": False})

    assert nothing_left(answer) == [["me"]]
    assert not log


@pytest.mark.parametrize("via", EVERY)
async def test_the_rest_of_an_anonymous_operation_is_served_without_the_removed_field(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    # `conversation` lives in chat: removed, chat is never asked. (Accounts'
    # lookups need a caller since issue 12; its password rules are public.)
    query = (
        f'{{ conversation(id: "{DEMO_CONVERSATION}") {{ id }} '
        "passwordRules { minLength } }"
    )

    answer = await ask(gateway, via, query)

    assert answer.body["data"] == {
        "conversation": None,
        "passwordRules": {"minLength": 10},
    }
    assert [e["path"] for e in answer.errors] == [["conversation"]]
    assert answer.codes == [UNAUTHORIZED]
    assert log.subgraphs() == ["accounts"]
    assert "conversation" not in log.requests[0].text


@pytest.mark.parametrize("via", NOT_GET)
async def test_authenticated_fields_nested_under_a_public_one_reach_no_subgraph(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    # User.unreadCount lives in chat: removed, chat is never asked (no entity jump).
    # (`user(id:)` needs a caller since issue 12: the public root is `login`.)
    query = (
        'mutation { login(email: "demo@agora.dev", password: "agora-demo-password")'
        " { user { displayName unreadCount } } }"
    )

    answer = await ask(gateway, via, query)

    assert answer.body["data"] == {
        "login": {"user": {"displayName": "Demo Member", "unreadCount": None}}
    }, answer
    assert [e["path"] for e in answer.errors] == [["login", "user", "unreadCount"]]
    assert log.subgraphs() == ["accounts"]
    assert "unreadCount" not in log.requests[0].text


@pytest.mark.parametrize("via", NOT_GET)
async def test_a_policy_mutation_by_a_member_calls_no_subgraph(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    query = (
        f'mutation {{ assignComplaint(complaintId: "{DEMO_COMPLAINT}") '
        "{ id assignedAgent { id } } }"
    )

    answer = await ask(gateway, via, query, token=mint())

    assert nothing_left(answer) == [["assignComplaint"]]
    assert not log


@pytest.mark.parametrize("via", EVERY)
async def test_an_operation_a_member_was_served_is_still_refused_to_an_anonymous_caller(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    # The same text, parsed, validated, authorized and planned for the member
    # first: nothing cached for them may serve the anonymous caller.
    query = f"# cache {via.value}\n{{ me {{ id email }} }}"

    served = await ask(gateway, via, query, token=mint())
    log.clear()
    anonymous = await ask(gateway, via, query)

    assert served.body["data"]["me"]["id"] == DEMO_USER, served
    assert nothing_left(anonymous) == [["me"]]
    assert not log
