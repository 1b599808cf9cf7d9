"""The fast representation reader gives what build_representation gives, and a
de-duplication key equal exactly when the representations are."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from gateway.execution.representations import (
    build_representation,
    representation_reader,
)
from gateway.planner.plan import FieldSelection, InlineFragmentSelection

if TYPE_CHECKING:
    from gateway.types import JSONObject

REQUIRES = (
    InlineFragmentSelection(
        "User", (FieldSelection("__typename"), FieldSelection("id"))
    ),
    InlineFragmentSelection(
        "Product",
        (FieldSelection("__typename"), FieldSelection("upc"), FieldSelection("w")),
    ),
)


@pytest.mark.parametrize(
    "value",
    [
        {"__typename": "User", "id": "1", "name": "Ada"},
        {"__typename": "User", "id": 1},
        {"__typename": "User", "id": None},
        {"__typename": "User"},
        {"__typename": "Product", "upc": "p", "w": 3},
        {"__typename": "Product", "upc": "p", "w": [1, {"a": 1}]},
        {"__typename": "Product", "upc": "p"},
        {"__typename": "Review", "id": "1"},
        {"__typename": {"not": "a name"}, "id": "1"},
        {"id": "1"},
    ],
)
def test_the_reader_reads_what_build_representation_builds(value: JSONObject) -> None:
    reader = representation_reader(REQUIRES)
    assert reader is not None
    read = reader(value)
    expected = build_representation(value, REQUIRES)
    assert (read[0] if read is not None else None) == expected


def test_keys_are_equal_exactly_when_representations_are() -> None:
    reader = representation_reader(REQUIRES)
    assert reader is not None
    values: list[JSONObject] = [
        {"__typename": "User", "id": "1"},
        {"__typename": "User", "id": "1", "other": 2},
        {"__typename": "User", "id": "2"},
        {"__typename": "Product", "upc": "1", "w": "1"},
        {"__typename": "Product", "upc": "1", "w": 1},
        {"__typename": "Product", "upc": "1", "w": True},
        {"__typename": "Product", "upc": "1", "w": 1.0},
    ]
    read = [reader(value) for value in values]
    for first in read:
        for second in read:
            assert first is not None
            assert second is not None
            assert (first[1] == second[1]) == (
                first[0] == second[0]
                and (
                    [type(v) for v in first[0].values()]
                    == [type(v) for v in second[0].values()]
                )
            )


def test_other_shapes_take_the_general_path() -> None:
    nested = (
        InlineFragmentSelection(
            "User", (FieldSelection("org", (FieldSelection("id"),)),)
        ),
    )
    untyped = (InlineFragmentSelection(None, (FieldSelection("id"),)),)
    bare = (FieldSelection("id"),)
    assert representation_reader(nested) is None
    assert representation_reader(untyped) is None
    assert representation_reader(bare) is None
