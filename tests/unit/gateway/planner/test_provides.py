"""@provides and @external: provided fields need no jump on that path."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .conftest import Plan


def test_provided_field_is_fetched_with_its_parent(plan: Plan) -> None:
    result = plan("shop", "{ topReviews { author { username } } }")
    assert str(result) == (
        """\
QueryPlan {
  Fetch(service: "reviews") {
    {
      topReviews {
        author {
          username
        }
      }
    }
  },
}"""
    )


def test_field_not_provided_still_jumps(plan: Plan) -> None:
    result = plan("shop", "{ topReviews { author { username name } } }")
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "reviews") {
      {
        topReviews {
          author {
            username
            __typename
            id
          }
        }
      }
    },
    Flatten(path: "topReviews.@.author") {
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
}"""
    )


def test_external_field_outside_the_provides_path_is_fetched_from_its_owner(
    plan: Plan,
) -> None:
    result = plan("shop", "{ topReviews { product { name } } }")
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "reviews") {
      {
        topReviews {
          product {
            __typename
            upc
          }
        }
      }
    },
    Flatten(path: "topReviews.@.product") {
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
}"""
    )


def test_provides_with_a_type_condition_applies_inside_the_matching_fragment(
    plan: Plan,
) -> None:
    result = plan("features", "{ feed { id ... on Book { author title } } }")
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "a") {
      {
        feed {
          __typename
          id
          ... on Book {
            author
            __typename
            id
          }
        }
      }
    },
    Flatten(path: "feed.@") {
      Fetch(service: "b") {
        {
          ... on Book {
            __typename
            id
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Book {
              title
            }
          }
        }
      },
    },
  },
}"""
    )


def test_provides_on_an_implementation_field_applies_below_that_field_only(
    plan: Plan,
) -> None:
    result = plan(
        "circular_interface",
        (
            "{ product { __typename samePriceProduct { __typename ... on "
            "Book { id } samePriceProduct { __typename ... on Book { id } "
            "} } ... on Book { __typename id price samePriceProduct { id "
            "price } } } }"
        ),
    )
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "a") {
      {
        product {
          __typename
          samePriceProduct {
            __typename
            ... on Book {
              id
            }
            samePriceProduct {
              __typename
              ... on Book {
                id
              }
            }
          }
          ... on Book {
            __typename
            id
            samePriceProduct {
              id
              price
            }
          }
        }
      }
    },
    Flatten(path: "product") {
      Fetch(service: "b") {
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


def test_provides_on_a_union_member_chooses_the_providing_subgraph_for_the_root(
    plan: Plan,
) -> None:
    # Audit suite provides-on-union: `media` is shareable in `a` and `b`; only `b`
    # provides `... on Book { title }`, which saves the jump to `c`.
    result = plan(
        "provides_on_union",
        "{ media { ... on Book { id title } ... on Movie { id } } }",
    )
    assert str(result) == (
        """\
QueryPlan {
  Fetch(service: "b") {
    {
      media {
        __typename
        ... on Book {
          id
          title
        }
        ... on Movie {
          id
        }
      }
    }
  },
}"""
    )


def test_field_beyond_a_provides_on_an_interface_goes_through_the_parent_entity(
    plan: Plan,
) -> None:
    # Audit suite provides-on-interface: Cat is no entity in `b`, so Cat.age is
    # fetched through Book (an entity in `c`), not by re-entering the root.
    result = plan(
        "provides_on_interface",
        "{ media { id animals { id name ... on Cat { age } } } }",
    )
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "b") {
      {
        media {
          __typename
          id
          animals {
            __typename
            id
            name
          }
          ... on Book {
            __typename
            id
          }
        }
      }
    },
    Flatten(path: "media") {
      Fetch(service: "c") {
        {
          ... on Book {
            __typename
            id
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Book {
              animals {
                __typename
                ... on Cat {
                  age
                }
              }
            }
          }
        }
      },
    },
  },
}"""
    )
