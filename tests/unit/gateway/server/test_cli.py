"""`python -m gateway`: plan prints the plan, compose is dispatched, errors exit 1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from graphql import parse

from gateway.__main__ import main
from gateway.planner import plan_operation
from gateway.supergraph import load_supergraph

if TYPE_CHECKING:
    import pytest

ROOT = Path(__file__).resolve().parents[4]
FIXTURE = ROOT / "tests" / "fixtures" / "composition" / "entity_across_subgraphs"


def test_plan_prints_the_plan_of_the_query_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    query = "query Me { me { name reviews { body } } }"
    (tmp_path / "q.graphql").write_text(query)
    code = main(
        [
            "plan",
            "--supergraph",
            str(FIXTURE / "supergraph.graphql"),
            "--query",
            str(tmp_path / "q.graphql"),
            "--operation-name",
            "Me",
        ]
    )
    supergraph = load_supergraph((FIXTURE / "supergraph.graphql").read_text())
    expected = str(plan_operation(supergraph, parse(query), "Me"))
    assert code == 0
    assert capsys.readouterr().out == expected + "\n"
    assert expected.startswith("QueryPlan {\n  Sequence {")


def test_plan_of_an_invalid_query_exits_1_with_the_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "q.graphql").write_text("{ me { zzz } }")
    code = main(
        [
            "plan",
            "--supergraph",
            str(FIXTURE / "supergraph.graphql"),
            "--query",
            str(tmp_path / "q.graphql"),
        ]
    )
    assert code == 1
    assert capsys.readouterr().err == "Cannot query field 'zzz' on type 'User'.\n"


def test_missing_supergraph_file_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["serve", "--supergraph", str(tmp_path / "missing.graphql")])
    assert code == 1
    assert "cannot read supergraph" in capsys.readouterr().err


def test_compose_is_dispatched_to_the_composer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["compose", "--help"]) == 0
    assert "python -m gateway compose" in capsys.readouterr().out


def test_module_runs_as_a_program() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0
    assert "serve" in result.stdout
    assert "plan" in result.stdout
