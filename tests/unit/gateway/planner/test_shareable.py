"""@shareable: a field several subgraphs resolve comes from the one already fetched."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .conftest import Plan


def test_shareable_field_is_taken_from_the_subgraph_being_fetched(plan: Plan) -> None:
    result = plan(
        "keys", "{ skus { label quantity } orders { status items { label } } }"
    )
    assert str(result) == (
        """\
QueryPlan {
  Parallel {
    Fetch(service: "stock") {
      {
        skus {
          label
          quantity
        }
      }
    },
    Fetch(service: "orders") {
      {
        orders {
          status
          items {
            label
          }
        }
      }
    },
  },
}"""
    )


def test_shareable_field_stays_in_the_parent_fetch_rather_than_the_jump(
    plan: Plan,
) -> None:
    result = plan("keys", "{ orders { items { quantity label } } }")
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
            label
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


def test_shareable_root_field_goes_to_the_subgraph_resolving_most_of_its_selection(
    plan: Plan,
) -> None:
    result = plan("keys", '{ sku(barcode: "1") { unitPrice } }')
    assert str(result) == (
        """\
QueryPlan {
  Fetch(service: "billing") {
    {
      sku(barcode: "1") {
        unitPrice
      }
    }
  },
}"""
    )


def test_shareable_root_field_joins_a_root_fetch_already_planned(plan: Plan) -> None:
    result = plan("keys", '{ skus { label } sku(barcode: "1") { quantity } }')
    assert str(result) == (
        """\
QueryPlan {
  Fetch(service: "stock") {
    {
      skus {
        label
      }
      sku(barcode: "1") {
        quantity
      }
    }
  },
}"""
    )


def test_shared_root_value_type_is_split_across_the_subgraphs_resolving_its_fields(
    plan: Plan,
) -> None:
    result = plan("features", "{ info { name version region uptime } }")
    assert str(result) == (
        """\
QueryPlan {
  Parallel {
    Fetch(service: "a") {
      {
        info {
          name
          version
        }
      }
    },
    Fetch(service: "b") {
      {
        info {
          region
        }
      }
    },
    Fetch(service: "c") {
      {
        info {
          uptime
        }
      }
    },
  },
}"""
    )


def test_shared_value_type_below_an_entity_is_completed_through_the_entity(
    plan: Plan,
) -> None:
    result = plan(
        "features", "{ feed { ... on Book { dimensions { width height } } } }"
    )
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "a") {
      {
        feed {
          __typename
          ... on Book {
            dimensions {
              width
            }
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
              dimensions {
                height
              }
            }
          }
        }
      },
    },
  },
}"""
    )


def test_shared_value_type_below_a_shared_root_field_is_completed_by_another_root_fetch(
    plan: Plan,
) -> None:
    result = plan("features", "{ info { version stats { hits misses } } }")
    assert str(result) == (
        """\
QueryPlan {
  Parallel {
    Fetch(service: "a") {
      {
        info {
          version
          stats {
            hits
          }
        }
      }
    },
    Fetch(service: "b") {
      {
        info {
          stats {
            misses
          }
        }
      }
    },
  },
}"""
    )
