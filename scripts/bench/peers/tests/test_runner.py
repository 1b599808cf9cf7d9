"""The runner judges answers, drives wrk, sums up windows and cleans up after itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fixture_data import load_operations
from runner import (
    HERE,
    SUPERGRAPH,
    BenchAborted,
    LoadSettings,
    Processes,
    check_operation,
    check_response,
    compose_supergraph,
    export_gateway,
    first_difference,
    get_json,
    median_window,
    port_is_open,
    ratios,
    render_table,
    run_wrk,
)


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


def window(rps: float, p50: float, rss: float) -> dict[str, object]:
    return {
        "rps": rps,
        "p50_ms": p50,
        "p90_ms": p50 * 2,
        "p99_ms": p50 * 4,
        "gateway_cpu_percent": 90.0,
        "requests_per_cpu_second": rps / 0.9,
        "subgraphs_cpu_percent": 5.0,
        "subgraph_requests_per_operation": 3.0,
        "requests": int(rps * 10),
        "errors": 0,
        "peak_rss_mib": rss,
        "subgraph_cache_misses": 0,
    }


def test_median_window_takes_the_median_of_rounds_and_the_highest_rss() -> None:
    summary = median_window(
        [window(100, 10, 50), window(300, 30, 70), window(200, 20, 60)]
    )
    assert (summary["rps"], summary["p50_ms"], summary["peak_rss_mib"]) == (
        200,
        20,
        70,
    )
    assert summary["requests"] == 6000


def test_ratios_divide_agora_by_each_measured_peer() -> None:
    results = {
        "agora": median_window([window(300, 10, 100)]),
        "apollo": median_window([window(100, 40, 200)]),
        "hive": {"check": {"ok": False, "problem": "x", "returned": ""}},
    }
    assert ratios(results) == {
        "apollo": {
            "rps": 3.0,
            "requests_per_cpu_second": 3.0,
            "p50_ms": 0.25,
            "p99_ms": 0.25,
            "peak_rss_mib": 0.5,
        }
    }


def test_render_table_shows_what_a_wrong_gateway_returned() -> None:
    report = {
        "started_at": "2026-01-01T00:00:00Z",
        "settings": {
            "connections": 32,
            "threads": 2,
            "warmup": 3.0,
            "duration": 10.0,
            "rounds": 1,
        },
        "machine": {"loadavg_before": "0.1 0.1 0.1", "cpus": 2},
        "results": {
            "gateways": {
                "agora": {"status": "ran", "log": "agora.log"},
                "hive": {
                    "status": "did not start: exited with code 1",
                    "log_tail": "Traceback\nImportError: boom",
                    "log": "hive.log",
                },
            },
            "operations": {
                "small": {
                    "description": "one field",
                    "results": {
                        "agora": {
                            "check": {
                                "ok": False,
                                "problem": "$.data.me: got null",
                                "returned": '{"data":{"me":null}}',
                            }
                        }
                    },
                    "ratios": {},
                }
            },
        },
    }
    table = render_table(report)
    assert "  agora    WRONG  $.data.me: got null" in table
    assert '    returned: {"data":{"me":null}}' in table
    assert "    last log line: ImportError: boom" in table
    assert "no ratios: agora was not measured" in table


def test_stopping_a_process_ends_its_children_too(tmp_path: Path) -> None:
    processes = Processes()
    child_pid_file = tmp_path / "child.pid"
    leader = processes.start(
        ("bash", "-c", f"sleep 60 & echo $! > {child_pid_file}; wait"),
        tmp_path,
        tmp_path / "log.txt",
    )
    deadline = time.monotonic() + 10
    while not child_pid_file.exists() or not child_pid_file.read_text().strip():
        assert time.monotonic() < deadline, "the child never started"
        time.sleep(0.05)
    child = int(child_pid_file.read_text())
    processes.stop_all()
    assert leader.poll() is not None
    assert processes.running == []
    deadline = time.monotonic() + 10
    while _alive(child):
        assert time.monotonic() < deadline, f"child {child} outlived its group"
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


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
