"""Compose an audit suite's subgraphs with the reference composer (@apollo/composition,
via scripts/fixtures/compose-fixtures.mjs) into supergraphs/<suite>.graphql, for the
suites our composer rejects or composes differently.

    .venv/bin/python -m tests.conformance.audit.compose_reference test_<suite>
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPT = HERE.parents[2] / "scripts" / "fixtures" / "compose-fixtures.mjs"


def compose_reference(module: str) -> Path:
    """Write supergraphs/<module>.graphql from the module's `SDLS`; raise on errors."""
    sdls: dict[str, str] = importlib.import_module(
        f"tests.conformance.audit.{module}"
    ).SDLS
    with tempfile.TemporaryDirectory() as root:
        case = Path(root) / module
        case.mkdir()
        manifest = [
            {"name": n, "url": f"http://{n}.audit/graphql", "file": f"{n}.graphql"}
            for n in sdls
        ]
        (case / "manifest.json").write_text(json.dumps({"subgraphs": manifest}))
        for name, sdl in sdls.items():
            (case / f"{name}.graphql").write_text(sdl)
        subprocess.run(
            ["node", str(SCRIPT), module],
            check=True,
            cwd=SCRIPT.parent,
            env={**os.environ, "FIXTURES_ROOT": root},
            capture_output=True,
        )
        produced = case / "supergraph.graphql"
        if not produced.exists():
            raise RuntimeError((case / "errors.json").read_text())
        target = HERE / "supergraphs" / f"{module}.graphql"
        target.write_text(produced.read_text())
    return target


if __name__ == "__main__":
    for name in sys.argv[1:]:
        compose_reference(name)
