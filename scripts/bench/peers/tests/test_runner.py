"""The runner drives wrk, checks the supergraph, exports Agora and runs end to end."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest
from fixture_data import load_operations
from runner import (
    HERE,
    SUPERGRAPH,
    BenchAborted,
    LoadSettings,
    check_operation,
    compose_supergraph,
    export_gateway,
    get_json,
    hold_run_lock,
    port_is_open,
    run_wrk,
)

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk missing: apt-get install wrk"
)
def test_wrk_cycles_through_every_body_and_reports_its_figures(
    tmp_path: Path, port_base: int
) -> None:
    base = port_base
    server = subprocess.Popen(
        [sys.executable, str(HERE / "fixture_server.py"), "--port-base", str(base)],
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not port_is_open(base + 2):
            assert server.poll() is None, "the fixture server exited"
            assert time.monotonic() < deadline, "the fixture server did not start"
            time.sleep(0.1)
        bodies = tmp_path / "bodies.jsonl"
        bodies.write_text(
            '{"query": "{ me { id } }"}\n{"query": "{ me { name } }"}\n'
            '{"query": "{ me { username } }"}\n'
        )
        figures = run_wrk(
            f"http://127.0.0.1:{base + 2}/graphql",
            bodies,
            1,
            LoadSettings(duration=1, warmup=0, connections=4, threads=2),
        )
        assert figures["requests"] > 0
        assert figures["errors_status"] == figures["errors_connect"] == 0
        assert 0 < figures["latency_p50_us"] <= figures["latency_p99_us"]
        stats = get_json(f"http://127.0.0.1:{base + 2}/stats")
        assert stats["misses"] == 3
        # wrk counts the requests that completed inside its window; up to one per
        # connection was still in flight when it stopped.
        served = stats["hits"] + stats["misses"]
        assert figures["requests"] <= served <= figures["requests"] + 4
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=10)


@pytest.mark.skipif(
    not (HERE / "node_modules" / "@apollo" / "composition").exists(),
    reason="Node peers not installed: scripts/bench/peers/run installs them (npm ci)",
)
def test_the_checked_in_supergraph_is_what_the_reference_composer_produces(
    tmp_path: Path,
) -> None:
    fresh = tmp_path / "supergraph.graphql"
    compose_supergraph(fresh)
    assert fresh.read_text() == SUPERGRAPH.read_text()


def test_every_operation_has_an_expected_answer_per_variant() -> None:
    for operation in load_operations().values():
        assert len(operation.variants) == len(operation.expected) >= 1


@pytest.mark.skipif(
    shutil.which("wrk") is None
    or not (HERE / "node_modules" / "@apollo" / "gateway").exists(),
    reason="needs wrk and the Node peers (scripts/bench/peers/run installs them)",
)
def test_a_short_run_checks_measures_and_reports_a_peer(tmp_path: Path) -> None:
    output = tmp_path / "figures.json"
    completed = subprocess.run(
        [str(HERE / "run"), "--only", "apollo", "--operation", "small",
         "--duration", "1", "--warmup", "1", "--output", str(output)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    report = json.loads(output.read_text())
    result = report["results"]["operations"]["small"]["results"]["apollo"]
    assert result["check"] == {"ok": True, "variants": 1}
    assert result["check_after"]["ok"]
    assert result["rps"] > 0
    assert result["errors"] == 0
    assert result["peak_rss_mib"] > 0
    assert report["versions"]["@apollo/gateway"] == "2.14.4"
    assert "apollo   ok" in completed.stdout
    assert not any(port_is_open(port) for port in (43101, 43102, 43103, 43202))


def test_export_gateway_writes_the_committed_package(tmp_path: Path) -> None:
    into = export_gateway("HEAD", tmp_path / "agora")
    assert (into / "gateway" / "__init__.py").is_file()
    assert not (into / "subgraphs").exists()


def test_export_gateway_refuses_an_unknown_revision(tmp_path: Path) -> None:
    with pytest.raises(BenchAborted, match="cannot export gateway/ at no-such-rev"):
        export_gateway("no-such-rev", tmp_path / "agora")


def test_a_gateway_that_does_not_answer_is_judged_wrong_not_fatal(
    port_base: int,
) -> None:
    operation = load_operations()["small"]
    verdict = check_operation(f"http://127.0.0.1:{port_base}/graphql", operation)
    assert verdict["ok"] is False
    assert verdict["problem"].startswith("no answer: ")
    assert verdict["variables"] == {}


def test_a_second_run_is_refused_while_the_first_holds_the_lock(
    tmp_path: Path,
) -> None:
    path = tmp_path / "run.lock"
    first = hold_run_lock(path)
    with pytest.raises(BenchAborted, match=rf"another bench run \(pid {os.getpid()}\)"):
        hold_run_lock(path)
    first.close()
    hold_run_lock(path).close()
