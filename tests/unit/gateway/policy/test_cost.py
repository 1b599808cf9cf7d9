"""Demand control: the static estimated cost of operations, as the Apollo Router
estimates it (@cost, @listSize, default list size, mutations), on supergraphs made by
our composer and by the reference composer."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import OperationDefinitionNode, parse, validate

from gateway.compose import SubgraphDefinition, compose
from gateway.policy.cost import CostModel, estimate_cost
from gateway.supergraph import Supergraph, load_supergraph

ROOT = Path(__file__).resolve().parents[4]
COMPOSITION = ROOT / "tests" / "fixtures" / "composition"

# The Apollo Router's demand control examples (docs: routing/security/demand-control),
# extended with the other shapes of the cost spec.
BOOKS = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.9",
                    import: ["@key", "@cost", "@listSize"])
type Query {
  book(id: ID): Book
  bestsellers: [Book] @listSize(assumedSize: 5)
  newestAdditions(after: ID, limit: Int!): [Book] @listSize(slicingArguments: ["limit"])
  authors(first: Int = 4): [Author]
  shelves: [Shelf]
  search(input: SearchInput! @cost(weight: 2), tags: [String!]): [Book]
    @listSize(slicingArguments: ["input.pagination.first"],
              requireOneSlicingArgument: false)
  container(first: Int): Container
    @listSize(slicingArguments: ["first"], sizedFields: ["page", "deep { page }"],
              requireOneSlicingArgument: false)
  rated(rating: Rating): [Book] @listSize(assumedSize: 2)
  expensive: Int @cost(weight: 50)
}
type Mutation { addBook(title: String!): Book removeBook(id: ID!): Boolean }
type Book { title: String author: Author publisher: Publisher }
type Author { name: String books(first: Int): [Book] }
type Publisher { name: String address: Address }
type Address @cost(weight: 5) { zipCode: Int! }
type Shelf { books: [Book] }
type Container { page: [Book] recent: [Book] deep: Container total: Int }
input SearchInput { text: String pagination: PaginationInput filter: FilterInput }
input PaginationInput { first: Int after: String }
input FilterInput { minRating: Int @cost(weight: 3) }
enum Rating @cost(weight: 4) { GOOD BAD }
"""

BOOK = "title author { name } publisher { name address { zipCode } }"
MESSAGE = "id text sender { displayName }"


@pytest.fixture(scope="module")
def books() -> Supergraph:
    result = compose(
        [SubgraphDefinition("books", "http://books.example/graphql", BOOKS)]
    )
    assert result.supergraph_sdl is not None, result.errors
    return load_supergraph(result.supergraph_sdl)


@pytest.fixture(scope="module")
def model(books: Supergraph) -> CostModel:
    return CostModel.from_supergraph(books)


@pytest.fixture(scope="module")
def agora() -> Supergraph:
    return load_supergraph((ROOT / "schema" / "supergraph.graphql").read_text())


def _cost(
    supergraph: Supergraph,
    model: CostModel,
    query: str,
    variables: dict[str, object] | None = None,
    default_list_size: int | None = None,
) -> int:
    document = parse(query)
    assert validate(supergraph.api_schema, document) == []
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return estimate_cost(
        model, document, operation, variables, default_list_size=default_list_size
    )


def _depends(model: CostModel, query: str) -> bool:
    document = parse(query)
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return model.depends_on_variables(document, operation)


def test_objects_cost_one_scalars_nothing_and_a_type_cost_overrides(
    books: Supergraph, model: CostModel
) -> None:
    # book 1 + author 1 + publisher 1 + address @cost(weight: 5) on its type.
    assert _cost(books, model, "{ book(id: 1) { " + BOOK + " } }") == 8
    assert _cost(books, model, "{ book { title } }") == 1


def test_assumed_size_multiplies_the_list(books: Supergraph, model: CostModel) -> None:
    assert _cost(books, model, "{ bestsellers { " + BOOK + " } }") == 40


def test_slicing_argument_from_a_literal(books: Supergraph, model: CostModel) -> None:
    query = "{ newestAdditions(limit: LIMIT) { " + BOOK + " } }"
    assert _cost(books, model, query.replace("LIMIT", "3")) == 24
    assert _cost(books, model, query.replace("LIMIT", "7")) == 56


def test_slicing_argument_from_a_variable(books: Supergraph, model: CostModel) -> None:
    query = "query ($n: Int!) { newestAdditions(limit: $n) { " + BOOK + " } }"
    assert _cost(books, model, query, {"n": 4}) == 32
    assert _cost(books, model, query, {"n": 10}) == 80
    assert _depends(model, query)
    assert not _depends(model, "{ newestAdditions(limit: 3) { " + BOOK + " } }")


def test_a_list_value_sizes_by_its_length(books: Supergraph, model: CostModel) -> None:
    query = "query ($n: Int!) { newestAdditions(limit: $n) { title } }"
    assert _cost(books, model, query, {"n": 0}) == 0


def test_a_negative_slicing_value_counts_as_an_empty_list(
    books: Supergraph, model: CostModel
) -> None:
    # Otherwise a negative size would pay for the rest of the operation.
    query = f"{{ newestAdditions(limit: -1000) {{ {BOOK} }} bestsellers {{ {BOOK} }} }}"
    assert _cost(books, model, query) == 40


def test_nested_lists_multiply(books: Supergraph, model: CostModel) -> None:
    query = "{ authors(first: 2) { books(first: 3) { title publisher { name } } } }"
    # 2 authors x (1 + 3 books x (book 1 + publisher 1)).
    assert _cost(books, model, query) == 14


def test_first_without_list_size_is_a_slicing_argument_with_its_default(
    books: Supergraph, model: CostModel
) -> None:
    assert _cost(books, model, "{ authors { name } }") == 4
    # A variable the request did not send leaves the argument's default.
    query = "query ($n: Int) { authors(first: $n) { name } }"
    assert _cost(books, model, query, {}) == 4
    assert _cost(books, model, query, {"n": 7}) == 7


def test_a_list_without_size_takes_the_default_list_size(
    books: Supergraph, model: CostModel
) -> None:
    query = "{ shelves { books { title } } }"
    assert _cost(books, model, query) == 10 * (1 + 10 * 1)
    assert _cost(books, model, query, default_list_size=3) == 3 * (1 + 3 * 1)
    smaller = CostModel.from_supergraph(books, default_list_size=2)
    assert _cost(books, smaller, query) == 2 * (1 + 2 * 1)


def test_cost_on_a_field_replaces_the_default(
    books: Supergraph, model: CostModel
) -> None:
    assert _cost(books, model, "{ expensive }") == 50


def test_cost_on_an_argument_type_counts_once_per_field(
    books: Supergraph, model: CostModel
) -> None:
    # 2 books x 1, plus the enum argument whose type has @cost(weight: 4).
    assert _cost(books, model, "{ rated(rating: GOOD) { title } }") == 6
    assert _cost(books, model, "{ rated { title } }") == 2
    assert _cost(books, model, "{ rated(rating: null) { title } }") == 2


def test_input_objects_cost_one_and_nested_slicing_paths_size_the_list(
    books: Supergraph, model: CostModel
) -> None:
    query = '{ search(input: {text: "x", pagination: {first: 6}}) { title } }'
    # 6 books, input @cost(weight: 2) on the argument, pagination object 1.
    assert _cost(books, model, query) == 6 + 2 + 1
    query = '{ search(input: {filter: {minRating: 2}}, tags: ["a", "b"]) { title } }'
    # No slicing value: the default list size; filter 1 + minRating @cost 3.
    assert _cost(books, model, query) == 10 + 2 + 1 + 3


def test_input_objects_from_variables_cost_as_literals(
    books: Supergraph, model: CostModel
) -> None:
    query = "query ($input: SearchInput!) { search(input: $input) { title } }"
    value = {"text": "x", "pagination": {"first": 6}, "filter": {"minRating": 2}}
    assert _cost(books, model, query, {"input": value}) == 6 + 2 + 1 + (1 + 3)
    assert _depends(model, query)


def test_variables_that_cannot_cost_leave_the_estimate_cacheable(
    books: Supergraph, model: CostModel
) -> None:
    query = "query ($id: ID, $tags: [String!]) { book(id: $id) { title } }"
    assert not _depends(model, query)
    query = "query ($r: Rating) { rated(rating: $r) { title } }"
    assert _depends(model, query)
    query = "query ($f: Int) { search(input: {pagination: {first: $f}}) { title } }"
    assert _depends(model, query)
    query = "query ($f: Int) { container(first: $f) { total } }"
    assert _depends(model, query)
    query = """query ($n: Int) { x: book { ...F } }
      fragment F on Book { author { books(first: $n) { title } } }"""
    assert _depends(model, query)


def test_sized_fields_take_the_slicing_size(
    books: Supergraph, model: CostModel
) -> None:
    query = "{ container(first: 5) { page { title } recent { title } total } }"
    # container 1 + 5 sized pages + 10 (default) recent.
    assert _cost(books, model, query) == 1 + 5 + 10
    query = "{ container(first: 5) { deep { page { title } recent { title } } } }"
    # `deep { page }`: the size reaches the nested list, not its sibling.
    assert _cost(books, model, query) == 1 + 1 + 5 + 10


def test_a_fragment_is_costed_in_each_list_size_context(
    books: Supergraph, model: CostModel
) -> None:
    query = """
      { a: container(first: 5) { ...Page } b: container(first: 2) { ...Page }
        c: book { ...Author } d: book { ...Author } }
      fragment Page on Container { page { title } }
      fragment Author on Book { author { name } }
    """
    assert _cost(books, model, query) == (1 + 5) + (1 + 2) + 2 * (1 + 1)


def test_mutations_cost_ten_per_root_field(books: Supergraph, model: CostModel) -> None:
    query = 'mutation { addBook(title: "x") { title } removeBook(id: 1) }'
    assert _cost(books, model, query) == 2 * 10 + 1
    query = (
        "mutation { a: removeBook(id: 1) b: removeBook(id: 2) c: removeBook(id: 3) }"
    )
    assert _cost(books, model, query) == 30


def test_introspection_costs_nothing(books: Supergraph, model: CostModel) -> None:
    query = "{ __typename __schema { types { name fields { name } } } }"
    assert _cost(books, model, query) == 0
    assert _cost(books, model, "{ book { __typename title } }") == 1


def test_literally_skipped_selections_cost_nothing(
    books: Supergraph, model: CostModel
) -> None:
    query = """query ($s: Boolean!) {
      book @skip(if: true) { title }
      bestsellers @include(if: false) { title }
      ... @skip(if: true) { shelves { books { title } } }
      expensive @skip(if: $s)
    }"""
    # A condition from a variable counts as included (the router's upper bound).
    assert _cost(books, model, query, {"s": True}) == 50
    assert not _depends(model, query)


def test_fragment_doubling_is_costed_without_expanding_it(
    books: Supergraph, model: CostModel
) -> None:
    fragments = "\n".join(
        f"fragment F{k} on Book {{ ...F{k - 1} ...F{k - 1} }}" for k in range(1, 41)
    )
    query = "{ book { ...F40 } }\nfragment F0 on Book { author { name } }\n"
    assert _cost(books, model, query + fragments) == 1 + 2**40


def test_cost_saturates_at_the_largest_exact_json_integer(
    books: Supergraph, model: CostModel
) -> None:
    fragments = "\n".join(
        f"fragment F{k} on Book {{ ...F{k - 1} ...F{k - 1} }}" for k in range(1, 80)
    )
    query = "{ book { ...F79 } }\nfragment F0 on Book { author { name } }\n"
    assert _cost(books, model, query + fragments) == 2**53 - 1


def test_reference_composed_supergraph_with_sized_fields_and_type_costs() -> None:
    supergraph = load_supergraph(
        (COMPOSITION / "demand_control" / "supergraph.graphql").read_text()
    )
    model = CostModel.from_supergraph(supergraph)
    # products' `first` defaults to 10 and sizes `items`; Product costs 4, stock 10.
    query = "{ products { items { name stock } cursor } }"
    assert _cost(supergraph, model, query) == 1 + 10 * (4 + 10)
    # The literal `first` also pays its argument's @cost(weight: 2).
    assert _cost(supergraph, model, "{ products(first: 3) { items { id } } }") == 15
    # A field's @cost replaces its type's.
    assert _cost(supergraph, model, "{ featured { id } }") == 5 * 3
    assert _cost(supergraph, model, "{ orders { product { stock } } }") == 10 * 15


def test_directives_are_read_under_their_linked_names() -> None:
    sdl = (COMPOSITION / "cost_only" / "supergraph.graphql").read_text()
    assert "directive @cost__listSize(" in sdl
    supergraph = load_supergraph(sdl)
    assert _cost(supergraph, CostModel.from_supergraph(supergraph), "{ items }") == 30
    sized = sdl.replace(
        "items: [String!]! @cost(weight: 3)",
        "items: [String!]! @cost(weight: 3) @cost__listSize(assumedSize: 2)",
    )
    supergraph = load_supergraph(sized)
    assert _cost(supergraph, CostModel.from_supergraph(supergraph), "{ items }") == 6


def test_a_supergraph_without_cost_directives_uses_the_defaults(
    agora: Supergraph,
) -> None:
    model = CostModel.from_supergraph(agora)
    query = """{ conversations(first: 10) { edges { node { id unreadCount
        messages(first: 20) { edges { node { id text createdAt
          sender { displayName } } } } } } } }"""
    # first sizes a connection's edges: 1 + 10 x (edge 1 + node 1 + messages 1
    # + 20 x (edge 1 + node 1 + sender 1)).
    assert _cost(agora, model, query) == 1 + 10 * (3 + 20 * 3)
    # Without `first`, its default (20) counts.
    assert _cost(agora, model, "{ products { edges { node { id } } } }") == 1 + 20 * 2


def test_the_alias_flood_of_issue_10_costs_two_hundred_thousand(
    agora: Supergraph,
) -> None:
    aliases = " ".join(
        f'a{i}: searchMessages(query: "x", first: 100) {{ {MESSAGE} }}'
        for i in range(1000)
    )
    model = CostModel.from_supergraph(agora)
    assert _cost(agora, model, "{ " + aliases + " }") == 1000 * 100 * (1 + 1)


def test_the_seven_deep_tenant_products_nesting_of_issue_10_multiplies(
    agora: Supergraph,
) -> None:
    query = (
        "{ products(first: 100) { edges { node { "
        + "tenant { products { " * 7
        + "name"
        + " } }" * 7
        + " } } } }"
    )
    model = CostModel.from_supergraph(agora)
    # Each Tenant.products (no `first`) is a default-size list of 10.
    inner = 0
    for _ in range(7):
        inner = 1 + 10 * (1 + inner)  # tenant 1 + 10 x (product 1 + below)
    assert _cost(agora, model, query) == 1 + 100 * (1 + 1 + inner)


def test_the_variables_an_estimate_reads_are_named(model: CostModel) -> None:
    def read(query: str) -> frozenset[str]:
        document = parse(query)
        operation = document.definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        return model.variables_read(document, operation)

    # An id, an offset: nothing the estimate reads; the slicing size: read.
    assert read("query ($id: ID) { book(id: $id) { title } }") == frozenset()
    query = """query ($n: Int!, $id: ID, $f: Int) {
      newestAdditions(limit: $n) { title }
      book(id: $id) { title }
      x: book { ...F }
    }
    fragment F on Book { author { books(first: $f) { title } } }"""
    assert read(query) == {"n", "f"}
