"""An answer is judged on values and field order; the first difference is named."""

from __future__ import annotations

import json

from correctness import check_response, first_difference


def test_first_difference_is_none_for_equal_answers() -> None:
    answer = {"data": {"a": [1, {"b": None}], "c": "x"}}
    assert first_difference(answer, json.loads(json.dumps(answer))) is None


def test_first_difference_names_the_path_of_a_wrong_value() -> None:
    expected = {"data": {"items": [{"id": "1"}, {"id": "2"}]}}
    actual = {"data": {"items": [{"id": "1"}, {"id": 2}]}}
    assert first_difference(expected, actual) == (
        '$.data.items[1].id: got 2, expected "2"'
    )


def test_first_difference_reports_missing_and_unexpected_keys() -> None:
    assert first_difference({"data": {"a": 1}}, {"errors": []}) == (
        "$: missing key 'data'"
    )
    assert first_difference({"data": None}, {"data": None, "errors": [{}]}) == (
        "$: unexpected key 'errors' = [{}]"
    )


def test_first_difference_reports_fields_out_of_selection_order() -> None:
    assert first_difference({"a": 1, "b": 2}, {"b": 2, "a": 1}) == (
        "$: keys in order ['b', 'a'], expected ['a', 'b']"
    )


def test_first_difference_reports_a_list_of_another_length() -> None:
    assert first_difference([1, 2, 3], [1, 2]) == "$: 2 items, expected 3"


def test_check_response_keeps_what_a_wrong_gateway_returned() -> None:
    verdict = check_response(500, b"<html>oops</html>", {"data": {}})
    assert verdict == {
        "ok": False,
        "problem": "HTTP 500; response is not JSON",
        "returned": "<html>oops</html>",
    }


def test_check_response_accepts_the_expected_json() -> None:
    assert check_response(200, b'{"data": {"me": null}}', {"data": {"me": None}}) == {
        "ok": True
    }
