"""Judging a gateway's answer against the expected JSON: values and field order."""

from __future__ import annotations

import json
from typing import Any

JSON = Any


def first_difference(expected: JSON, actual: JSON, path: str = "$") -> str | None:
    """Where actual first differs from expected (values and object key order)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in expected:
            if key not in actual:
                return f"{path}: missing key {key!r}"
        for key in actual:
            if key not in expected:
                return f"{path}: unexpected key {key!r} = {_clip(actual[key])}"
        for key in expected:
            difference = first_difference(expected[key], actual[key], f"{path}.{key}")
            if difference:
                return difference
        if list(expected) != list(actual):
            return f"{path}: keys in order {list(actual)}, expected {list(expected)}"
        return None
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return f"{path}: {len(actual)} items, expected {len(expected)}"
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            difference = first_difference(want, got, f"{path}[{index}]")
            if difference:
                return difference
        return None
    if type(expected) is not type(actual) or expected != actual:
        return f"{path}: got {_clip(actual)}, expected {_clip(expected)}"
    return None


def _clip(value: JSON, limit: int = 200) -> str:
    text = json.dumps(value)
    return text if len(text) <= limit else text[:limit] + "..."


def check_response(status: int, raw: bytes, expected: JSON) -> dict[str, JSON]:
    """The verdict on one response: ok, and if not, why and what came back."""
    try:
        actual = json.loads(raw)
    except ValueError:
        actual = None
        problem: str | None = "response is not JSON"
    else:
        problem = first_difference(expected, actual)
    if status != 200:
        problem = f"HTTP {status}" + (f"; {problem}" if problem else "")
    verdict: dict[str, JSON] = {"ok": problem is None}
    if problem is not None:
        verdict["problem"] = problem
        verdict["returned"] = raw[:4000].decode(errors="replace")
    return verdict
