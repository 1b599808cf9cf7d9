"""The document caches are bounded by the text they keep alive, not only by count."""

from __future__ import annotations

from graphql import build_schema

from gateway.request.documents import COMPACT_ABOVE, LRU, DocumentCache

SCHEMA = build_schema("type Query { me: String, you: String }")


def test_a_weighted_lru_keeps_to_its_budget_and_refuses_what_alone_exceeds_it() -> None:
    cache: LRU[str, str] = LRU(100, max_weight=10)
    for key in "abcdef":
        cache.put(key, key, 3)
    assert len(cache) == 3
    assert cache.weight == 9
    assert cache.get("a") is None
    assert cache.get("f") == "f"
    cache.put("huge", "huge", 11)
    assert cache.get("huge") is None
    cache.put("f", "f", 1)  # put again: its old weight is given back
    assert cache.weight == 7


def test_padded_texts_cannot_make_the_cache_hold_more_than_its_budget() -> None:
    # A hostile client pads distinct valid documents up to the body limit.
    budget = 2 * 1024 * 1024
    documents = DocumentCache(SCHEMA, size=1024, max_text_bytes=budget)
    padding = " " * (256 * 1024)
    for n in range(40):
        parsed = documents.parse(f"{{ a{n}: me }}{padding}", max_tokens=None)
        documents.canonical(parsed)
        assert documents.validate(parsed, introspection=False, suggestions=False) == ()
    assert documents._texts.weight <= budget
    assert len(documents._texts) == budget // (256 * 1024 + 12)


def test_the_shared_document_of_a_long_text_keeps_no_padding() -> None:
    documents = DocumentCache(SCHEMA)
    text = "{ me } # " + "x" * (COMPACT_ABOVE * 2)
    parsed = documents.parse(text, max_tokens=None)
    shared = documents.canonical(parsed)
    assert shared.loc is not None
    assert len(shared.loc.source.body) < 100
    # Another spelling of the same document gets the same shared one.
    again = documents.parse("{me}", max_tokens=None)
    assert documents.canonical(again) is shared
