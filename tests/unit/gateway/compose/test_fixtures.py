"""Our composer agrees with @apollo/composition on every fixture of
tests/fixtures/composition (reference outputs made by scripts/fixtures)."""

from __future__ import annotations

import functools

import pytest
from graphql import lexicographic_sort_schema, print_schema

from gateway.compose import CompositionResult, compose
from gateway.supergraph import load_supergraph

from ._cases import CompositionCase, all_cases
from ._normalize import normalize_supergraph

CASES = all_cases()
COMPOSING = [c for c in CASES if c.supergraph_sdl is not None]
FAILING = [c for c in CASES if c.supergraph_sdl is None]
# Hints we emit; a reference hint with one of these codes must be ours too.
SUPPORTED_HINTS = frozenset(
    {
        "FROM_SUBGRAPH_DOES_NOT_EXIST",
        "INCONSISTENT_ARGUMENT_PRESENCE",
        "INCONSISTENT_BUT_COMPATIBLE_ARGUMENT_TYPE",
        "INCONSISTENT_BUT_COMPATIBLE_FIELD_TYPE",
        "INCONSISTENT_DEFAULT_VALUE_PRESENCE",
        "INCONSISTENT_DESCRIPTION",
        "INCONSISTENT_EXECUTABLE_DIRECTIVE_LOCATIONS",
        "INCONSISTENT_EXECUTABLE_DIRECTIVE_PRESENCE",
        "INCONSISTENT_EXECUTABLE_DIRECTIVE_REPEATABLE",
        "INCONSISTENT_ENUM_VALUE_FOR_INPUT_ENUM",
        "INCONSISTENT_ENUM_VALUE_FOR_OUTPUT_ENUM",
        "INCONSISTENT_INPUT_OBJECT_FIELD",
        "INCONSISTENT_UNION_MEMBER",
        "NO_EXECUTABLE_DIRECTIVE_INTERSECTION",
        "OVERRIDDEN_FIELD_CAN_BE_REMOVED",
        "OVERRIDE_DIRECTIVE_CAN_BE_REMOVED",
        "OVERRIDE_MIGRATION_IN_PROGRESS",
        "UNUSED_ENUM_TYPE",
    }
)


@functools.cache
def _composed(name: str) -> CompositionResult:
    # Each case is composed once and asserted on by several tests.
    return compose(next(c for c in CASES if c.name == name).subgraphs)


def _api_schema(sdl: str) -> str:
    return print_schema(lexicographic_sort_schema(load_supergraph(sdl).api_schema))


def test_there_are_at_least_25_fixtures_and_some_of_each_outcome() -> None:
    assert len(CASES) >= 25
    assert len(COMPOSING) >= 20
    assert len(FAILING) >= 7


@pytest.mark.parametrize("case", COMPOSING, ids=lambda c: c.name)
def test_supergraph_matches_the_reference_definition_by_definition(
    case: CompositionCase,
) -> None:
    result = _composed(case.name)
    assert result.errors == ()
    assert result.supergraph_sdl is not None
    assert case.supergraph_sdl is not None
    ours = normalize_supergraph(result.supergraph_sdl)
    theirs = normalize_supergraph(case.supergraph_sdl)
    assert sorted(ours) == sorted(theirs)
    for name in theirs:
        assert (name, ours[name]) == (name, theirs[name])


@pytest.mark.parametrize("case", COMPOSING, ids=lambda c: c.name)
def test_api_schema_matches_the_reference(case: CompositionCase) -> None:
    result = _composed(case.name)
    assert result.supergraph_sdl is not None
    assert case.supergraph_sdl is not None
    assert _api_schema(result.supergraph_sdl) == _api_schema(case.supergraph_sdl)


@pytest.mark.parametrize("case", FAILING, ids=lambda c: c.name)
def test_errors_match_the_reference_code_and_message(case: CompositionCase) -> None:
    result = _composed(case.name)
    assert result.supergraph_sdl is None
    assert [(e.code, e.message) for e in result.errors] == list(case.errors)


# The reference reports hints only when composition succeeds.
@pytest.mark.parametrize("case", COMPOSING, ids=lambda c: c.name)
def test_supported_hints_match_the_reference(case: CompositionCase) -> None:
    result = _composed(case.name)
    ours = sorted((h.code, h.message) for h in result.hints)
    theirs = sorted(h for h in case.hints if h[0] in SUPPORTED_HINTS)
    assert ours == theirs


@pytest.mark.parametrize(
    "usage",
    [
        "@key(",
        'fields: "sku variation { id }"',
        "resolvable: false",
        "@shareable",
        "@external",
        "@requires(",
        "@provides(",
        "@override(",
        'label: "percent(',
        "@inaccessible",
        "@tag(",
        "@interfaceObject",
        "@composeDirective(",
        "@authenticated",
        "@requiresScopes(",
        "@policy(",
        "@cost(",
        "@listSize(",
    ],
)
def test_every_feature_of_issue_3_is_composed_by_some_fixture(usage: str) -> None:
    assert any(usage in s.sdl for c in COMPOSING for s in c.subgraphs)


def test_federation_1_subgraphs_are_among_the_composed_fixtures() -> None:
    assert any("@link" not in s.sdl for c in COMPOSING for s in c.subgraphs)
