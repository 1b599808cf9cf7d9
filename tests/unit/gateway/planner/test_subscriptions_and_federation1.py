"""Subscriptions and Federation 1 supergraphs."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .conftest import Plan


def test_subscription_events_are_completed_by_entity_fetches(plan: Plan) -> None:
    result = plan(
        "shop",
        ("subscription { reviewAdded { body author { name } product { name } } }"),
    )
    assert str(result) == (
        """\
QueryPlan {
  Subscription {
    Primary: {
      Fetch(service: "reviews") {
        subscription {
          reviewAdded {
            body
            author {
              __typename
              id
            }
            product {
              __typename
              upc
            }
          }
        }
      },
    },
    Rest: {
      Parallel {
        Flatten(path: "reviewAdded.author") {
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
        Flatten(path: "reviewAdded.product") {
          Fetch(service: "products") {
            {
              ... on Product {
                __typename
                upc
              }
            } =>
            query ($representations: [_Any!]!) {
              _entities(representations: $representations) {
                ... on Product {
                  name
                }
              }
            }
          },
        },
      },
    },
  },
}"""
    )


def test_federation_one_supergraph_plans_owner_fields_and_extensions(
    plan: Plan,
) -> None:
    result = plan("fed1", "{ topProducts { name inStock shippingEstimate } }")
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "products") {
      {
        topProducts {
          name
          __typename
          upc
          weight
        }
      }
    },
    Flatten(path: "topProducts.@") {
      Fetch(service: "inventory") {
        {
          ... on Product {
            __typename
            upc
            weight
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Product {
              inStock
              shippingEstimate
            }
          }
        }
      },
    },
  },
}"""
    )
