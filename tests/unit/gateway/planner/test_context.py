"""@context / @fromContext (join v0.5 contextArguments): the context selection is
fetched on the ancestor and passed to the field as a variable of an entity fetch."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .conftest import Plan


def test_context_value_is_read_on_the_ancestor_and_passed_as_a_variable(
    plan: Plan,
) -> None:
    result = plan("audit_context", "{ t { u { field } } }")
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "a") {
      {
        t {
          u {
            __typename
            id
          }
          prop
        }
      }
    },
    Flatten(path: "t.u") {
      Fetch(service: "a") {
        {
          ... on U {
            __typename
            id
          }
        } =>
        query ($representations: [_Any!]!, $contextualArgument_1: String) {
          _entities(representations: $representations) {
            ... on U {
              field(a: $contextualArgument_1)
            }
          }
        }
        ContextValue($contextualArgument_1 = 1 up { prop })
      },
    },
  },
}"""
    )


def test_a_context_asked_twice_gets_one_variable_per_field(plan: Plan) -> None:
    result = plan("audit_context", "{ t { u { field } us { field } } }")
    assert str(result).count("ContextValue(") == 2
    assert "$contextualArgument_1 = 1 up { prop }" in str(result)
    assert "$contextualArgument_2 = 2 up { prop }" in str(result)


def test_context_set_on_an_interface_is_set_by_each_implementation(
    plan: Plan,
) -> None:
    # Container sets the context; the Shelf above the item implements Container.
    result = plan("context_two_subgraphs", "{ shelf { item { caption(size: 2) } } }")
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "a") {
      {
        shelf {
          item {
            __typename
            id
          }
          label
        }
      }
    },
    Flatten(path: "shelf.item") {
      Fetch(service: "a") {
        {
          ... on Item {
            __typename
            id
          }
        } =>
        query ($representations: [_Any!]!, $contextualArgument_1: String) {
          _entities(representations: $representations) {
            ... on Item {
              caption(size: 2, prefix: $contextualArgument_1)
            }
          }
        }
        ContextValue($contextualArgument_1 = 1 up { label })
      },
    },
  },
}"""
    )
