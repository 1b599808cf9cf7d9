"""Agora's gateway at full load for minutes: is its memory flat?

    scripts/bench/peers/soak [--seconds 300] [--operation nested-distinct]
        [--config agora/dedup-off.yaml] [--slice 30] [--connections 32]

Starts the operation's fixture subgraphs and one Agora gateway (`python -m gateway
serve`, as committed at --agora-source, under --config if given, with a run token and
secrets as the runner's --agora-config gateways have), checks its answer, warms it up,
then drives it with wrk for --seconds in slices of --slice seconds, reading the
gateway's resident memory (VmRSS of its process tree) before the first slice and after
each. Prints the series and the start and end RSS; writes results/soak.json. The answer
is checked again at the end. Issue 17's goal: memory flat over 5 minutes at full load.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from processes import Processes, cpu_seconds, rss_mib
from runner import (
    HOST,
    RESULTS,
    BenchAborted,
    LoadSettings,
    RunSecrets,
    check_operation,
    export_gateway,
    gateways,
    hold_run_lock,
    parse_agora_config,
    port_is_open,
    require_tools,
    run_wrk,
    summarize_window,
    versions,
    wait_until_ready,
)
from workloads import all_operations

if TYPE_CHECKING:
    import subprocess

    from fixture_data import Operation
    from runner import Gateway

JSON = Any


@dataclass(frozen=True, slots=True)
class Loaded:
    """One Agora gateway serving an operation's workload, checked, ready for load."""

    gateway: Gateway
    process: subprocess.Popen[bytes]
    operation: Operation
    load: LoadSettings
    headers: dict[str, str]
    body_file: Path


def start_agora(
    args: argparse.Namespace, workdir: Path, processes: Processes, name: str
) -> Loaded:
    """Start the fixture subgraphs of args.operation and Agora (as committed at
    args.agora_source, under args.config if any) beside them; check its answer.
    Logs go to results/logs/NAME/."""
    workload, operation = all_operations()[args.operation]
    variant = parse_agora_config(f"config={args.config}") if args.config else None
    run_secrets = RunSecrets.generate() if variant else None
    load = LoadSettings(
        args.slice,
        0,
        args.connections,
        args.threads,
        run_secrets.authorization() if run_secrets else None,
    )
    headers = {"Authorization": load.authorization} if load.authorization else {}
    agora_root = export_gateway(args.agora_source, workdir / "agora")
    variants = (variant,) if variant else ()
    found = gateways(agora_root, variants, run_secrets, workload.supergraph)
    gateway = found[variant.gateway_name if variant else "agora"]
    busy = [p for p in [*workload.ports, gateway.port] if port_is_open(p)]
    if busy:
        raise BenchAborted(f"ports already in use on {HOST}: {busy}")
    body_file = workdir / "bodies.json"
    body_file.write_text(operation.body_lines())
    logs = RESULTS / "logs" / name
    subgraphs = processes.start(
        (sys.executable, "fixture_server.py", "--workload", workload.name,
         "--port-base", str(workload.port_base)),
        Path(__file__).resolve().parent,
        logs / "subgraphs.log",
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while not all(port_is_open(port) for port in workload.ports):
        if subgraphs.poll() is not None or time.monotonic() > deadline:
            raise BenchAborted(f"fixture subgraphs did not start; see {logs}")
        time.sleep(0.1)
    process = processes.start(
        gateway.command, gateway.cwd, logs / "agora.log", gateway.environment
    )
    problem = wait_until_ready(gateway.url, operation, process, 60, headers)
    if problem is not None:
        raise BenchAborted(f"agora {problem}; see {logs / 'agora.log'}")
    check = check_operation(gateway.url, operation, headers)
    if not check["ok"]:
        raise BenchAborted(f"agora answers {args.operation} wrong: {check['problem']}")
    return Loaded(gateway, process, operation, load, headers, body_file)


def soak(args: argparse.Namespace, workdir: Path, processes: Processes) -> JSON:
    loaded = start_agora(args, workdir, processes, "soak")
    gateway, process, operation = loaded.gateway, loaded.process, loaded.operation
    load, headers, body_file = loaded.load, loaded.headers, loaded.body_file
    _progress(f"warm-up {args.warmup}s")
    run_wrk(gateway.url, body_file, args.warmup, load)
    series = [{"t": 0, "rss_mib": round(rss_mib(process.pid), 1)}]
    _progress(f"RSS after warm-up: {series[0]['rss_mib']} MiB")
    started = time.monotonic()
    elapsed = 0
    while elapsed < args.seconds:
        seconds = min(args.slice, args.seconds - elapsed)
        cpu_before = cpu_seconds(process.pid)
        window = summarize_window(run_wrk(gateway.url, body_file, seconds, load))
        cpu = cpu_seconds(process.pid) - cpu_before
        elapsed += seconds
        point = {
            "t": round(time.monotonic() - started),
            "rss_mib": round(rss_mib(process.pid), 1),
            "requests": window["requests"],
            "rps": window["rps"],
            "p99_ms": window["p99_ms"],
            "errors": window["errors"],
            "gateway_cpu_percent": round(100 * cpu / window["seconds"], 1),
            # Steadier than rps when other work takes the CPU (see README.md).
            "requests_per_cpu_second": round(window["requests"] / cpu, 1)
            if cpu
            else None,
        }
        series.append(point)
        _progress(
            f"t={point['t']}s rss {point['rss_mib']} MiB, {point['rps']} rps, "
            f"p99 {point['p99_ms']} ms, errors {point['errors']}"
        )
    after = check_operation(gateway.url, operation, headers)
    first, last = series[0]["rss_mib"], series[-1]["rss_mib"]
    return {
        "started_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "operation": args.operation,
        "config": str(args.config) if args.config else None,
        "seconds": args.seconds,
        "connections": args.connections,
        "versions": versions(args.agora_source),
        "rss_start_mib": first,
        "rss_end_mib": last,
        "rss_max_mib": max(point["rss_mib"] for point in series),
        "rss_growth_percent": round(100 * (last - first) / first, 1),
        "requests": sum(point.get("requests", 0) for point in series),
        "check_after": after,
        "series": series,
    }


def render(result: JSON) -> str:
    lines = [
        f"soak {result['operation']} ({result['config'] or 'defaults'}), "
        f"{result['seconds']}s at {result['connections']} connections; "
        f"agora {result['versions'].get('agora_commit', '?')}",
        f"  {'t s':>5} {'RSS MiB':>8} {'rps':>8} {'p99 ms':>8} {'gw CPU%':>8} "
        f"{'req/CPUs':>8} {'errors':>6}",
    ]
    for point in result["series"]:
        lines.append(
            f"  {point['t']:>5} {point['rss_mib']:>8.1f} {point.get('rps', 0):>8.1f} "
            f"{point.get('p99_ms', 0):>8.1f} "
            f"{point.get('gateway_cpu_percent', 0):>8.1f} "
            f"{point.get('requests_per_cpu_second') or 0:>8.1f} "
            f"{point.get('errors', 0):>6}"
        )
    lines.append(
        f"  RSS start {result['rss_start_mib']} MiB, end {result['rss_end_mib']} MiB "
        f"({result['rss_growth_percent']:+.1f}%), highest {result['rss_max_mib']} MiB; "
        f"answer after: {'ok' if result['check_after']['ok'] else 'WRONG'}"
    )
    return "\n".join(lines)


def _progress(message: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--slice", type=int, default=30, help="seconds per sample")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--operation", choices=tuple(all_operations()), default="nested-distinct"
    )
    parser.add_argument("--config", type=Path, default=None, help="gateway.yaml")
    parser.add_argument("--agora-source", default="HEAD", metavar="REV")
    parser.add_argument("--output", type=Path, default=RESULTS / "soak.json")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    processes = Processes()
    lock = None
    try:
        lock = hold_run_lock()
        require_tools(need_node=False)
        with tempfile.TemporaryDirectory(prefix="agora-soak-") as workdir:
            result = soak(args, Path(workdir), processes)
    except BenchAborted as error:
        print(f"soak aborted: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        processes.stop_all()
        if lock is not None:
            lock.close()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(render(result))
    print(f"\nfigures: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
