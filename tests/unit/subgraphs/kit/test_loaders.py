"""BatchKeys: keys parsed once, rows put back in key order with errors in the gaps."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from subgraphs.kit.errors import NotFound
from subgraphs.kit.loaders import BatchKeys, parse_uuids

A = uuid.UUID("7d3c0a2e-0000-4000-8000-000000000001")
B = uuid.UUID("7d3c0a2e-0000-4000-8000-000000000002")


@dataclass
class Row:
    pk: uuid.UUID
    owner_id: uuid.UUID | str


def test_parse_uuids_keeps_only_valid_uuids() -> None:
    assert parse_uuids([str(A), "nope", ""]) == {str(A): A}


def test_one_each_follows_key_order_with_a_miss_for_unknown_or_malformed_keys() -> None:
    batch = BatchKeys.of([str(B), "nope", str(A), str(B)])
    rows = [Row(A, A), Row(B, B)]
    found = batch.one_each(rows, lambda key: NotFound("Row", key))
    assert found[0] is rows[1]
    assert found[2] is rows[0]
    assert found[3] is rows[1]
    assert isinstance(found[1], NotFound)
    assert sorted(batch.ids) == sorted([A, B])


def test_a_batch_of_malformed_keys_is_false_so_no_sql_is_needed() -> None:
    assert not BatchKeys.of(["x", "y"])
    assert BatchKeys.of([str(A)])


def test_grouped_matches_a_column_even_when_it_comes_back_as_text() -> None:
    batch = BatchKeys.of([str(A), str(B), "bad"])
    rows = [Row(B, str(A)), Row(A, A)]
    assert batch.grouped(rows, "owner_id") == [[rows[0], rows[1]], [], []]
