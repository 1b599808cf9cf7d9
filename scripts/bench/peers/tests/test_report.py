"""Windows are summed up by their medians, and Agora is divided by each peer."""

from __future__ import annotations

from report import goal_ratios, median_window, ratios, render_table, variant_ratios


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
        "subgraph_identified_share": 1.0,
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
    assert summary["rps_spread_percent"] == 100.0


def test_ratios_divide_agora_by_each_measured_peer() -> None:
    results = {
        "agora": median_window([window(300, 10, 100)]),
        "apollo": median_window([window(100, 40, 200)]),
        "hive": {"check": {"ok": False, "problem": "x", "returned": ""}},
    }
    assert ratios(results) == {
        "agora/apollo": {
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


def test_variants_are_divided_by_the_first_and_each_by_every_peer() -> None:
    results = {
        "agora:bare": median_window([window(1000, 10, 100)]),
        "agora:production": median_window([window(960, 10.5, 102)]),
        "agora:strict": {"check": {"ok": False, "problem": "x", "returned": ""}},
        "hive": median_window([window(500, 20, 200)]),
    }
    assert variant_ratios(results) == {
        "production/bare": {
            "rps": 0.96,
            "requests_per_cpu_second": 0.96,
            "p50_ms": 1.05,
            "p99_ms": 1.05,
            "peak_rss_mib": 1.02,
            "rps_cost_percent": 4.0,
            "cpu_cost_percent": 4.0,
        }
    }
    assert list(ratios(results)) == ["agora:bare/hive", "agora:production/hive"]
    assert variant_ratios({"agora": results["agora:bare"]}) == {}


def test_render_table_shows_what_production_costs_against_bare() -> None:
    results = {
        "agora:bare": median_window([window(1000, 10, 100)]),
        "agora:production": median_window([window(960, 10.5, 102)]),
    }
    report = {
        "started_at": "2026-01-01T00:00:00Z",
        "settings": {
            "connections": 32,
            "threads": 2,
            "warmup": 3.0,
            "duration": 10.0,
            "rounds": 1,
            "authorization": "Bearer HS256 token",
        },
        "machine": {"loadavg_before": "0.1 0.1 0.1", "cpus": 2},
        "results": {
            "gateways": {
                "agora:bare": {"status": "ran", "label": "Agora (bare.yaml)"},
                "agora:production": {"status": "ran", "label": "Agora (prod.yaml)"},
            },
            "operations": {
                "small": {
                    "description": "one field",
                    "results": {
                        name: {
                            **result,
                            "check": {"ok": True},
                            "check_after": {"ok": True},
                        }
                        for name, result in results.items()
                    },
                    "ratios": {},
                    "variant_ratios": variant_ratios(results),
                }
            },
        },
    }
    table = render_table(report)
    assert "  agora:production: Agora (prod.yaml)" in table
    assert "  every request: Authorization: Bearer HS256 token" in table
    assert "  agora:production ok         960.0" in table
    assert (
        "  production/bare: rps x0.960 (costs 4.0%)  req/CPUs x0.960 (costs 4.0%)"
        in table
    )
    assert "no ratios" not in table


def test_goals_divide_agora_without_and_with_dedup_by_the_matching_peers() -> None:
    results = {
        "agora:dedup-off": median_window([window(300, 10, 100)]),
        "agora:dedup-on": median_window([window(900, 5, 100)]),
        "apollo": median_window([window(100, 40, 200)]),
        "hive": median_window([window(150, 30, 200)]),
        "hive-dedup": median_window([window(1000, 4, 200)]),
    }
    assert goal_ratios(results) == {
        "agora:dedup-off/hive": {
            "rps": 2.0,
            "requests_per_cpu_second": 2.0,
            "goal": 2.0,
            "met": True,
        },
        "agora:dedup-off/apollo": {
            "rps": 3.0,
            "requests_per_cpu_second": 3.0,
            "goal": 4.0,
            "met": False,
        },
        "agora:dedup-on/hive-dedup": {
            "rps": 0.9,
            "requests_per_cpu_second": 0.9,
            "goal": 1.0,
            "met": False,
        },
    }
    # A goal whose two gateways were not both measured is left out.
    pair = {name: results[name] for name in ("agora:dedup-off", "hive")}
    assert list(goal_ratios(pair)) == ["agora:dedup-off/hive"]


def test_render_table_says_whether_each_goal_is_met() -> None:
    results = {
        "agora:dedup-off": median_window([window(300, 10, 100)]),
        "hive": median_window([window(100, 30, 200)]),
    }
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
                "agora:dedup-off": {"status": "ran", "label": "Agora (dedup-off)"},
                "hive": {"status": "ran", "label": "Hive"},
            },
            "operations": {
                "nested": {
                    "description": "three subgraphs",
                    "results": {
                        name: {
                            **result,
                            "check": {"ok": True},
                            "check_after": {"ok": True},
                        }
                        for name, result in results.items()
                    },
                    "ratios": ratios(results),
                    "variant_ratios": {},
                    "goals": goal_ratios(results),
                }
            },
        },
    }
    table = render_table(report)
    assert "  goal agora:dedup-off/hive x2: rps x3.00 (met)  req/CPUs x3.00" in table
