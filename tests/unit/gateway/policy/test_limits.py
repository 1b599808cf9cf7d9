"""Operation limits: what an operation measures (as the Apollo Router measures it),
the token limit of the parser, and the verdict against the configured limits."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, parse, validate

from gateway.policy.cost import CostModel, estimate_cost
from gateway.policy.limits import (
    DEVELOPMENT_LIMITS,
    PRODUCTION_LIMITS,
    LimitsMode,
    OperationLimits,
    OperationMeasures,
    check_limits,
    measure_operation,
    parse_with_limit,
)
from gateway.supergraph import Supergraph, load_supergraph

ROOT = Path(__file__).resolve().parents[4]

# The operations of the README and of the gateway bench (scripts/bench/peers).
README_OPERATIONS = (
    'mutation { login(email: "demo@agora.dev", password: "agora-demo-password") {'
    " accessToken refreshToken user { id displayName } } }",
    "query { me { id email displayName roles tenant { id name } } }",
    'mutation { register(input: {email: "new@agora.dev", password: "a long passphrase",'
    ' displayName: "New Member", invitationToken: "…"}) { email } }',
    """query { conversations(first: 10) { edges { node { id unreadCount
         messages(first: 20) { edges { node { id text createdAt
           sender { displayName } } } } } } } }""",
    'mutation { sendMessage(input: {clientId: "phone-1-msg-42",'
    ' conversationId: "7d3c0a2e-0000-4000-8000-000000000601",'
    ' text: "Is the truck still coming?"}) { id text } }',
    "subscription { messageEvents("
    ' conversationId: "7d3c0a2e-0000-4000-8000-000000000601")'
    " { kind message { id text sender { displayName } } } }",
    """query { farms { id name } products(first: 10) { edges { node { id sku name
         stock { farm { name } quantity reserved available } } } } }""",
    'mutation { reserve(productId: "p", farmId: "f", quantity: 3, ttl: 600)'
    " { id expiresAt } }",
    'subscription { stockChanged(productId: "p") { quantity reserved available } }',
)
BENCH = ROOT / "scripts" / "bench" / "peers"
MESSAGE = "id sender { displayName }"


def _measure(query: str) -> OperationMeasures:
    document = parse(query)
    return measure_operation(document, _operation(document))


def _operation(document: DocumentNode) -> OperationDefinitionNode:
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return operation


def _doubling(k: int, leaf: str = "id") -> str:
    fragments = "\n".join(
        f"fragment F{i} on User {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, k + 1)
    )
    return f"{{ me {{ ...F{k} }} }}\nfragment F0 on User {{ {leaf} }}\n{fragments}"


@pytest.fixture(scope="module")
def agora() -> Supergraph:
    return load_supergraph((ROOT / "schema" / "supergraph.graphql").read_text())


def test_depth_counts_a_root_field_as_one_and_fragments_as_no_level() -> None:
    # The router's GetBook example: depth 3.
    query = """query GetBook { book { ...bookDetails } }
      fragment bookDetails on Book {
        details { ... on ProductDetailsBook { country } } }"""
    assert _measure(query).depth == 3
    assert _measure("{ a }").depth == 1
    assert _measure("{ a { b { c } } d }").depth == 3


def test_height_counts_distinct_response_names_per_selection_set() -> None:
    # The router counts an alias of a field again (an upper bound).
    measures = _measure("{ user { id name username: name name } }")
    assert measures.height == 4


def test_aliases_in_a_reused_fragment_count_at_every_spread() -> None:
    query = """{ a: user { ...Names } b: user { ...Names } user { ...Names } }
      fragment Names on User { nickname: name handle: name name }"""
    assert _measure(query).aliases == 2 + 3 * 2


def test_root_fields_count_distinct_response_names_through_fragments() -> None:
    query = """{ me { id } me { name } other: me { id }
        ...Roots ... on Query { farms } }
      fragment Roots on Query { users farms ...More } fragment More on Query { x }"""
    assert _measure(query).root_fields == 5  # me, other, users, farms, x


def test_directives_count_every_application_and_each_spread_fragment() -> None:
    query = """query Q($a: Boolean = true @d) @d {
        x @include(if: $a) @d ...F @d ... @skip(if: false) { y } }
      fragment F on Query @d { z @d }"""
    # operation 1, variable 1, x 2, spread 1, inline 1, fragment (1 + z 1).
    assert _measure(query).directives == 8
    query = "{ a { ...F } b { ...F } } fragment F on T @d { z @d @e }"
    assert _measure(query).directives == 2 * 3


def test_tokens_are_the_parsers_count_comments_included() -> None:
    assert _measure("{ a b }").tokens == 4
    assert _measure("{ a # why\n b }").tokens == 5


def test_parse_with_limit_returns_the_document_at_the_limit() -> None:
    document = parse_with_limit("{ a b c }", 5)
    assert isinstance(document, DocumentNode)
    assert isinstance(parse_with_limit("{ a b c }", None), DocumentNode)


def test_parse_with_limit_refuses_one_token_over_it() -> None:
    error = parse_with_limit("{ a b c d }", 5)
    assert isinstance(error, GraphQLError)
    assert error.extensions == {"code": "MAX_TOKENS_LIMIT", "limit": 5}
    assert error.message == "Maximum tokens limit exceeded in this operation"
    assert error.locations is not None


def test_parse_with_limit_counts_comments_so_padding_cannot_pass() -> None:
    error = parse_with_limit("{ a\n" + "# pad\n" * 1000 + "}", 100)
    assert isinstance(error, GraphQLError)
    assert error.extensions is not None
    assert error.extensions["code"] == "MAX_TOKENS_LIMIT"


def test_parse_with_limit_reports_a_syntax_error_as_a_parse_failure() -> None:
    error = parse_with_limit("{ a ", 100)
    assert isinstance(error, GraphQLError)
    assert error.extensions == {"code": "GRAPHQL_PARSE_FAILED"}


def test_fragment_doubling_measures_without_expanding_it() -> None:
    measures = _measure(_doubling(40))
    assert measures.depth == 2
    assert measures.root_fields == 1
    assert measures.aliases == 0
    # As if inlined: 2**40 copies of `id` under `me`, 2**41 - 1 spreads.
    assert measures.height == 2**40 + 1
    assert measures.fragment_spreads == 2**41 - 1
    assert _measure(_doubling(40, "n: id")).aliases == 2**40


def test_doubled_figures_saturate_at_the_largest_exact_json_integer() -> None:
    measures = _measure(_doubling(200, "n: id"))
    assert measures.aliases == 2**53 - 1
    assert measures.height == 2**53 - 1
    assert measures.depth == 2


def test_a_long_fragment_chain_measures_without_recursing_through_it() -> None:
    chain = "\n".join(
        f"fragment F{i} on User {{ ...F{i - 1} }}" for i in range(1, 5000)
    )
    query = f"{{ me {{ ...F4999 }} }}\nfragment F0 on User {{ a: id }}\n{chain}"
    measures = _measure(query)
    assert (measures.depth, measures.aliases, measures.fragment_spreads) == (2, 1, 5000)


def test_fragment_cycles_count_as_empty() -> None:
    query = (
        "{ me { ...A } } fragment A on User { a: id ...B } fragment B on User { ...A }"
    )
    measures = _measure(query)
    assert (measures.depth, measures.aliases) == (2, 1)


MEASURES = OperationMeasures(
    depth=10,
    height=40,
    aliases=5,
    root_fields=3,
    directives=7,
    tokens=200,
    fragment_spreads=0,
)
FIELDS = {
    "max_depth": ("MAX_DEPTH_LIMIT", 10),
    "max_height": ("MAX_HEIGHT_LIMIT", 40),
    "max_aliases": ("MAX_ALIASES_LIMIT", 5),
    "max_root_fields": ("MAX_ROOT_FIELDS_LIMIT", 3),
    "max_directives": ("MAX_DIRECTIVES_LIMIT", 7),
    "max_tokens": ("MAX_TOKENS_LIMIT", 200),
    "max_cost": ("COST_ESTIMATED_TOO_EXPENSIVE", 120),
}


@pytest.mark.parametrize("limit", sorted(FIELDS))
def test_a_figure_under_or_at_its_limit_passes(limit: str) -> None:
    _, measured = FIELDS[limit]
    for value in (measured + 1, measured):
        verdict = check_limits(MEASURES, 120, OperationLimits(**{limit: value}))
        assert not verdict.refused
        assert verdict.exceeded == ()


@pytest.mark.parametrize("limit", sorted(FIELDS))
def test_a_figure_over_its_limit_is_refused_with_the_limit_and_the_figure(
    limit: str,
) -> None:
    code, measured = FIELDS[limit]
    verdict = check_limits(MEASURES, 120, OperationLimits(**{limit: measured - 1}))
    assert verdict.refused
    assert verdict.exceeded == (code,)
    [error] = verdict.errors
    assert error.extensions is not None
    assert error.extensions["code"] == code
    assert error.extensions["limit"] == measured - 1
    assert error.extensions["measured"] == measured


def test_errors_follow_the_routers_messages() -> None:
    limits = OperationLimits(max_depth=1, max_aliases=1, max_cost=100)
    messages = [e.message for e in check_limits(MEASURES, 120, limits).errors]
    assert messages == [
        "Maximum depth limit exceeded in this operation",
        "Maximum aliases limit exceeded in this operation",
        "query estimated cost 120 exceeded configured maximum 100",
    ]
    cost_error = check_limits(MEASURES, 120, limits).errors[-1]
    assert cost_error.extensions is not None
    assert cost_error.extensions["cost.estimated"] == 120
    assert cost_error.extensions["cost.max"] == 100


def test_every_exceeded_limit_gives_its_own_error() -> None:
    limits = OperationLimits(**{name: 0 for name in FIELDS})
    verdict = check_limits(MEASURES, 120, limits)
    assert [e.extensions["code"] for e in verdict.errors if e.extensions] == [
        "MAX_DEPTH_LIMIT",
        "MAX_HEIGHT_LIMIT",
        "MAX_ALIASES_LIMIT",
        "MAX_ROOT_FIELDS_LIMIT",
        "MAX_DIRECTIVES_LIMIT",
        "MAX_TOKENS_LIMIT",
        "COST_ESTIMATED_TOO_EXPENSIVE",
    ]


def test_measure_mode_reports_without_refusing() -> None:
    limits = OperationLimits(max_depth=1, max_cost=1, mode=LimitsMode.MEASURE)
    verdict = check_limits(MEASURES, 120, limits)
    assert not verdict.refused
    assert verdict.errors == ()
    assert verdict.exceeded == ("MAX_DEPTH_LIMIT", "COST_ESTIMATED_TOO_EXPENSIVE")
    assert verdict.figures() == {
        "depth": 10,
        "height": 40,
        "aliases": 5,
        "root_fields": 3,
        "directives": 7,
        "tokens": 200,
        "cost": 120,
    }


def test_no_limit_and_no_cost_refuse_nothing() -> None:
    assert not check_limits(MEASURES, 10**9, OperationLimits()).refused
    verdict = check_limits(MEASURES, None, OperationLimits(max_cost=0))
    assert not verdict.refused
    assert "cost" not in verdict.figures()


def _verdict(
    supergraph: Supergraph, query: str, limits: OperationLimits
) -> tuple[str, ...]:
    document = parse_with_limit(query, limits.max_tokens)
    if isinstance(document, GraphQLError):
        assert document.extensions is not None
        return (str(document.extensions["code"]),)
    assert validate(supergraph.api_schema, document) == []
    operation = _operation(document)
    cost = estimate_cost(CostModel.from_supergraph(supergraph), document, operation)
    return check_limits(measure_operation(document, operation), cost, limits).exceeded


@pytest.mark.parametrize("query", README_OPERATIONS)
def test_the_readme_operations_pass_the_recommended_limits(
    agora: Supergraph, query: str
) -> None:
    assert _verdict(agora, query, PRODUCTION_LIMITS) == ()
    assert _verdict(agora, query, DEVELOPMENT_LIMITS) == ()


@pytest.mark.parametrize("name", ["nested", "small", "user"])
def test_the_bench_operations_pass_the_recommended_limits(name: str) -> None:
    supergraph = load_supergraph((BENCH / "supergraph.graphql").read_text())
    query = (BENCH / "operations" / f"{name}.graphql").read_text()
    assert _verdict(supergraph, query, PRODUCTION_LIMITS) == ()


def test_the_seven_deep_nesting_of_issue_10_is_refused(agora: Supergraph) -> None:
    query = (
        "{ products { edges { node { "
        + "tenant { products { " * 7
        + "name"
        + " } }" * 7
        + " } } } }"
    )
    for limits in (PRODUCTION_LIMITS, DEVELOPMENT_LIMITS):
        exceeded = _verdict(agora, query, limits)
        assert exceeded == ("MAX_DEPTH_LIMIT", "COST_ESTIMATED_TOO_EXPENSIVE")


def test_the_alias_flood_of_issue_10_is_refused(agora: Supergraph) -> None:
    aliases = " ".join(
        f'a{i}: searchMessages(query: "x", first: 100) {{ {MESSAGE} }}'
        for i in range(1000)
    )
    query = "{ " + aliases + " }"
    assert _verdict(agora, query, PRODUCTION_LIMITS) == ("MAX_TOKENS_LIMIT",)
    assert _verdict(agora, query, DEVELOPMENT_LIMITS) == (
        "MAX_HEIGHT_LIMIT",
        "MAX_ALIASES_LIMIT",
        "MAX_ROOT_FIELDS_LIMIT",
        "COST_ESTIMATED_TOO_EXPENSIVE",
    )
    unlimited_tokens = OperationLimits(max_aliases=30, max_cost=10_000)
    assert _verdict(agora, query, unlimited_tokens) == (
        "MAX_ALIASES_LIMIT",
        "COST_ESTIMATED_TOO_EXPENSIVE",
    )


def test_the_fragment_doubling_of_issue_10_is_refused_by_its_height(
    agora: Supergraph,
) -> None:
    query = _doubling(40).replace("{ id }", "{ id displayName }")
    exceeded = _verdict(agora, query, PRODUCTION_LIMITS)
    assert exceeded == ("MAX_HEIGHT_LIMIT",)
