"""Summing up timed windows, Agora's ratios to the peers, and the printed table."""

from __future__ import annotations

import statistics
from typing import Any

JSON = Any

OURS = "agora"
PEER_PACKAGES = ("@apollo/gateway", "@apollo/server", "@graphql-hive/gateway")

MEDIAN_KEYS = (
    "rps",
    "requests_per_cpu_second",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "gateway_cpu_percent",
    "subgraphs_cpu_percent",
    "subgraph_requests_per_operation",
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


def ratios(results: JSON) -> JSON:
    """Agora's figures divided by each measured peer's (rps > 1 and latency < 1 are
    better for Agora)."""
    ours = results.get(OURS)
    if not ours or "rps" not in ours:
        return {}
    out: JSON = {}
    for name, theirs in results.items():
        if name == OURS or "rps" not in theirs:
            continue
        out[name] = {key: _ratio(ours.get(key), theirs.get(key)) for key in RATIO_KEYS}
    return out


def _ratio(ours: float | None, theirs: float | None) -> float | None:
    return round(ours / theirs, 3) if ours and theirs else None


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
    for name, gateway in report["results"]["gateways"].items():
        if gateway.get("status") != "ran":
            last = (gateway.get("log_tail") or "").strip().splitlines()[-1:] or [""]
            lines.append(f"  {name}: {gateway.get('status')}")
            lines.append(f"    last log line: {last[0][:300]}")
            lines.append(f"    log: {gateway['log']}")
    header = (
        f"  {'gateway':<8} {'check':<6} {'rps':>9} {'spread':>6} {'p50 ms':>8} "
        f"{'p99 ms':>8} "
        f"{'RSS MiB':>8} {'gw CPU%':>8} {'req/CPUs':>8} {'sg CPU%':>8} "
        f"{'fetch/op':>8} {'errors':>6}"
    )
    for op_name, operation in report["results"]["operations"].items():
        lines += ["", f"{op_name}: {operation['description']}", header]
        for name, result in operation["results"].items():
            if not result["check"]["ok"]:
                check = result["check"]
                lines.append(f"  {name:<8} WRONG  {check['problem']}")
                lines.append(f"    returned: {check['returned'][:300]}")
                continue
            if "rps" not in result:
                lines.append(f"  {name:<8} FAILED {result.get('failure', '?')[:300]}")
                continue
            check = "ok" if result["check_after"]["ok"] else "WRONG*"
            if "failure" in result:
                check = "FAIL*"
            lines.append(
                f"  {name:<8} {check:<6} {result['rps']:>9.1f} "
                f"{_spread(result.get('rps_spread_percent')):>6} "
                f"{result['p50_ms']:>8.2f} {result['p99_ms']:>8.2f} "
                f"{result['peak_rss_mib']:>8.1f} "
                f"{result['gateway_cpu_percent']:>8.1f} "
                f"{_fmt(result.get('requests_per_cpu_second'), 1):>8} "
                f"{result['subgraphs_cpu_percent']:>8.1f} "
                f"{result.get('subgraph_requests_per_operation', '?'):>8} "
                f"{result['errors']:>6}"
            )
        for peer, ratio in operation["ratios"].items():
            lines.append(
                f"  {OURS}/{peer}: rps x{_fmt(ratio['rps'])}  "
                f"req/CPUs x{_fmt(ratio['requests_per_cpu_second'])}  "
                f"p50 x{_fmt(ratio['p50_ms'])}  p99 x{_fmt(ratio['p99_ms'])}  "
                f"RSS x{_fmt(ratio['peak_rss_mib'])}"
            )
        if not operation["ratios"]:
            measured = [n for n, r in operation["results"].items() if "rps" in r]
            why = "no peer was" if OURS in measured else f"{OURS} was not"
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


def _spread(percent: float | None) -> str:
    return "n/a" if percent is None else f"{percent:.0f}%"


def _fmt(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"
