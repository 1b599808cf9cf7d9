"""@override and progressive override labels decide which subgraph resolves a field."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .conftest import Plan


def test_progressive_override_keeps_the_original_subgraph_while_its_label_is_off(
    plan: Plan,
) -> None:
    result = plan("media", "{ media { ... on Book { price } } }")
    assert str(result) == (
        """\
QueryPlan {
  Fetch(service: "catalog") {
    {
      media {
        __typename
        ... on Book {
          price
        }
      }
    }
  },
}"""
    )


def test_progressive_override_moves_the_field_when_its_label_is_enabled(
    plan: Plan,
) -> None:
    result = plan(
        "media",
        "{ media { ... on Book { price } } }",
        override_labels=frozenset(["percent(25)"]),
    )
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "catalog") {
      {
        media {
          __typename
          ... on Book {
            __typename
            id
          }
        }
      }
    },
    Flatten(path: "media.@") {
      Fetch(service: "pricing") {
        {
          ... on Book {
            __typename
            id
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Book {
              price
            }
          }
        }
      },
    },
  },
}"""
    )


def test_overridden_field_is_never_fetched_from_the_used_overridden_subgraph(
    plan: Plan,
) -> None:
    result = plan("media", "{ media { ... on Book { currency } } }")
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "catalog") {
      {
        media {
          __typename
          ... on Book {
            __typename
            id
          }
        }
      }
    },
    Flatten(path: "media.@") {
      Fetch(service: "pricing") {
        {
          ... on Book {
            __typename
            id
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Book {
              currency
            }
          }
        }
      },
    },
  },
}"""
    )
