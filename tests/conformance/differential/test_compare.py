"""Answers are judged on data and whether there are errors; crashed references
are left out of the verdict."""

from __future__ import annotations

from .compare import Answer, Verdict, judge

A = Answer({"x": 1}, errors=False)
B = Answer({"x": 2}, errors=False)
CRASHED = Answer(None, errors=True, crashed=True)


def test_agora_agreeing_with_every_reference_agrees() -> None:
    assert judge(A, {"apollo": A, "hive": A}) is Verdict.AGREE


def test_agora_differing_from_references_that_agree_is_a_finding() -> None:
    assert judge(B, {"apollo": A, "hive": A}) is Verdict.AGORA_DIFFERS


def test_references_that_disagree_judge_nothing() -> None:
    assert judge(A, {"apollo": A, "hive": B}) is Verdict.REFERENCES_DIFFER


def test_a_crashed_reference_leaves_the_other_alone_to_judge() -> None:
    assert judge(A, {"apollo": CRASHED, "hive": A}) is Verdict.AGREE
    assert judge(B, {"apollo": CRASHED, "hive": A}) is Verdict.SOLE_REFERENCE_DIFFERS
    assert judge(A, {"apollo": CRASHED, "hive": CRASHED}) is Verdict.NO_REFERENCE


def test_value_completion_errors_of_apollo_server_count_as_errors() -> None:
    response = {"data": {"x": None}, "extensions": {"valueCompletion": [{}]}}
    assert Answer.of(response) == Answer({"x": None}, errors=True)


def test_a_javascript_type_error_in_a_reference_is_a_crash() -> None:
    response = {
        "data": {"x": None},
        "errors": [{"message": "Cannot set properties of undefined (setting 'a')"}],
    }
    assert Answer.of(response).crashed
    assert Answer.of({"error": "unsupported feature"}).crashed
