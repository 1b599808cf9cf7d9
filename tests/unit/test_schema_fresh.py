"""schema/ is what scripts/compose makes of the subgraphs that exist today."""

from __future__ import annotations

import subprocess
from pathlib import Path

from gateway.compose import load_supergraph_config
from gateway.compose.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_schema_folder_matches_a_fresh_run_of_scripts_compose(tmp_path: Path) -> None:
    run = subprocess.run(
        [str(ROOT / "scripts" / "compose"), "--schema-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    configs = load_supergraph_config(ROOT / "supergraph.yaml")
    # Only the files scripts/compose owns: one per configured subgraph, the supergraph.
    names = [f"{c.name}.graphql" for c in configs] + ["supergraph.graphql"]
    fresh = {n: (tmp_path / n).read_text() for n in names if (tmp_path / n).exists()}
    checked_in = {
        n: (ROOT / "schema" / n).read_text()
        for n in names
        if (ROOT / "schema" / n).exists()
    }
    # With no subgraph yet both are empty: nothing generated, nothing may be checked in.
    stale = sorted(
        n for n in set(fresh) | set(checked_in) if fresh.get(n) != checked_in.get(n)
    )
    assert stale == [], f"schema/ is stale ({', '.join(stale)}): run scripts/compose"


def test_python_dash_m_gateway_compose_check_passes_on_the_repository() -> None:
    argv = ["--config", str(ROOT / "supergraph.yaml")]
    argv += ["--out", str(ROOT / "schema" / "supergraph.graphql"), "--check"]
    assert main(argv) == 0
