"""py-spy's collapsed stacks are read into own and cumulative tables."""

from __future__ import annotations

from profile_gateway import parse_collapsed, top_entries

LOOP = "<module> (uvicorn/main.py:1);run (asyncio/runners.py:86)"
SERVE = "serve (/tmp/agora/gateway/server/app.py:10)"
MERGE = "merge (/tmp/agora/gateway/execution/merge.py:40)"
RAW = (
    f"{LOOP};{SERVE};dumps (/venv/site-packages/orjson/__init__.py:1) 6\n"
    f"{LOOP};{SERVE};{MERGE};{MERGE} 3\n"
    f"{LOOP};plan (/tmp/agora/gateway/planner/plan.py:5) 1\n"
    "not a stack line\n"
)


def test_collapsed_lines_become_stacks_with_their_counts() -> None:
    stacks = parse_collapsed(RAW)
    assert [count for _, count in stacks] == [6, 3, 1]
    assert stacks[2][0][-1] == "plan (/tmp/agora/gateway/planner/plan.py:5)"


def test_own_counts_leaves_and_cumulative_counts_each_function_once_per_stack() -> None:
    own, cumulative, samples = top_entries(parse_collapsed(RAW), top=2)
    assert samples == 10
    assert own == [
        {"function": "dumps (orjson/__init__.py:1)", "percent": 60.0},
        {"function": "merge (execution/merge.py:40)", "percent": 30.0},
    ]
    # Only the gateway's own code; a recursive function counts once.
    assert cumulative == [
        {"function": "serve (server/app.py:10)", "percent": 90.0},
        {"function": "merge (execution/merge.py:40)", "percent": 30.0},
    ]
