"""Operation shapes: fragments, variables and defaults, aliases, @skip/@include."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .conftest import Plan


def test_named_fragments_are_inlined_into_subgraph_operations(plan: Plan) -> None:
    result = plan(
        "shop",
        ("query Q { me { ...U } } fragment U on User { name reviews { body } }"),
        "Q",
    )
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "accounts") {
      query Q__accounts__0 {
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
        query Q__reviews__1($representations: [_Any!]!) {
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


def test_two_aliases_of_one_field_with_different_arguments_are_kept(plan: Plan) -> None:
    result = plan(
        "shop",
        (
            "query Q($n: Int = 3) { a: topProducts(first: $n) { name } b: "
            "topProducts(first: 1) { upc inStock } }"
        ),
    )
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "products") {
      query Q__products__0($n: Int = 3) {
        a: topProducts(first: $n) {
          name
        }
        b: topProducts(first: 1) {
          upc
          __typename
        }
      }
    },
    Flatten(path: "b.@") {
      Fetch(service: "inventory") {
        {
          ... on Product {
            __typename
            upc
          }
        } =>
        query Q__inventory__1($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Product {
              inStock
            }
          }
        }
      },
    },
  },
}"""
    )


def test_each_fetch_declares_the_variables_it_uses_with_their_defaults(
    plan: Plan,
) -> None:
    result = plan(
        "shop",
        (
            "query Q($id: ID!, $first: Int = 2) { user(id: $id) { name } "
            "topProducts(first: $first) { name } }"
        ),
    )
    assert str(result) == (
        """\
QueryPlan {
  Parallel {
    Fetch(service: "accounts") {
      query Q__accounts__0($id: ID!) {
        user(id: $id) {
          name
        }
      }
    },
    Fetch(service: "products") {
      query Q__products__1($first: Int = 2) {
        topProducts(first: $first) {
          name
        }
      }
    },
  },
}"""
    )


def test_statically_skipped_selections_are_dropped(plan: Plan) -> None:
    result = plan(
        "shop",
        (
            "{ me { name @skip(if: true) id @include(if: true) } "
            "topProducts @include(if: false) { name } }"
        ),
    )
    assert str(result) == (
        """\
QueryPlan {
  Fetch(service: "accounts") {
    {
      me {
        id
      }
    }
  },
}"""
    )


def test_variable_condition_on_a_field_is_forwarded_to_the_subgraph(plan: Plan) -> None:
    result = plan(
        "shop",
        (
            "query Q($x: Boolean!) { me { name @include(if: $x) reviews { "
            "body @skip(if: $x) } } }"
        ),
    )
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "accounts") {
      query Q__accounts__0($x: Boolean!) {
        me {
          name @include(if: $x)
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
        query Q__reviews__1($representations: [_Any!]!, $x: Boolean!) {
          _entities(representations: $representations) {
            ... on User {
              reviews {
                body @skip(if: $x)
              }
            }
          }
        }
      },
    },
  },
}"""
    )


def test_fetch_that_depends_wholly_on_a_variable_becomes_a_condition(
    plan: Plan,
) -> None:
    result = plan(
        "shop",
        ("query Q($x: Boolean!) { me { name } topProducts @skip(if: $x) { name } }"),
    )
    assert str(result) == (
        """\
QueryPlan {
  Parallel {
    Fetch(service: "accounts") {
      query Q__accounts__0 {
        me {
          name
        }
      }
    },
    Condition(if: $x) {
      Else {
        Fetch(service: "products") {
          query Q__products__1 {
            topProducts {
              name
            }
          }
        },
      }
    },
  },
}"""
    )


def test_key_field_clashing_with_a_client_alias_is_aliased_and_renamed_back(
    plan: Plan,
) -> None:
    result = plan("shop", "{ topProducts { reviews { body } upc: name } }")
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "products") {
      {
        topProducts {
          __typename
          __agora_upc: upc
          upc: name
        }
      }
    },
    Flatten(path: "topProducts.@") {
      Fetch(service: "reviews") {
        {
          ... on Product {
            __typename
            __agora_upc
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Product {
              reviews {
                body
              }
            }
          }
        }
        input rewrite: KeyRenamer(... on Product/__agora_upc -> upc)
      },
    },
  },
}"""
    )


def test_conditional_fragment_around_a_subgraphs_root_fields_becomes_a_condition(
    plan: Plan,
) -> None:
    result = plan(
        "shop",
        (
            "query Q($x: Boolean!) { me { id } ... @include(if: $x) { "
            'topProducts { name } product(upc: "1") { upc } } }'
        ),
    )
    assert str(result) == (
        """\
QueryPlan {
  Parallel {
    Fetch(service: "accounts") {
      query Q__accounts__0 {
        me {
          id
        }
      }
    },
    Condition(if: $x) {
      Then {
        Fetch(service: "products") {
          query Q__products__1 {
            topProducts {
              name
            }
            product(upc: "1") {
              upc
            }
          }
        },
      }
    },
  },
}"""
    )


def test_entity_fetch_that_depends_wholly_on_a_variable_becomes_a_condition(
    plan: Plan,
) -> None:
    result = plan(
        "shop", ("query Q($x: Boolean!) { me { name reviews @skip(if: $x) { body } } }")
    )
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "accounts") {
      query Q__accounts__0 {
        me {
          name
          __typename
          id
        }
      }
    },
    Condition(if: $x) {
      Else {
        Flatten(path: "me") {
          Fetch(service: "reviews") {
            {
              ... on User {
                __typename
                id
              }
            } =>
            query Q__reviews__1($representations: [_Any!]!) {
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
      }
    },
  },
}"""
    )


def test_field_whose_every_selection_is_skipped_still_selects_its_typename(
    plan: Plan,
) -> None:
    # `b { }` is no valid selection set (differential family 3).
    result = plan("keys_mashup", "{ b { id @include(if: false) } }")
    assert str(result) == (
        """\
QueryPlan {
  Fetch(service: "b") {
    {
      b {
        __typename
      }
    }
  },
}"""
    )
