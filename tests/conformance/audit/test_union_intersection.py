"""Audit suite `union-intersection`: unions with different members in two
subgraphs (Book | Song here, Book | Movie there) behind shareable fields; a
fragment on a member one subgraph never returns selects nothing. The audit's
subgraph `a` is not in our copy and is reconstructed (Song, `viewer.song`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.conformance.audit.conftest import Case, link, run_case
from tests.conformance.harness import Subgraph

if TYPE_CHECKING:
    from tests.conformance.harness import GatewayFactory

SDLS = {
    "a": link("2.3", "@shareable")
    + """
type Query { media: Media @shareable book: Media @shareable viewer: Viewer @shareable }
union Media = Book | Song
union ViewerMedia = Book | Song
type Song { title: String! @shareable }
type Book { title: String! @shareable }
type Viewer {
  media: ViewerMedia @shareable book: ViewerMedia @shareable song: ViewerMedia
}
""",
    "b": link("2.3", "@shareable")
    + """
type Query { media: Media @shareable book: Media @shareable viewer: Viewer @shareable }
union Media = Book | Movie
union ViewerMedia = Book | Movie
type Movie { title: String! @shareable }
type Book { title: String! @shareable }
type Viewer { media: ViewerMedia @shareable book: ViewerMedia @shareable }
""",
}

BOOK = {"__typename": "Book", "title": "The Lord of the Rings"}
SONG = {"__typename": "Song", "title": "Song Title"}


def subgraphs() -> dict[str, Subgraph]:
    return {
        "a": Subgraph(
            SDLS["a"],
            query={
                "media": BOOK,
                "book": BOOK,
                "viewer": {"media": BOOK, "book": BOOK, "song": SONG},
            },
        ),
        "b": Subgraph(
            SDLS["b"],
            query={
                "media": BOOK,
                "book": BOOK,
                "viewer": {"media": BOOK, "book": BOOK},
            },
        ),
    }


ALL_MEMBERS = (
    "{ __typename ... on Song { title } ... on Movie { title } ... on Book { title } }"
)
TITLE = {"title": "The Lord of the Rings"}
CASES: list[Case] = [
    (
        "a fragment on the other member selects nothing",
        "{ media { ... on Movie { title } } }",
        {"data": {"media": {}}},
    ),
    (
        "a fragment on the member returned",
        "{ media { ... on Book { title } } }",
        {"data": {"media": TITLE}},
    ),
    (
        "fragments on both members",
        "{ media { ... on Book { title } ... on Movie { title } } }",
        {"data": {"media": TITLE}},
    ),
    (
        "members known to one subgraph each, and a field only one resolves",
        f"{{ viewer {{ media {ALL_MEMBERS} book {ALL_MEMBERS} song {ALL_MEMBERS} }} }}",
        {
            "data": {
                "viewer": {
                    "media": {"__typename": "Book", **TITLE},
                    "book": {"__typename": "Book", **TITLE},
                    "song": {"__typename": "Song", "title": "Song Title"},
                }
            }
        },
    ),
    (
        "a nested fragment on the other member selects nothing",
        "{ viewer { media { ... on Movie { title } } } }",
        {"data": {"viewer": {"media": {}}}},
    ),
    (
        "a nested fragment on the member returned",
        "{ viewer { media { ... on Book { title } } } }",
        {"data": {"viewer": {"media": TITLE}}},
    ),
    (
        "nested fragments on both members",
        "{ viewer { media { ... on Book { title } ... on Movie { title } } } }",
        {"data": {"viewer": {"media": TITLE}}},
    ),
]


@pytest.mark.parametrize(
    ("query", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_union_intersection(
    gateway: GatewayFactory, query: str, expected: dict[str, Any]
) -> None:
    assert await run_case(gateway, SDLS, subgraphs, query) == expected
