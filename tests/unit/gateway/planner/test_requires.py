"""@requires: required fields are fetched first and copied into representations."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .conftest import Plan


def test_required_fields_come_from_the_parent_fetch(plan: Plan) -> None:
    result = plan("shop", '{ product(upc: "1") { shippingEstimate } }')
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "products") {
      {
        product(upc: "1") {
          price
          weight
          __typename
          upc
        }
      }
    },
    Flatten(path: "product") {
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
  },
}"""
    )


def test_required_fields_behind_an_entity_jump_add_a_sequence(plan: Plan) -> None:
    result = plan("shop", "{ topReviews { product { shippingEstimate } } }")
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
              shippingEstimate
            }
          }
        }
      },
    },
  },
}"""
    )


def test_nested_required_selection_is_copied_whole(plan: Plan) -> None:
    result = plan("keys", "{ orders { delivery } }")
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "orders") {
      {
        orders {
          region {
            code
            zone
          }
          __typename
          id
        }
      }
    },
    Flatten(path: "orders.@") {
      Fetch(service: "stock") {
        {
          ... on Order {
            __typename
            id
            region {
              code
              zone
            }
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Order {
              delivery
            }
          }
        }
      },
    },
  },
}"""
    )


def test_required_field_clashing_with_a_client_alias_is_aliased_and_renamed_back(
    plan: Plan,
) -> None:
    result = plan("keys", "{ orders { region: status delivery } }")
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "orders") {
      {
        orders {
          region: status
          __agora_region: region {
            code
            zone
          }
          __typename
          id
        }
      }
    },
    Flatten(path: "orders.@") {
      Fetch(service: "stock") {
        {
          ... on Order {
            __typename
            id
            __agora_region {
              code
              zone
            }
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Order {
              delivery
            }
          }
        }
        input rewrite: KeyRenamer(... on Order/__agora_region -> region)
      },
    },
  },
}"""
    )


def test_required_field_also_selected_by_the_client_is_fetched_once(plan: Plan) -> None:
    result = plan("shop", "{ topProducts { price shippingEstimate } }")
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "products") {
      {
        topProducts {
          price
          weight
          __typename
          upc
        }
      }
    },
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
  },
}"""
    )


def test_interface_object_field_requiring_interface_fields_gets_them_per_implementation(
    plan: Plan,
) -> None:
    result = plan("features", "{ animals { name sound(loud: true) } }")
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "c") {
      {
        animals {
          name
          __typename
          id
        }
      }
    },
    Flatten(path: "animals.@") {
      Fetch(service: "b") {
        {
          ... on Dog {
            __typename
            id
            name
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Animal {
              sound(loud: true)
            }
          }
        }
        input rewrite: ValueSetter(... on Dog/__typename = "Animal")
      },
    },
  },
}"""
    )


def test_required_field_with_arguments_is_aliased_beside_the_clients_other_arguments(
    plan: Plan,
) -> None:
    result = plan("features", '{ animals { weight(unit: "lb") label } }')
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "c") {
      {
        animals {
          weight(unit: "lb")
          __agora_weight_0: weight(unit: "kg")
          __typename
          id
        }
      }
    },
    Flatten(path: "animals.@") {
      Fetch(service: "b") {
        {
          ... on Dog {
            __typename
            id
            __agora_weight_0
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Animal {
              label
            }
          }
        }
        input rewrite: KeyRenamer(... on Dog/__agora_weight_0 -> weight)
        input rewrite: ValueSetter(... on Dog/__typename = "Animal")
      },
    },
  },
}"""
    )


def test_requires_field_of_the_subgraph_being_fetched_gets_its_own_entity_fetch(
    plan: Plan,
) -> None:
    result = plan("keys_mashup", "{ b { id a { id name nameInB } } }")
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "b") {
      {
        b {
          id
          a {
            id
            __typename
            compositeId {
              two
              three
            }
          }
        }
      }
    },
    Flatten(path: "b.a.@") {
      Fetch(service: "a") {
        {
          ... on A {
            __typename
            id
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on A {
              name
            }
          }
        }
      },
    },
    Flatten(path: "b.a.@") {
      Fetch(service: "b") {
        {
          ... on A {
            __typename
            id
            compositeId {
              two
              three
            }
            name
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on A {
              nameInB
            }
          }
        }
      },
    },
  },
}"""
    )


def test_required_field_that_itself_requires_is_fetched_first(plan: Plan) -> None:
    result = plan(
        "nested_requires", "{ user { aggregatedOrdersByStatus totalOrdersPrices } }"
    )
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "service1") {
      {
        user {
          lastName
          __typename
          id
        }
      }
    },
    Flatten(path: "user") {
      Fetch(service: "service3") {
        {
          ... on User {
            __typename
            id
            lastName
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on User {
              userOrders {
                id
              }
            }
          }
        }
      },
    },
    Flatten(path: "user") {
      Fetch(service: "service2") {
        {
          ... on User {
            __typename
            id
            userOrders {
              id
            }
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on User {
              aggregatedOrdersByStatus
              totalOrdersPrices
            }
          }
        }
      },
    },
  },
}"""
    )


def test_chains_of_requires_wait_for_every_step_they_read(plan: Plan) -> None:
    result = plan("requires_chain", "{ product { canAfford canAffordWithDiscount } }")
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "b") {
      {
        product {
          __typename
          id
          hasDiscount
        }
      }
    },
    Flatten(path: "product") {
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
              price
            }
          }
        }
      },
    },
    Flatten(path: "product") {
      Fetch(service: "c") {
        {
          ... on Product {
            __typename
            id
            price
            hasDiscount
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Product {
              isExpensive
              isExpensiveWithDiscount
            }
          }
        }
      },
    },
    Flatten(path: "product") {
      Fetch(service: "d") {
        {
          ... on Product {
            __typename
            id
            isExpensive
            isExpensiveWithDiscount
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Product {
              canAfford
              canAffordWithDiscount
            }
          }
        }
      },
    },
  },
}"""
    )


def test_requires_field_of_an_interface_object_waits_for_the_interface_owner(
    plan: Plan,
) -> None:
    result = plan("features", "{ loudest { sound(loud: true) } }")
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "b") {
      {
        loudest {
          __typename
          id
        }
      }
    },
    Flatten(path: "loudest.@") {
      Fetch(service: "c") {
        {
          ... on Animal {
            __typename
            id
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Animal {
              __typename
              name
              id
            }
          }
        }
      },
    },
    Flatten(path: "loudest.@") {
      Fetch(service: "b") {
        {
          ... on Dog {
            __typename
            id
            name
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Animal {
              sound(loud: true)
            }
          }
        }
        input rewrite: ValueSetter(... on Dog/__typename = "Animal")
      },
    },
  },
}"""
    )


def test_required_abstract_values_carry_their_typename_and_fragments(
    plan: Plan,
) -> None:
    result = plan("features", "{ shelf { blurb } }")
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "a") {
      {
        shelf {
          items {
            __typename
            id
            ... on Movie {
              __typename
              id
            }
          }
          __typename
          id
        }
      }
    },
    Flatten(path: "shelf.items.@") {
      Fetch(service: "b") {
        {
          ... on Movie {
            __typename
            id
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Movie {
              director
            }
          }
        }
      },
    },
    Flatten(path: "shelf") {
      Fetch(service: "b") {
        {
          ... on Shelf {
            __typename
            id
            items {
              __typename
              id
              ... on Movie {
                director
              }
            }
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Shelf {
              blurb
            }
          }
        }
      },
    },
  },
}"""
    )


def test_required_fragment_on_an_interface_is_copied_per_object_type(
    plan: Plan,
) -> None:
    # Audit suite requires-with-fragments: `data { ... on Foo { foo } }` must copy
    # `foo` from a Qux (or Baz) object, whose `__typename` is never "Foo".
    result = plan("audit_requires_with_fragments", "{ bb { requirer2 } }")
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "b") {
      {
        bb {
          __typename
          id
        }
      }
    },
    Flatten(path: "bb") {
      Fetch(service: "a") {
        {
          ... on Entity {
            __typename
            id
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Entity {
              data {
                __typename
                foo
              }
            }
          }
        }
      },
    },
    Flatten(path: "bb") {
      Fetch(service: "b") {
        {
          ... on Entity {
            __typename
            id
            data {
              __typename
              ... on Baz {
                foo
              }
              ... on Qux {
                foo
              }
            }
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Entity {
              requirer2
            }
          }
        }
      },
    },
  },
}"""
    )


def test_required_field_with_arguments_never_takes_the_clients_response_key(
    plan: Plan,
) -> None:
    # Audit requires-with-argument: `author` requires `comments(limit: 3)`, the
    # client selects `comments(limit: 1)` from the same subgraph in the same fetch.
    result = plan(
        "requires_with_argument",
        "{ feed { author { id } comments(limit: 1) { id } } }",
    )
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "c") {
      {
        feed {
          __typename
          id
        }
      }
    },
    Flatten(path: "feed.@") {
      Fetch(service: "d") {
        {
          ... on Post {
            __typename
            id
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Post {
              __agora_comments_0: comments(limit: 3) {
                __typename
                id
              }
              comments(limit: 1) {
                id
              }
            }
          }
        }
      },
    },
    Flatten(path: "feed.@.__agora_comments_0.@") {
      Fetch(service: "c") {
        {
          ... on Comment {
            __typename
            id
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Comment {
              authorId
            }
          }
        }
      },
    },
    Flatten(path: "feed.@") {
      Fetch(service: "d") {
        {
          ... on Post {
            __typename
            id
            __agora_comments_0 {
              authorId
            }
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Post {
              author {
                id
              }
            }
          }
        }
        input rewrite: KeyRenamer(... on Post/__agora_comments_0 -> comments)
      },
    },
  },
}"""
    )


def test_one_field_required_with_different_arguments_makes_separate_fetches(
    plan: Plan,
) -> None:
    # Audit requires-with-argument-conflict: one representation cannot carry
    # `price` in USD for shippingEstimate and in EUR for shippingEstimateEUR.
    result = plan(
        "requires_with_argument_conflict",
        "{ products { shippingEstimate shippingEstimateEUR } }",
    )
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "b") {
      {
        products {
          __agora_price_0: price(currency: "USD")
          weight
          __typename
          upc
          __agora_price_1: price(currency: "EUR")
        }
      }
    },
    Parallel {
      Flatten(path: "products.@") {
        Fetch(service: "a") {
          {
            ... on Product {
              __typename
              upc
              __agora_price_0
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
          input rewrite: KeyRenamer(... on Product/__agora_price_0 -> price)
        },
      },
      Flatten(path: "products.@") {
        Fetch(service: "a") {
          {
            ... on Product {
              __typename
              upc
              __agora_price_1
              weight
            }
          } =>
          query ($representations: [_Any!]!) {
            _entities(representations: $representations) {
              ... on Product {
                shippingEstimateEUR
              }
            }
          }
          input rewrite: KeyRenamer(... on Product/__agora_price_1 -> price)
        },
      },
    },
  },
}"""
    )
