"""The kit's request checks: unstorable text anywhere, root mutation fields counted."""

from __future__ import annotations

from graphql import parse

from subgraphs.kit.input import count_root_mutation_fields, find_unstorable_text


def test_root_mutation_fields_count_aliases_and_fragments_once_each() -> None:
    document = parse(
        """
        mutation A { a: ping b: ping ...F ... on Mutation { c: ping ...F } }
        mutation B { one: ping }
        query Q { x y z w v }
        fragment F on Mutation { d: ping e: ping }
        """
    )
    # A: a, b, d, e, c, and F spread twice is still its two fields once.
    assert count_root_mutation_fields(document) == 5


def test_a_query_has_no_root_mutation_fields() -> None:
    assert count_root_mutation_fields(parse("{ a b c }")) == 0


def test_nul_and_lone_surrogates_are_found_in_variables_at_any_depth() -> None:
    deep: object = "fine"
    for _ in range(5000):  # deeper than Python's recursion limit
        deep = [{"key": deep}]
    assert find_unstorable_text(None, {"input": deep}) is None
    assert find_unstorable_text(None, {"input": [{"k": "a\x00b"}]}) == "variable $input"
    assert find_unstorable_text(None, {"t": "\ud800"}) == "variable $t"
    assert find_unstorable_text(None, {"\x00": 1}) is None  # names are not stored
    assert find_unstorable_text(None, {"t": {"a\x00": 1}}) == "variable $t"


def test_escaped_nul_in_a_string_literal_is_found() -> None:
    document = parse('mutation { send(text: "a\\u0000b") }')
    assert find_unstorable_text(document, {}) == "a string literal"
    assert find_unstorable_text(parse('{ f(text: "fine") }'), None) is None


def test_a_document_is_walked_only_when_its_source_has_an_escape() -> None:
    # No escape, NUL or surrogate in the source: no literal can hold one.
    assert find_unstorable_text(parse('mutation { send(text: "café") }'), {}) is None
    # Escapes of storable characters: walked, and fine.
    document = parse('mutation { send(text: "caf\\u00e9 \\u{1F600}") }')
    assert find_unstorable_text(document, {}) is None
    # An escaped NUL (the lexer refuses a raw one, and any lone surrogate), in
    # either form, with or without locations kept.
    for nul in ('{ a(t: "x\\u0000") }', '{ a(t: "\\u{0}") }'):
        assert find_unstorable_text(parse(nul), {}) == "a string literal"
        found = find_unstorable_text(parse(nul, no_location=True), {})
        assert found == "a string literal"
