"""Summing up timed windows, Agora's ratios to the peers and between its variants,
and the printed table."""

from __future__ import annotations

import statistics
from typing import Any

JSON = Any

OURS = "agora"
# Agora under a configuration file of its own: `agora:bare`, `agora:production`.
VARIANT_PREFIX = "agora:"
PEER_PACKAGES = (
    "@apollo/gateway",
    "@apollo/server",
    "@graphql-hive/gateway",
    "@graphql-hive/router-runtime",
)
# Issue 17's goals, requests per second at one core each in the same run: Agora
# without de-duplication at least 2x Hive (Rust planner) without and 4x Apollo; with
# de-duplication, ahead of Hive with its de-duplication (above 1x).
GOALS = (
    ("agora:dedup-off", "hive", 2.0),
    ("agora:dedup-off", "apollo", 4.0),
    ("agora:dedup-on", "hive-dedup", 1.0),
)

MEDIAN_KEYS = (
    "rps",
    "requests_per_cpu_second",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "gateway_cpu_percent",
    "subgraphs_cpu_percent",
    "subgraph_requests_per_operation",
    "subgraph_identified_share",
)


def median_window(windows: list[JSON]) -> JSON:
    """The figures of several windows of one gateway: the median of each, the sums of
    requests and errors, the highest peak RSS, and how far the rounds' rps spread
    (max - min, in % of the median: the noise of this run)."""
    summary: JSON = {
        key: round(statistics.median(window[key] for window in windows), 3)
        for key in MEDIAN_KEYS
        if all(window[key] is not None for window in windows)
    }
    summary["requests"] = sum(window["requests"] for window in windows)
    summary["errors"] = sum(window["errors"] for window in windows)
    summary["peak_rss_mib"] = max(window["peak_rss_mib"] for window in windows)
    summary["subgraph_cache_misses"] = sum(
        window["subgraph_cache_misses"] for window in windows
    )
    rates = [window["rps"] for window in windows]
    summary["rps_spread_percent"] = (
        round(100 * (max(rates) - min(rates)) / summary["rps"], 1)
        if summary.get("rps")
        else None
    )
    return summary


RATIO_KEYS = ("rps", "requests_per_cpu_second", "p50_ms", "p99_ms", "peak_rss_mib")


def is_agora(name: str) -> bool:
    """Whether a gateway name is Agora's (plain or under one of its configurations)."""
    return name == OURS or name.startswith(VARIANT_PREFIX)


def ratios(results: JSON) -> JSON:
    """Each measured Agora gateway's figures divided by each measured peer's, keyed
    `agora/apollo`, `agora:production/hive`, ... (rps > 1 and latency < 1 are better
    for Agora)."""
    measured = [name for name, result in results.items() if "rps" in result]
    out: JSON = {}
    for ours in filter(is_agora, measured):
        for peer in measured:
            if not is_agora(peer):
                out[f"{ours}/{peer}"] = _ratios(results[ours], results[peer])
    return out


def variant_ratios(results: JSON) -> JSON:
    """Each Agora variant's figures divided by the first variant's (the baseline),
    keyed `production/bare`, with what the variant costs in % of the baseline's rps
    and of its requests per CPU second (negative when it serves more)."""
    variants = [name for name in results if name.startswith(VARIANT_PREFIX)]
    if not variants or "rps" not in results[variants[0]]:
        return {}
    baseline = variants[0]
    out: JSON = {}
    for name in variants[1:]:
        if "rps" not in results[name]:
            continue
        figures = _ratios(results[name], results[baseline])
        for key, cost in (("rps", "rps_cost_percent"),
                          ("requests_per_cpu_second", "cpu_cost_percent")):  # fmt: skip
            ratio = figures[key]
            figures[cost] = None if ratio is None else round(100 * (1 - ratio), 1)
        label = f"{_short(name)}/{_short(baseline)}"
        out[label] = figures
    return out


def goal_ratios(results: JSON) -> JSON:
    """For each of GOALS whose two gateways were measured: Agora's rps and req/CPUs
    divided by the peer's, the goal, and whether the rps ratio is above it (at it, for
    the goals of 2x and 4x)."""
    out: JSON = {}
    for ours, peer, goal in GOALS:
        if "rps" not in results.get(ours, {}) or "rps" not in results.get(peer, {}):
            continue
        figures = _ratios(results[ours], results[peer])
        rps = figures["rps"]
        met = rps is not None and (rps > goal if goal == 1.0 else rps >= goal)
        out[f"{ours}/{peer}"] = {
            "rps": rps,
            "requests_per_cpu_second": figures["requests_per_cpu_second"],
            "goal": goal,
            "met": met,
        }
    return out


def _short(name: str) -> str:
    return name.removeprefix(VARIANT_PREFIX)


def _ratios(ours: JSON, theirs: JSON) -> JSON:
    return {key: _ratio(ours.get(key), theirs.get(key)) for key in RATIO_KEYS}


def _ratio(ours: float | None, theirs: float | None) -> float | None:
    return round(ours / theirs, 4) if ours and theirs else None


def render_table(report: JSON) -> str:
    """The human-readable summary of a report (see README.md for how to read it)."""
    settings = report["settings"]
    lines = [
        f"Gateway bench {report['started_at']}: {settings['connections']} connections, "
        f"{settings['threads']} wrk threads, warm-up {settings['warmup']:g}s, "
        f"{settings['rounds']} x {settings['duration']:g}s window(s) per gateway; "
        f"load average before {report['machine']['loadavg_before']} "
        f"on {report['machine']['cpus']} CPUs",
        "  " + _describe_versions(report.get("versions", {})),
    ]
    if settings.get("authorization"):
        lines.append(f"  every request: Authorization: {settings['authorization']}")
    for name, gateway in report["results"]["gateways"].items():
        if name.startswith(VARIANT_PREFIX):
            lines.append(f"  {name}: {gateway['label']}")
    for name, gateway in report["results"]["gateways"].items():
        if gateway.get("status") != "ran":
            last = (gateway.get("log_tail") or "").strip().splitlines()[-1:] or [""]
            lines.append(f"  {name}: {gateway.get('status')}")
            lines.append(f"    last log line: {last[0][:300]}")
            lines.append(f"    log: {gateway['log']}")
    width = max([8, *map(len, report["results"]["gateways"])])
    header = (
        f"  {'gateway':<{width}} {'check':<6} {'rps':>9} {'spread':>6} {'p50 ms':>8} "
        f"{'p99 ms':>8} "
        f"{'RSS MiB':>8} {'gw CPU%':>8} {'req/CPUs':>8} {'sg CPU%':>8} "
        f"{'fetch/op':>8} {'errors':>6}"
    )
    for op_name, operation in report["results"]["operations"].items():
        lines += ["", f"{op_name}: {operation['description']}", header]
        for name, result in operation["results"].items():
            if not result["check"]["ok"]:
                check = result["check"]
                lines.append(f"  {name:<{width}} WRONG  {check['problem']}")
                lines.append(f"    returned: {check['returned'][:300]}")
                continue
            if "rps" not in result:
                failure = result.get("failure", "?")[:300]
                lines.append(f"  {name:<{width}} FAILED {failure}")
                continue
            check = "ok" if result["check_after"]["ok"] else "WRONG*"
            if "failure" in result:
                check = "FAIL*"
            lines.append(
                f"  {name:<{width}} {check:<6} {result['rps']:>9.1f} "
                f"{_spread(result.get('rps_spread_percent')):>6} "
                f"{result['p50_ms']:>8.2f} {result['p99_ms']:>8.2f} "
                f"{result['peak_rss_mib']:>8.1f} "
                f"{result['gateway_cpu_percent']:>8.1f} "
                f"{_fmt(result.get('requests_per_cpu_second'), 1):>8} "
                f"{result['subgraphs_cpu_percent']:>8.1f} "
                f"{result.get('subgraph_requests_per_operation', '?'):>8} "
                f"{result['errors']:>6}"
            )
        for label, ratio in operation.get("variant_ratios", {}).items():
            lines.append(
                f"  {label}: rps x{_fmt(ratio['rps'], 3)} "
                f"({_cost(ratio['rps_cost_percent'])})  "
                f"req/CPUs x{_fmt(ratio['requests_per_cpu_second'], 3)} "
                f"({_cost(ratio['cpu_cost_percent'])})  "
                f"p50 x{_fmt(ratio['p50_ms'], 3)}  p99 x{_fmt(ratio['p99_ms'], 3)}  "
                f"RSS x{_fmt(ratio['peak_rss_mib'], 3)}"
            )
        for label, ratio in operation["ratios"].items():
            lines.append(
                f"  {label}: rps x{_fmt(ratio['rps'])}  "
                f"req/CPUs x{_fmt(ratio['requests_per_cpu_second'])}  "
                f"p50 x{_fmt(ratio['p50_ms'])}  p99 x{_fmt(ratio['p99_ms'])}  "
                f"RSS x{_fmt(ratio['peak_rss_mib'])}"
            )
        for label, goal in operation.get("goals", {}).items():
            verdict = "met" if goal["met"] else "NOT MET"
            lines.append(
                f"  goal {label} x{goal['goal']:g}: rps x{_fmt(goal['rps'])} "
                f"({verdict})  req/CPUs x{_fmt(goal['requests_per_cpu_second'])}"
            )
        if not operation["ratios"] and not operation.get("variant_ratios"):
            measured = [n for n, r in operation["results"].items() if "rps" in r]
            why = "no peer was" if any(map(is_agora, measured)) else f"{OURS} was not"
            lines.append(f"  no ratios: {why} measured on this operation")
    return "\n".join(lines)


def _describe_versions(found: JSON) -> str:
    agora = f"agora {found.get('agora_commit', '?')}"
    if found.get("agora_source") == "worktree":
        agora += " working tree"
        if found.get("agora_gateway_uncommitted"):
            agora += " (with uncommitted changes in gateway/)"
    peers = ", ".join(
        f"{name} {found[name]}" for name in PEER_PACKAGES if name in found
    )
    return f"{agora}; node {found.get('node', '?')}; {peers}"


def _cost(percent: float | None) -> str:
    """A variant's cost against the baseline: `costs 2.9%`, `saves 1.0%`."""
    if percent is None:
        return "cost n/a"
    return f"costs {percent:.1f}%" if percent >= 0 else f"saves {-percent:.1f}%"


def _spread(percent: float | None) -> str:
    return "n/a" if percent is None else f"{percent:.0f}%"


def _fmt(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"
