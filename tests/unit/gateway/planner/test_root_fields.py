"""Root fields: queries fan out in parallel, mutations run in order."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .conftest import Plan


def test_root_fields_of_two_subgraphs_are_fetched_in_parallel(plan: Plan) -> None:
    result = plan("shop", "{ me { name } topProducts { name } users { id } }")
    assert str(result) == (
        """\
QueryPlan {
  Parallel {
    Fetch(service: "accounts") {
      {
        me {
          name
        }
        users {
          id
        }
      }
    },
    Fetch(service: "products") {
      {
        topProducts {
          name
        }
      }
    },
  },
}"""
    )


def test_mutation_root_fields_run_in_order_with_their_entity_fetches(
    plan: Plan,
) -> None:
    result = plan(
        "shop",
        """mutation M($u: String!) {
          login(username: $u) { name }
          addReview(upc: "1", body: "b") { id author { name } }
          logout
        }""",
    )
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "accounts") {
      mutation M__accounts__0($u: String!) {
        login(username: $u) {
          name
        }
      }
    },
    Fetch(service: "reviews") {
      mutation M__reviews__1 {
        addReview(upc: "1", body: "b") {
          id
          author {
            __typename
            id
          }
        }
      }
    },
    Flatten(path: "addReview.author") {
      Fetch(service: "accounts") {
        {
          ... on User {
            __typename
            id
          }
        } =>
        query M__accounts__2($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on User {
              name
            }
          }
        }
      },
    },
    Fetch(service: "accounts") {
      mutation M__accounts__3 {
        logout
      }
    },
  },
}"""
    )


def test_consecutive_mutation_fields_of_one_subgraph_share_a_fetch(
    plan: Plan,
) -> None:
    result = plan("shop", 'mutation { a: login(username: "x") { id } logout }')
    assert str(result) == (
        """\
QueryPlan {
  Fetch(service: "accounts") {
    mutation {
      a: login(username: "x") {
        id
      }
      logout
    }
  },
}"""
    )


def test_introspection_only_operation_needs_no_fetch(plan: Plan) -> None:
    result = plan(
        "shop",
        '{ __typename __schema { queryType { name } } __type(name: "User") { name } }',
    )
    assert result.node is None
    assert str(result) == "QueryPlan {\n}"


def test_introspection_beside_data_fields_is_left_to_the_gateway(plan: Plan) -> None:
    result = plan(
        "shop", "{ __typename me { __typename id } __schema { types { name } } }"
    )
    assert str(result) == (
        """\
QueryPlan {
  Fetch(service: "accounts") {
    {
      me {
        __typename
        id
      }
    }
  },
}"""
    )


def test_subscription_opens_one_primary_fetch(plan: Plan) -> None:
    result = plan(
        "root_operations", 'subscription { messageAdded(conversationId: "1") { id } }'
    )
    assert str(result) == (
        """\
QueryPlan {
  Subscription {
    Primary: {
      Fetch(service: "chat") {
        subscription {
          messageAdded(conversationId: "1") {
            id
          }
        }
      },
    },
  },
}"""
    )


def test_subgraph_operation_names_are_valid_graphql_names() -> None:
    from graphql import parse

    from gateway.planner import FetchNode, plan_operation
    from gateway.supergraph import load_supergraph

    from .conftest import FIXTURES

    sdl = (FIXTURES / "supergraphs" / "shop.graphql").read_text()
    graph = load_supergraph(sdl.replace('name: "accounts"', 'name: "user-accounts.v2"'))
    result = plan_operation(graph, parse("query Me { me { id } }"))
    assert isinstance(result.node, FetchNode)
    assert result.node.service_name == "user-accounts.v2"
    assert result.node.operation_name == "Me__user_accounts_v2__0"
    assert result.node.operation.startswith("query Me__user_accounts_v2__0 {")


def test_shared_root_field_joins_a_fetch_only_where_it_resolves_as_much(
    plan: Plan,
) -> None:
    # Audit suite corrupted-supergraph-node-id: `chat` must not ride along in the
    # fetch to `a` made for `account`, where Chat.text would need a jump.
    result = plan(
        "audit_corrupted_node_id",
        '{ account: node(id: "a1") { ... on Account { id username } }'
        ' chat: node(id: "c1") { ... on Chat { id text } } }',
    )
    assert str(result) == (
        """\
QueryPlan {
  Parallel {
    Fetch(service: "a") {
      {
        account: node(id: "a1") {
          __typename
          ... on Account {
            id
            username
          }
        }
      }
    },
    Fetch(service: "b") {
      {
        chat: node(id: "c1") {
          __typename
          ... on Chat {
            id
            text
          }
        }
      }
    },
  },
}"""
    )
