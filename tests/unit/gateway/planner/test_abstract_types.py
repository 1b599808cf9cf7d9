"""Interfaces, unions, entity interfaces and @interfaceObject across subgraphs."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .conftest import Plan


def test_interface_field_every_implementation_resolves_stays_on_the_interface(
    plan: Plan,
) -> None:
    result = plan("media", "{ media { id title } }")
    assert str(result) == (
        """\
QueryPlan {
  Fetch(service: "catalog") {
    {
      media {
        __typename
        id
        title
      }
    }
  },
}"""
    )


def test_interface_object_field_is_fetched_with_the_interface_name_as_typename(
    plan: Plan,
) -> None:
    result = plan("media", "{ media { title stars } }")
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "catalog") {
      {
        media {
          title
          __typename
          id
        }
      }
    },
    Flatten(path: "media.@") {
      Fetch(service: "ratings") {
        {
          ... on Book {
            __typename
            id
          }
          ... on Movie {
            __typename
            id
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Media {
              stars
            }
          }
        }
        input rewrite: ValueSetter(... on Book/__typename = "Media")
        input rewrite: ValueSetter(... on Movie/__typename = "Media")
      },
    },
  },
}"""
    )


def test_interface_object_results_get_their_concrete_type_from_the_owner(
    plan: Plan,
) -> None:
    result = plan("media", "{ topRated { stars ... on Book { pages } } }")
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "ratings") {
      {
        topRated {
          stars
          __typename
          id
        }
      }
    },
    Flatten(path: "topRated.@") {
      Fetch(service: "catalog") {
        {
          ... on Media {
            __typename
            id
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Media {
              __typename
              ... on Book {
                pages
              }
            }
          }
        }
      },
    },
  },
}"""
    )


def test_union_members_from_other_subgraphs_jump_per_member(plan: Plan) -> None:
    result = plan(
        "media",
        (
            '{ search(text: "x") { ... on Book { title stars } ... on Song '
            "{ name price } } }"
        ),
    )
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "catalog") {
      {
        search(text: "x") {
          __typename
          ... on Book {
            title
            __typename
            id
          }
          ... on Song {
            name
            __typename
            id
          }
        }
      }
    },
    Parallel {
      Flatten(path: "search.@") {
        Fetch(service: "ratings") {
          {
            ... on Book {
              __typename
              id
            }
          } =>
          query ($representations: [_Any!]!) {
            _entities(representations: $representations) {
              ... on Media {
                stars
              }
            }
          }
          input rewrite: ValueSetter(... on Book/__typename = "Media")
        },
      },
      Flatten(path: "search.@") {
        Fetch(service: "pricing") {
          {
            ... on Song {
              __typename
              id
            }
          } =>
          query ($representations: [_Any!]!) {
            _entities(representations: $representations) {
              ... on Song {
                price
              }
            }
          }
        },
      },
    },
  },
}"""
    )


def test_fragment_on_an_interface_inside_an_object_selection_needs_no_type_condition(
    plan: Plan,
) -> None:
    result = plan(
        "media", ("{ songs { name } media { ... on Book { ... on Media { title } } } }")
    )
    assert str(result) == (
        """\
QueryPlan {
  Fetch(service: "catalog") {
    {
      songs {
        name
      }
      media {
        __typename
        ... on Book {
          title
        }
      }
    }
  },
}"""
    )


def test_fields_whose_subgraph_types_conflict_get_an_internal_alias(
    plan: Plan,
) -> None:
    # Audit suite child-type-mismatch: in `a`, User.name is String! and Admin.name
    # String, so `... on User { name } ... on Admin { name }` needs an alias there.
    result = plan(
        "audit_child_type_mismatch",
        "{ accounts { ... on User { id name } ... on Admin { id name } } }",
    )
    assert str(result) == (
        """\
QueryPlan {
  Fetch(service: "a") {
    {
      accounts {
        __typename
        ... on User {
          id
          name
        }
        ... on Admin {
          id
          __agora_shape_1_name: name
        }
      }
    }
    output rewrite: KeyRenamer(accounts/__agora_shape_1_name -> name)
  },
}"""
    )


def test_fragments_follow_the_type_the_subgraph_gives_the_field(plan: Plan) -> None:
    # Audit union-intersection: `book` is a `ViewerMedia` union in the supergraph
    # but a `Book` in subgraph a, where `... on Song` is invalid (and never applies).
    result = plan(
        "union_intersection",
        "{ viewer { book { __typename"
        " ... on Song { title } ... on Book { title } } } }",
    )
    assert str(result) == (
        """\
QueryPlan {
  Fetch(service: "a") {
    {
      viewer {
        book {
          __typename
          title
        }
      }
    }
  },
}"""
    )


def test_fragment_on_an_interface_a_subgraph_does_not_see_implemented_is_split(
    plan: Plan,
) -> None:
    # Audit union-interface-distributed: Oven implements Node and WithWarranty in
    # subgraph b only, so in a `... on Node` would skip the ovens.
    result = plan(
        "union_interface_distributed",
        "{ products { ... on Node { id } ... on WithWarranty { warranty } } }",
    )
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "a") {
      {
        products {
          __typename
          ... on Oven {
            id
            __typename
          }
          ... on Toaster {
            id
            warranty
          }
        }
      }
    },
    Flatten(path: "products.@") {
      Fetch(service: "b") {
        {
          ... on Oven {
            __typename
            id
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Oven {
              warranty
            }
          }
        }
      },
    },
  },
}"""
    )


def test_union_members_below_a_shareable_path_are_those_every_candidate_knows(
    plan: Plan,
) -> None:
    # Audit partial-union-complex: `wrapper.actions` of a Container could come from
    # a or b, and only Common is in both unions; `bWrapper` is b's alone.
    result = plan(
        "partial_union_complex",
        "{ rootA { wrapper { actions { __typename ... on OnlyA { a } } }"
        " bWrapper { actions { ... on OnlyB { b } } } } }",
    )
    assert str(result) == (
        """\
QueryPlan {
  Sequence {
    Fetch(service: "a") {
      {
        rootA {
          wrapper {
            actions {
              __typename
            }
          }
          __typename
          id
        }
      }
    },
    Flatten(path: "rootA") {
      Fetch(service: "b") {
        {
          ... on Container {
            __typename
            id
          }
        } =>
        query ($representations: [_Any!]!) {
          _entities(representations: $representations) {
            ... on Container {
              bWrapper {
                actions {
                  __typename
                  ... on OnlyB {
                    b
                  }
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


def test_interface_object_fields_alone_need_no_concrete_type(plan: Plan) -> None:
    # Audit non-resolvable-interface-object: the interface's owner (a) has no
    # implementation to ask; the client asked for nothing it would answer.
    result = plan("non_resolvable_interface_object", "{ b { id field } }")
    assert str(result) == (
        """\
QueryPlan {
  Fetch(service: "b") {
    {
      b {
        __typename
        id
        field
      }
    }
  },
}"""
    )


def test_abstract_field_a_subgraph_types_as_a_member_still_fetches_its_typename(
    plan: Plan,
) -> None:
    # Audit union-intersection: `book` is a Book in a, a ViewerMedia union for the
    # client: the projection needs `__typename` to pick the fragments.
    result = plan("union_intersection", "{ viewer { book { ... on Book { title } } } }")
    assert str(result) == (
        """\
QueryPlan {
  Fetch(service: "a") {
    {
      viewer {
        book {
          __typename
          title
        }
      }
    }
  },
}"""
    )


def test_clients_fragments_on_an_interface_field_may_go_to_different_subgraphs(
    plan: Plan,
) -> None:
    # Audit corrupted-supergraph-node-id: a answers Account.id, b Chat.id; the
    # client's fragments re-enter the root per type (`node { id }` is refused).
    result = plan(
        "audit_corrupted_node_id",
        '{ node(id: "a1") { ... on Account { id } ... on Chat { id } } }',
    )
    assert str(result) == (
        """\
QueryPlan {
  Parallel {
    Fetch(service: "a") {
      {
        node(id: "a1") {
          __typename
          ... on Account {
            id
          }
        }
      }
    },
    Fetch(service: "b") {
      {
        node(id: "a1") {
          __typename
          ... on Chat {
            id
          }
        }
      }
    },
  },
}"""
    )
