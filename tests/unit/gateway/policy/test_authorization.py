"""@authenticated, @requiresScopes and @policy: what each caller may select."""

from __future__ import annotations

from functools import cache

import pytest
from graphql import parse, print_ast, validate

from gateway.policy import (
    UNAUTHORIZED_FIELD_OR_TYPE,
    AuthorizationResult,
    AuthorizationRules,
    Grants,
    Identity,
    PolicyRule,
    PolicyRules,
    add_authorization_errors,
    authorization_rules,
    authorize_operation,
    granted_policies,
    grants_of,
    unauthorized_response,
)
from gateway.policy.authorization import MAX_REPORTED_PATHS
from gateway.supergraph import Supergraph, SupergraphError, load_supergraph

_JOIN = """
directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE
directive @join__field(graph: join__Graph, requires: join__FieldSet,
  provides: join__FieldSet, type: String, external: Boolean, override: String,
  usedOverridden: Boolean) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__implements(graph: join__Graph!, interface: String!)
  repeatable on OBJECT | INTERFACE
directive @join__type(graph: join__Graph!, key: join__FieldSet,
  extension: Boolean! = false, resolvable: Boolean! = true,
  isInterfaceObject: Boolean! = false)
  repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @join__unionMember(graph: join__Graph!, member: String!)
  repeatable on UNION
directive @link(url: String, as: String, for: link__Purpose,
  import: [link__Import]) repeatable on SCHEMA
scalar join__FieldSet
scalar link__Import
enum link__Purpose { SECURITY EXECUTION }
enum join__Graph { MAIN @join__graph(name: "main", url: "http://main.example") }
"""

_LOCATIONS = "FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM"

SHOP = f"""
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)
  @link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)
  @link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)
  @link(url: "https://specs.apollo.dev/policy/v0.1", for: SECURITY)
{{ query: Query mutation: Mutation }}

directive @authenticated on {_LOCATIONS}
directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on {_LOCATIONS}
directive @policy(policies: [[policy__Policy!]!]!) on {_LOCATIONS}
scalar requiresScopes__Scope
scalar policy__Policy
{_JOIN}

type Query @join__type(graph: MAIN) {{
  public: String
  me: User @authenticated
  user(id: ID!): User
  product(id: ID!): Product
  products: [Product!]!
  matrix: [[Product]]
  node(id: ID!): Node
  priced: [Priced]
  search: [Result]
  admin: String @requiresScopes(scopes: [["a", "b"], ["c"]])
  audit: String @policy(policies: [["auditor"]])
  anyone: String @requiresScopes(scopes: [])
  secret: Secret
  internal: Internal
  level: Level
}}

type Mutation @join__type(graph: MAIN) {{
  ping: String
  remove(id: ID!): Boolean @authenticated
}}

interface Node @join__type(graph: MAIN) {{ id: ID! }}

interface Priced @join__type(graph: MAIN) {{ price: Int name: String }}

type User implements Node @join__type(graph: MAIN) @authenticated {{
  id: ID!
  name: String
  email: String @requiresScopes(scopes: [["read:email"]])
}}

type Product implements Node & Priced @join__type(graph: MAIN) {{
  id: ID!
  name: String
  price: Int @authenticated
  sku: String! @authenticated
  reviews: [Review!]
  owner: User
  related: [Product]
}}

type Gift implements Priced @join__type(graph: MAIN) {{ price: Int name: String }}

type Review @join__type(graph: MAIN) {{ body: String stars(max: Int): Int }}

union Result @join__type(graph: MAIN) = User | Product

type Secret @join__type(graph: MAIN) @policy(policies: [["secret_reader"]]) {{
  value: String
}}

scalar Internal @join__type(graph: MAIN) @authenticated

enum Level @join__type(graph: MAIN) @requiresScopes(scopes: [["level"]]) {{
  LOW @join__enumValue(graph: MAIN)
  HIGH @join__enumValue(graph: MAIN)
}}
"""

ANONYMOUS = Grants()
SIGNED_IN = Grants(authenticated=True)


@cache
def _shop() -> Supergraph:
    return load_supergraph(SHOP)


@cache
def _rules() -> AuthorizationRules:
    return authorization_rules(_shop())


def _authorize(
    query: str,
    caller: Grants = ANONYMOUS,
    *,
    operation_name: str | None = None,
    dry_run: bool = False,
) -> AuthorizationResult:
    document = parse(query)
    assert validate(_shop().api_schema, document) == []
    return authorize_operation(
        _rules(), document, operation_name, caller, dry_run=dry_run
    )


def _paths(result: AuthorizationResult) -> list[list[str | int]]:
    return [list(error.path or ()) for error in result.errors]


def _printed(result: AuthorizationResult) -> str:
    assert result.document is not None
    return print_ast(result.document)


def _same(query: str) -> str:
    return print_ast(parse(query))


# --- @authenticated on fields and types ----------------------------------------


def test_an_authenticated_field_is_removed_for_an_anonymous_caller() -> None:
    result = _authorize("{ public me { id } }")
    assert _printed(result) == _same("{ public }")
    assert _paths(result) == [["me"]]
    [error] = result.errors
    assert error.formatted == {
        "message": "Unauthorized field or type",
        "path": ["me"],
        "extensions": {"code": UNAUTHORIZED_FIELD_OR_TYPE},
    }
    assert result.removed == frozenset({"Query.me"})


def test_a_signed_in_caller_gets_the_same_document_object() -> None:
    document = parse("{ public me { id name } }")
    result = authorize_operation(_rules(), document, None, SIGNED_IN)
    assert result.document is document
    assert result.errors == ()
    assert result.removed == frozenset()


def test_an_authenticated_type_guards_every_field_returning_it() -> None:
    result = _authorize("{ user(id: 1) { id } product(id: 2) { name owner { id } } }")
    assert _printed(result) == _same("{ product(id: 2) { name } }")
    assert _paths(result) == [["user"], ["product", "owner"]]
    assert result.removed == frozenset({"Query.user", "Product.owner"})


def test_an_authenticated_scalar_or_restricted_enum_removes_fields_of_that_type() -> (
    None
):
    result = _authorize("{ public internal level }", SIGNED_IN)
    assert _printed(result) == _same("{ public internal }")
    assert _paths(result) == [["level"]]
    anonymous = _authorize("{ public internal level }")
    assert _paths(anonymous) == [["internal"], ["level"]]


def test_a_mutation_field_is_removed_and_the_rest_of_the_mutation_runs() -> None:
    result = _authorize("mutation { ping remove(id: 1) }")
    assert _printed(result) == _same("mutation { ping }")
    assert _paths(result) == [["remove"]]


def test_paths_use_aliases_and_at_for_list_items() -> None:
    result = _authorize("{ cheap: products { name cost: price } grid: matrix { sku } }")
    assert _printed(result) == _same("{ cheap: products { name } }")
    assert _paths(result) == [["cheap", "@", "cost"], ["grid", "@", "@", "sku"]]


# --- nesting --------------------------------------------------------------------


def test_a_selection_left_empty_removes_its_parent_without_an_error_of_its_own() -> (
    None
):
    result = _authorize("{ public product(id: 1) { price reviews { body } } }")
    assert _printed(result) == _same("{ public product(id: 1) { reviews { body } } }")
    emptied = _authorize("{ public product(id: 1) { price sku } }")
    assert _printed(emptied) == _same("{ public }")
    assert _paths(emptied) == [["product", "price"], ["product", "sku"]]


def test_when_nothing_of_the_operation_is_left_the_document_is_none() -> None:
    result = _authorize("query Mine { me { id } product(id: 1) { price } }")
    assert result.document is None
    assert _paths(result) == [["me"], ["product", "price"]]
    assert unauthorized_response(result) == {
        "errors": [
            {
                "message": "Unauthorized field or type",
                "path": ["me"],
                "extensions": {"code": UNAUTHORIZED_FIELD_OR_TYPE},
            },
            {
                "message": "Unauthorized field or type",
                "path": ["product", "price"],
                "extensions": {"code": UNAUTHORIZED_FIELD_OR_TYPE},
            },
        ],
        "data": None,
    }


def test_typename_and_introspection_stay_whatever_the_caller() -> None:
    result = _authorize('{ __typename me { id } __type(name: "User") { name } }')
    assert _printed(result) == _same('{ __typename __type(name: "User") { name } }')


# --- fragments ------------------------------------------------------------------


def test_an_inline_fragment_on_a_type_the_caller_may_not_see_is_removed() -> None:
    result = _authorize(
        "{ search { __typename ... on User { name } ... on Product { name } } }"
    )
    assert _printed(result) == _same(
        "{ search { __typename ... on Product { name } } }"
    )
    assert _paths(result) == [["search", "@", "... on User"]]
    assert result.removed == frozenset({"User"})


def test_a_named_fragment_on_a_type_the_caller_may_not_see_is_removed() -> None:
    result = _authorize(
        "{ search { ...U ...P } } fragment U on User { name } "
        "fragment P on Product { name }"
    )
    assert _printed(result) == _same(
        "{ search { ...P } } fragment P on Product { name }"
    )
    assert _paths(result) == [["search", "@", "... on User"]]


def test_fields_removed_inside_a_fragment_are_reported_at_each_spread() -> None:
    result = _authorize(
        "{ product(id: 1) { ...F } products { ...F } } "
        "fragment F on Product { name price }"
    )
    assert _printed(result) == _same(
        "{ product(id: 1) { ...F } products { ...F } } fragment F on Product { name }"
    )
    assert _paths(result) == [["product", "price"], ["products", "@", "price"]]


def test_a_fragment_left_empty_is_dropped_with_its_spreads_and_variables() -> None:
    result = _authorize(
        "query Q($max: Int, $withPrice: Boolean!) {"
        " product(id: 1) { name ...Money @include(if: $withPrice) }"
        " products { reviews { stars(max: $max) } ...Money } }"
        " fragment Money on Product { price sku }"
    )
    assert _printed(result) == _same(
        "query Q($max: Int) { product(id: 1) { name }"
        " products { reviews { stars(max: $max) } } }"
    )
    assert result.document is not None
    assert validate(_shop().api_schema, result.document) == []


def test_a_variable_used_only_by_removed_fields_is_dropped() -> None:
    result = _authorize(
        "query Q($id: ID!, $pid: ID!) { me: user(id: $id) { id } product(id: $pid) "
        "{ name } }"
    )
    assert _printed(result) == _same(
        "query Q($pid: ID!) { product(id: $pid) { name } }"
    )


def test_only_the_named_operation_is_authorized_and_kept() -> None:
    result = _authorize(
        "query A { me { id } public } query B { public }", operation_name="A"
    )
    assert _printed(result) == _same("query A { public }")
    untouched = _authorize(
        "query A { me { id } public } query B { public }", operation_name="B"
    )
    assert untouched.errors == ()


# --- interfaces and unions ------------------------------------------------------


def test_an_interface_field_selecting_fields_needs_every_implementation_type() -> None:
    # Node is implemented by User, which is @authenticated: the router removes it.
    result = _authorize("{ public node(id: 1) { id } }")
    assert _printed(result) == _same("{ public }")
    assert _paths(result) == [["node"]]


def test_an_interface_field_selecting_only_typename_and_fragments_stays() -> None:
    result = _authorize(
        "{ node(id: 1) { __typename ... on Product { id } ... on User { id } } }"
    )
    assert _printed(result) == _same(
        "{ node(id: 1) { __typename ... on Product { id } } }"
    )
    assert _paths(result) == [["node", "... on User"]]


def test_an_interface_field_is_removed_when_one_implementation_guards_it() -> None:
    # Priced.price is public, Product.price is not: the router removes Priced.price.
    result = _authorize("{ priced { name price } }")
    assert _printed(result) == _same("{ priced { name } }")
    assert _paths(result) == [["priced", "@", "price"]]
    typed = _authorize("{ priced { ... on Gift { price } ... on Product { price } } }")
    assert _printed(typed) == _same("{ priced { ... on Gift { price } } }")
    assert _paths(typed) == [["priced", "@", "... on Product", "price"]]


def test_a_fragment_on_the_enclosing_type_adds_no_path_element() -> None:
    result = _authorize(
        "{ product(id: 1) { ... on Product { name price } ... { sku } } }"
    )
    assert _paths(result) == [["product", "price"], ["product", "sku"]]


# --- @requiresScopes and @policy ------------------------------------------------


@pytest.mark.parametrize(
    ("scopes", "allowed"),
    [
        (set(), False),
        ({"a"}, False),
        ({"b"}, False),
        ({"a", "b"}, True),
        ({"c"}, True),
        ({"a", "c", "z"}, True),
    ],
)
def test_scopes_are_an_or_of_ands(scopes: set[str], allowed: bool) -> None:
    caller = Grants(authenticated=True, scopes=frozenset(scopes))
    result = _authorize("{ public admin }", caller)
    assert (result.errors == ()) is allowed


def test_an_empty_scopes_list_requires_nothing() -> None:
    assert _authorize("{ anyone }").errors == ()


def test_a_field_returning_a_scoped_type_needs_the_field_and_the_type() -> None:
    caller = Grants(authenticated=True, scopes=frozenset({"read:email"}))
    assert _authorize("{ me { email } }", caller).errors == ()
    result = _authorize("{ me { name email } }", SIGNED_IN)
    assert _printed(result) == _same("{ me { name } }")
    assert _paths(result) == [["me", "email"]]


def test_a_policy_field_needs_the_policy_granted() -> None:
    assert _paths(_authorize("{ audit secret { value } }", SIGNED_IN)) == [
        ["audit"],
        ["secret"],
    ]
    caller = Grants(policies=frozenset({"auditor", "secret_reader"}))
    assert _authorize("{ audit secret { value } }", caller).errors == ()


def test_the_removed_key_is_what_the_caller_lost() -> None:
    query = "{ public me { email } admin audit }"
    first = _authorize(query, Grants(authenticated=True, scopes=frozenset({"c"})))
    second = _authorize(query, Grants(authenticated=True, scopes=frozenset({"c", "x"})))
    third = _authorize(query, Grants(authenticated=True))
    assert first.removed == second.removed == frozenset({"User.email", "Query.audit"})
    assert third.removed == frozenset({"User.email", "Query.audit", "Query.admin"})
    assert hash(first.removed) == hash(second.removed)


def test_a_caller_meeting_every_requirement_skips_the_walk() -> None:
    caller = Grants(
        authenticated=True,
        scopes=frozenset({"c", "read:email", "level"}),
        policies=frozenset({"auditor", "secret_reader"}),
    )
    assert _rules().allows_everything(caller)
    assert not _rules().allows_everything(SIGNED_IN)


# --- dry run --------------------------------------------------------------------


def test_a_dry_run_reports_the_errors_and_keeps_the_document() -> None:
    document = parse("{ public me { email } product(id: 1) { price } }")
    result = authorize_operation(_rules(), document, None, ANONYMOUS, dry_run=True)
    assert result.document is document
    assert result.removed == frozenset()
    assert [list(e.path or ()) for e in result.errors] == [
        ["me"],
        ["me", "email"],
        ["product", "price"],
    ]


# --- hostile documents ----------------------------------------------------------


def _doubling(depth: int, leaf: str, *, aliased: bool = False) -> str:
    fragments = [f"fragment F0 on Product {{ {leaf} }}"]
    for k in range(1, depth + 1):
        if aliased:
            body = f"a: owner {{ id }} ...F{k - 1} b: reviews {{ body }} ...F{k - 1}"
        else:
            body = f"...F{k - 1} ...F{k - 1}"
        fragments.append(f"fragment F{k} on Product {{ {body} }}")
    return f"{{ product(id: 1) {{ ...F{depth} }} }} " + " ".join(fragments)


def test_forty_doubling_fragments_are_filtered_once_each() -> None:
    result = _authorize(_doubling(40, "name price"))
    assert _paths(result) == [["product", "price"]]
    assert result.document is not None
    printed = print_ast(result.document)
    assert "fragment F0 on Product {\n  name\n}" in printed
    assert printed.count("fragment ") == 41


def test_doubling_fragments_removing_everything_leave_nothing() -> None:
    result = _authorize(_doubling(40, "price sku"))
    assert result.document is None
    assert _paths(result) == [["product", "price"], ["product", "sku"]]


def test_reported_paths_are_capped_without_stopping_the_filtering() -> None:
    # Aliased fields under doubling fragments name 2**20 distinct paths.
    fragments = " ".join(
        f"fragment G{k} on Product {{ name a: related {{ ...G{k - 1} }}"
        f" b: related {{ ...G{k - 1} }} }}"
        for k in range(1, 21)
    )
    result = _authorize(
        "{ product(id: 1) { ...G20 } } fragment G0 on Product { price } " + fragments
    )
    assert len(result.errors) == MAX_REPORTED_PATHS
    assert _paths(result)[0] == ["product", *(["a", "@"] * 20), "price"]
    printed = _printed(result)
    assert "fragment G0 " not in printed
    assert "fragment G1 on Product {\n  name\n}" in printed
    assert printed.count("fragment ") == 20


# --- the response ---------------------------------------------------------------


def test_authorization_errors_join_the_response_and_explain_nulls() -> None:
    result = _authorize("{ public products { name sku } }")
    response = {
        "errors": [
            {
                "message": "Cannot return null for non-nullable field Product.sku.",
                "path": ["products", 0, "sku"],
                "extensions": {"code": "NON_NULLABLE_FIELD_IS_NULL"},
            },
            {
                "message": "boom",
                "path": ["public"],
                "extensions": {"code": "DOWNSTREAM_SERVICE_ERROR"},
            },
        ],
        "data": {"public": None, "products": None},
    }
    assert add_authorization_errors(response, result) == {
        "errors": [
            {
                "message": "Unauthorized field or type",
                "path": ["products", "@", "sku"],
                "extensions": {"code": UNAUTHORIZED_FIELD_OR_TYPE},
            },
            {
                "message": "boom",
                "path": ["public"],
                "extensions": {"code": "DOWNSTREAM_SERVICE_ERROR"},
            },
        ],
        "data": {"public": None, "products": None},
    }


def test_a_response_without_authorization_errors_is_returned_as_is() -> None:
    response = {"data": {"public": "x"}}
    assert add_authorization_errors(response, AuthorizationResult(None)) is response


# --- reading the directives -------------------------------------------------------


def _renamed(link: str, directive: str) -> str:
    return f"""
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)
  {link}
{{ query: Query }}
directive {directive} on {_LOCATIONS}
{_JOIN}
type Query @join__type(graph: MAIN) {{
  public: String
  private: String {directive.split("(")[0]}
}}
"""


@pytest.mark.parametrize(
    ("link", "directive"),
    [
        (
            '@link(url: "https://specs.apollo.dev/authenticated/v0.1", as: "auth",'
            " for: SECURITY)",
            "@auth",
        ),
        (
            '@link(url: "https://specs.apollo.dev/authenticated/v0.1",'
            ' import: [{name: "@authenticated", as: "@signedIn"}], for: SECURITY)',
            "@signedIn",
        ),
    ],
)
def test_a_renamed_directive_is_found_by_its_link(link: str, directive: str) -> None:
    rules = authorization_rules(load_supergraph(_renamed(link, directive)))
    result = authorize_operation(rules, parse("{ public private }"), None, ANONYMOUS)
    assert result.removed == frozenset({"Query.private"})


def test_a_directive_of_an_unlinked_spec_means_nothing() -> None:
    sdl = _renamed("", "@authenticated")
    rules = authorization_rules(load_supergraph(sdl))
    assert rules.is_empty
    document = parse("{ public private }")
    assert authorize_operation(rules, document, None, ANONYMOUS).document is document


def test_a_requirement_on_the_root_type_applies_to_each_root_field() -> None:
    sdl = _renamed(
        '@link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)',
        "@authenticated",
    ).replace(
        "type Query @join__type(graph: MAIN)",
        "type Query @join__type(graph: MAIN) @authenticated",
    )
    rules = authorization_rules(load_supergraph(sdl))
    result = authorize_operation(
        rules,
        parse("{ __typename public ...Q } fragment Q on Query { private }"),
        None,
        ANONYMOUS,
    )
    assert result.document is not None
    assert print_ast(result.document) == _same("{ __typename }")
    assert _paths(result) == [["public"], ["private"]]


def test_a_malformed_scopes_argument_is_refused_when_the_rules_are_read() -> None:
    sdl = SHOP.replace('[["read:email"]]', '["read:email"]')
    with pytest.raises(SupergraphError, match=r"User\.email"):
        authorization_rules(load_supergraph(sdl))


# --- policies -------------------------------------------------------------------


def _identity(
    user: str = "u1",
    tenant: str | None = "t1",
    roles: frozenset[str] = frozenset(),
    scopes: frozenset[str] = frozenset(),
) -> Identity:
    return Identity(user, tenant, roles, scopes, 2_000_000_000, "Bearer x")


RULES = PolicyRules.parse(
    {
        "staff": {"roles": ["support_agent", "platform_admin"]},
        "auditor": {"scopes": ["audit:read"]},
        "owner": {"users": ["u9"], "tenants": ["t9"]},
        "nobody": {},
    }
)


def test_a_policy_is_granted_by_any_listed_role_scope_user_or_tenant() -> None:
    assert granted_policies(RULES, _identity(roles=frozenset({"platform_admin"}))) == {
        "staff"
    }
    assert granted_policies(RULES, _identity(scopes=frozenset({"audit:read"}))) == {
        "auditor"
    }
    assert granted_policies(RULES, _identity(user="u9")) == {"owner"}
    assert granted_policies(RULES, _identity(tenant="t9")) == {"owner"}
    assert granted_policies(RULES, _identity(tenant=None)) == frozenset()


def test_no_policy_is_granted_without_an_identity_or_a_rule() -> None:
    assert granted_policies(RULES, None) == frozenset()
    assert granted_policies(PolicyRules(), _identity()) == frozenset()
    assert RULES.rules["nobody"] == PolicyRule()


def test_caller_of_an_identity_carries_its_scopes_and_granted_policies() -> None:
    identity = _identity(roles=frozenset({"support_agent"}), scopes=frozenset({"s"}))
    assert grants_of(identity, RULES) == Grants(
        authenticated=True, scopes=frozenset({"s"}), policies=frozenset({"staff"})
    )
    assert grants_of(None, RULES) == Grants()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (["staff"], "authorization.policies: expected a mapping"),
        ({"staff": ["admin"]}, "authorization.policies.staff: expected a mapping"),
        ({"staff": {"role": ["a"]}}, "authorization.policies.staff.role: unknown"),
        ({"staff": {"roles": "a"}}, "authorization.policies.staff.roles: expected"),
        ({"staff": {"scopes": [1]}}, "authorization.policies.staff.scopes: expected"),
    ],
)
def test_malformed_policy_rules_are_refused_naming_the_key(
    raw: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        PolicyRules.parse(raw)
