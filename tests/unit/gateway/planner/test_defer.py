"""@defer: deferred fragments become fetches of their own, run after the primary
response's (Defer / Deferred plan nodes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .conftest import Plan


def test_a_deferred_fragment_from_another_subgraph_is_its_own_fetch_after_the_primary(
    plan: Plan,
) -> None:
    # The primary fetch adds the key the deferred fetch's representation needs.
    result = plan(
        "entity_across_subgraphs",
        '{ me { name ... @defer(label: "r") { reviews { body } } } }',
    )
    assert str(result) == (
        """\
QueryPlan {
  Defer {
    Primary {
      Fetch(service: "accounts") {
        {
          me {
            name
            __typename
            id
          }
        }
      },
    },
    Deferred(path: "me", label: "r") {
      Flatten(path: "me") {
        Fetch(service: "reviews") {
          {
            ... on User {
              __typename
              id
            }
          } =>
          query ($representations: [_Any!]!) {
            _entities(representations: $representations) {
              ... on User {
                reviews {
                  body
                }
              }
            }
          }
        },
      },
    },
  },
}"""
    )


def test_a_deferred_fragment_of_the_same_subgraph_jumps_back_to_it_by_a_key(
    plan: Plan,
) -> None:
    # Never in the primary fetch, even where that subgraph resolves it.
    result = plan("entity_across_subgraphs", "{ me { id ... @defer { name } } }")
    assert str(result) == (
        """\
QueryPlan {
  Defer {
    Primary {
      Fetch(service: "accounts") {
        {
          me {
            id
            __typename
          }
        }
      },
    },
    Deferred(path: "me") {
      Flatten(path: "me") {
        Fetch(service: "accounts") {
          {
            ... on User {
              __typename
              id
            }
          } =>
          query ($representations: [_Any!]!) {
            _entities(representations: $representations) {
              ... on User {
                name
              }
            }
          }
        },
      },
    },
  },
}"""
    )


def test_a_deferred_fragment_at_the_root_gets_root_fetches_of_its_own(
    plan: Plan,
) -> None:
    result = plan("entity_across_subgraphs", "{ ... @defer { me { name } } }")
    assert str(result) == (
        """\
QueryPlan {
  Defer {
    Primary {
    },
    Deferred(path: "") {
      Fetch(service: "accounts") {
        {
          me {
            name
          }
        }
      },
    },
  },
}"""
    )


def test_a_deferred_fragment_no_key_reaches_is_fetched_with_the_primary(
    plan: Plan,
) -> None:
    # Review is no entity: its `rating` comes with the primary fetch, delivered later.
    result = plan(
        "entity_across_subgraphs", "{ me { reviews { body ... @defer { rating } } } }"
    )
    assert str(result) == (
        """\
QueryPlan {
  Defer {
    Primary {
      Sequence {
        Fetch(service: "accounts") {
          {
            me {
              __typename
              id
            }
          }
        },
        Flatten(path: "me") {
          Fetch(service: "reviews") {
            {
              ... on User {
                __typename
                id
              }
            } =>
            query ($representations: [_Any!]!) {
              _entities(representations: $representations) {
                ... on User {
                  reviews {
                    body
                    rating
                  }
                }
              }
            }
          },
        },
      },
    },
    Deferred(path: "me.reviews.@") {
    },
  },
}"""
    )


def test_defer_if_false_is_no_deferral(plan: Plan) -> None:
    result = plan(
        "entity_across_subgraphs",
        "{ me { name ... @defer(if: false) { reviews { body } } } }",
    )
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "accounts") {
      {
        me {
          name
          __typename
          id
        }
      }
    },
    Flatten(path: "me") {
      Fetch(service: "reviews") {
        {
          ... on User {
            __typename
            id
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on User {
              reviews {
                body
              }
            }
          }
        }
      },
    },
  },
}"""
    )
