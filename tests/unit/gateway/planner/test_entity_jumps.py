"""Entity jumps through @key: compound keys, several keys, unresolvable keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .conftest import Plan


def test_nested_query_across_three_subgraphs_waits_level_by_level(plan: Plan) -> None:
    result = plan(
        "shop",
        (
            "{ topProducts { name price shippingEstimate reviews { body "
            "author { username name } } } me { name } }"
        ),
    )
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Parallel {
      Fetch(service: "products") {
        {
          topProducts {
            name
            price
            weight
            __typename
            upc
          }
        }
      },
      Fetch(service: "accounts") {
        {
          me {
            name
          }
        }
      },
    },
    Parallel {
      Flatten(path: "topProducts.@") {
        Fetch(service: "inventory") {
          {
            ... on Product {
              __typename
              upc
              price
              weight
            }
          } =>
          query ($representations: [_Any!]!) {
            _entities(representations: $representations) {
              ... on Product {
                shippingEstimate
              }
            }
          }
        },
      },
      Flatten(path: "topProducts.@") {
        Fetch(service: "reviews") {
          {
            ... on Product {
              __typename
              upc
            }
          } =>
          query ($representations: [_Any!]!) {
            _entities(representations: $representations) {
              ... on Product {
                reviews {
                  body
                  author {
                    username
                    __typename
                    id
                  }
                }
              }
            }
          }
        },
      },
    },
    Flatten(path: "topProducts.@.reviews.@.author") {
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


def test_entity_fetches_below_one_fetch_run_in_parallel(plan: Plan) -> None:
    result = plan(
        "shop", ("{ topReviews { author { name id } product { inStock name } } }")
    )
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "reviews") {
      {
        topReviews {
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
    Parallel {
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
      Flatten(path: "topReviews.@.product") {
        Fetch(service: "inventory") {
          {
            ... on Product {
              __typename
              upc
            }
          } =>
          query ($representations: [_Any!]!) {
            _entities(representations: $representations) {
              ... on Product {
                inStock
              }
            }
          }
        },
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
  },
}"""
    )


def test_unresolvable_key_is_no_target_and_a_third_subgraph_supplies_a_key(
    plan: Plan,
) -> None:
    result = plan("keys", "{ orders { buyer { name credit } } }")
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "orders") {
      {
        orders {
          buyer {
            __typename
            email
          }
        }
      }
    },
    Flatten(path: "orders.@.buyer") {
      Fetch(service: "users") {
        {
          ... on User {
            __typename
            email
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on User {
              name
              id
            }
          }
        }
      },
    },
    Flatten(path: "orders.@.buyer") {
      Fetch(service: "billing") {
        {
          ... on User {
            __typename
            id
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on User {
              credit
            }
          }
        }
      },
    },
  },
}"""
    )


def test_compound_key_with_nested_field_is_copied_into_representations(
    plan: Plan,
) -> None:
    result = plan("keys", "{ orders { items { quantity } } }")
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "orders") {
      {
        orders {
          items {
            __typename
            code
            warehouse {
              id
            }
          }
        }
      }
    },
    Flatten(path: "orders.@.items.@") {
      Fetch(service: "stock") {
        {
          ... on Sku {
            __typename
            code
            warehouse {
              id
            }
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Sku {
              quantity
            }
          }
        }
      },
    },
  },
}"""
    )


def test_the_key_the_target_declares_is_chosen_among_several(plan: Plan) -> None:
    result = plan("keys", "{ skus { unitPrice } }")
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "stock") {
      {
        skus {
          __typename
          barcode
        }
      }
    },
    Flatten(path: "skus.@") {
      Fetch(service: "billing") {
        {
          ... on Sku {
            __typename
            barcode
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Sku {
              unitPrice
            }
          }
        }
      },
    },
  },
}"""
    )


def test_external_key_field_of_an_extension_is_returned_without_a_jump(
    plan: Plan,
) -> None:
    result = plan("features", "{ owners { id name } }")
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "c") {
      {
        owners {
          id
          __typename
        }
      }
    },
    Flatten(path: "owners.@") {
      Fetch(service: "a") {
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


def test_sibling_fetches_to_one_subgraph_merge_when_that_adds_no_wave(
    plan: Plan,
) -> None:
    result = plan(
        "shop", "{ topReviews { product { name inStock shippingEstimate } } }"
    )
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
              price
              weight
            }
          }
        }
      },
    },
    Flatten(path: "topReviews.@.product") {
      Fetch(service: "inventory") {
        {
          ... on Product {
            __typename
            upc
            price
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


def test_path_no_key_reaches_is_asked_of_another_subgraph_beside_the_entity_fetch(
    plan: Plan,
) -> None:
    result = plan(
        "parent_entity_call",
        ('{ productFromD(id: "1") { id name category { id name details } } }'),
    )
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "d") {
      {
        productFromD(id: "1") {
          id
          name
          __typename
        }
      }
    },
    Parallel {
      Flatten(path: "productFromD") {
        Fetch(service: "a") {
          {
            ... on Product {
              __typename
              id
            }
          } =>
          query ($representations: [_Any!]!) {
            _entities(representations: $representations) {
              ... on Product {
                category {
                  details
                }
              }
            }
          }
        },
      },
      Flatten(path: "productFromD") {
        Fetch(service: "b") {
          {
            ... on Product {
              __typename
              id
            }
          } =>
          query ($representations: [_Any!]!) {
            _entities(representations: $representations) {
              ... on Product {
                category {
                  id
                  __typename
                }
              }
            }
          }
        },
      },
    },
    Flatten(path: "productFromD.category") {
      Fetch(service: "c") {
        {
          ... on Category {
            __typename
            id
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Category {
              name
            }
          }
        }
      },
    },
  },
}"""
    )


def test_key_fields_gathered_here_and_by_a_jump_reach_a_compound_key(
    plan: Plan,
) -> None:
    # Audit suite complex-entity-call: `price` needs Product by
    # "id pid category{id tag}"; `products` has id and category, `link` adds pid.
    result = plan(
        "complex_entity_call", "{ topProducts { products { price { price } } } }"
    )
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "products") {
      {
        topProducts {
          products {
            id
            __typename
            category {
              id
              tag
            }
          }
        }
      }
    },
    Flatten(path: "topProducts.products.@") {
      Fetch(service: "link") {
        {
          ... on Product {
            __typename
            id
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Product {
              pid
            }
          }
        }
      },
    },
    Flatten(path: "topProducts.products.@") {
      Fetch(service: "price") {
        {
          ... on Product {
            __typename
            id
            pid
            category {
              id
              tag
            }
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Product {
              price {
                price
              }
            }
          }
        }
      },
    },
  },
}"""
    )


def test_key_with_nested_fields_from_three_subgraphs_is_fetched_before_the_jump(
    plan: Plan,
) -> None:
    # Audit complex-entity-call: `selected` reaches `price` only through price's
    # ProductList key, `products { id pid category { id tag } } selected { id }`:
    # `pid` from link, `selected` from list (by its key), `category` from products.
    result = plan(
        "complex_entity_call", "{ topProducts { selected { price { price } } } }"
    )
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "products") {
      {
        topProducts {
          products {
            id
            __typename
          }
          __typename
        }
      }
    },
    Flatten(path: "topProducts.products.@") {
      Fetch(service: "link") {
        {
          ... on Product {
            __typename
            id
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Product {
              pid
            }
          }
        }
      },
    },
    Flatten(path: "topProducts") {
      Fetch(service: "list") {
        {
          ... on ProductList {
            __typename
            products {
              id
              pid
            }
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on ProductList {
              selected {
                id
              }
              products {
                id
                pid
                __typename
              }
              __typename
            }
          }
        }
      },
    },
    Flatten(path: "topProducts.products.@") {
      Fetch(service: "products") {
        {
          ... on Product {
            __typename
            id
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Product {
              category {
                id
                tag
              }
            }
          }
        }
      },
    },
    Flatten(path: "topProducts") {
      Fetch(service: "price") {
        {
          ... on ProductList {
            __typename
            products {
              id
              pid
              category {
                id
                tag
              }
            }
            selected {
              id
            }
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on ProductList {
              selected {
                price {
                  price
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


def test_key_field_a_client_selects_under_a_condition_is_fetched_unconditionally(
    plan: Plan,
) -> None:
    # `category @include(if: $v)` and the key's `category { id tag }` share the
    # response key: no alias, and the representation finds it whatever $v is.
    result = plan(
        "complex_entity_call",
        "query ($v: Boolean!) { topProducts { products {"
        " category @include(if: $v) { id } price { price } } } }",
    )
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "products") {
      query ($v: Boolean!) {
        topProducts {
          products {
            category @include(if: $v) {
              id
            }
            id
            __typename
            category {
              id
              tag
            }
          }
        }
      }
    },
    Flatten(path: "topProducts.products.@") {
      Fetch(service: "link") {
        {
          ... on Product {
            __typename
            id
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Product {
              pid
            }
          }
        }
      },
    },
    Flatten(path: "topProducts.products.@") {
      Fetch(service: "price") {
        {
          ... on Product {
            __typename
            id
            pid
            category {
              id
              tag
            }
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Product {
              price {
                price
              }
            }
          }
        }
      },
    },
  },
}"""
    )
