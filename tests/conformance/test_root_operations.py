"""Root operations: queries in parallel, mutations in order, renamed root types."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.conformance.harness import Subgraph, fixture_sdl, supergraph_sdl

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

FIXTURE = "root_operations"


def subgraphs(log: list[str]) -> dict[str, Subgraph]:
    def login(_: Any, email: str) -> str:
        log.append(f"login {email}")
        return f"token-for-{email}"

    def send(_: Any, conversationId: str, body: str) -> dict[str, Any]:
        log.append(f"send {body}")
        return {"id": f"m{len(log)}", "body": body}

    return {
        "accounts": Subgraph(
            fixture_sdl(FIXTURE, "accounts"),
            query={"me": "ada"},
            mutation={"login": login},
        ),
        "chat": Subgraph(
            fixture_sdl(FIXTURE, "chat"),
            query={
                "conversation": lambda _, id: {
                    "__typename": "Conversation",
                    "id": id,
                    "messages": [{"id": "m0", "body": "hi"}],
                }
            },
            mutation={"send": send},
        ),
    }


async def test_mutations_across_subgraphs_run_in_the_clients_order(
    gateway: GatewayFactory,
) -> None:
    log: list[str] = []
    client = await gateway(supergraph_sdl(FIXTURE), subgraphs(log))
    response = await client.query(
        """mutation {
          first: login(email: "a@x")
          message: send(conversationId: "c1", body: "hello") { id body }
          second: login(email: "b@x")
        }"""
    )
    assert log == ["login a@x", "send hello", "login b@x"]
    assert response == {
        "data": {
            "first": "token-for-a@x",
            "message": {"id": "m2", "body": "hello"},
            "second": "token-for-b@x",
        }
    }


async def test_mutation_with_variables(gateway: GatewayFactory) -> None:
    log: list[str] = []
    client = await gateway(supergraph_sdl(FIXTURE), subgraphs(log))
    response = await client.query(
        "mutation($c: ID!, $b: String!) "
        "{ send(conversationId: $c, body: $b) { body } }",
        {"c": "c9", "b": "yo"},
    )
    assert response == {"data": {"send": {"body": "yo"}}}
    assert log == ["send yo"]


async def test_queries_of_two_subgraphs_with_renamed_root_types(
    gateway: GatewayFactory,
) -> None:
    client = await gateway(supergraph_sdl(FIXTURE), subgraphs([]))
    response = await client.query(
        '{ me conversation(id: "c1") { id messages { body } } }'
    )
    assert response == {
        "data": {
            "me": "ada",
            "conversation": {"id": "c1", "messages": [{"body": "hi"}]},
        }
    }


async def test_mutation_typename_is_the_api_schemas_root_name(
    gateway: GatewayFactory,
) -> None:
    client = await gateway(supergraph_sdl(FIXTURE), subgraphs([]))
    response = await client.query(
        'mutation { __typename send(conversationId: "c", body: "b") { __typename } }'
    )
    assert response == {
        "data": {"__typename": "Mutation", "send": {"__typename": "Message"}}
    }
