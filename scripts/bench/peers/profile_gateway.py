"""Where Agora's gateway spends its CPU under load: py-spy on the gateway process.

    scripts/bench/peers/profile [--operation gateways-benchmark]
        [--config agora/dedup-off.yaml] [--seconds 20] [--top 15] [--py-spy PATH]

Starts the operation's fixture subgraphs and one Agora gateway as soak.py does, loads
it with wrk (32 connections) and, meanwhile, samples it with `py-spy record --format
raw --function` (stacks by function, not line; the main thread, where the event loop
runs, and any other). Prints the top entries by own time (the function itself was on
top of the stack) and by cumulative time (it was anywhere on the stack), in % of the
samples, and writes the collapsed stacks to results/profiles/NAME.txt (for flame
graphs: `flamegraph.pl`, speedscope, ...) and the tables to NAME.json.

py-spy is not a dependency of the project: `pip install py-spy` (any Python), then
--py-spy PATH if it is not on PATH. It needs ptrace rights over the gateway (root,
or kernel.yama.ptrace_scope=0).
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from processes import Processes
from runner import RESULTS, BenchAborted, hold_run_lock, require_tools, run_wrk
from soak import start_agora
from workloads import all_operations

JSON = Any

# Frames that only say "the event loop ran something": left out of cumulative tables,
# where they would head every list at ~100%, as is any frame on nearly every stack
# (the process's entry point, the server's main coroutine).
_EVERYWHERE = 0.99
_LOOP_FRAMES = (
    "<module>",
    "run (asyncio/runners.py",
    "run_until_complete",
    "run_forever",
    "_run_once",
    "_run (asyncio/events.py",
    "serve (uvicorn",
    "main (uvicorn",
    "run (uvicorn",
    "_serve (uvicorn",
    "run (uvloop",
)


def parse_collapsed(text: str) -> list[tuple[list[str], int]]:
    """`frame;frame;...;leaf COUNT` lines (py-spy --format raw) -> (stack, count)."""
    stacks = []
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    return stacks


def top_entries(
    stacks: list[tuple[list[str], int]], top: int
) -> tuple[list[JSON], list[JSON], int]:
    """The `top` functions by own samples, and the `top` functions of Agora's
    `gateway` package by cumulative samples, each with its share of all samples (%),
    and the number of samples. Cumulative tables keep to the gateway's own code: the
    ASGI server's and Starlette's middleware frames sit on most stacks without doing
    anything of their own (their own time shows in the other table)."""
    total = sum(count for _, count in stacks)
    own: collections.Counter[str] = collections.Counter()
    cumulative: collections.Counter[str] = collections.Counter()
    for stack, count in stacks:
        own[_name(stack[-1])] += count
        for frame in {_name(frame) for frame in stack if _in_gateway(frame)}:
            cumulative[frame] += count

    def table(counter: collections.Counter[str], skip_loop: bool) -> list[JSON]:
        rows = []
        for frame, count in counter.most_common():
            # On (nearly) every stack: the process's entry and the event loop.
            everywhere = count >= _EVERYWHERE * total
            if skip_loop and (
                everywhere or any(marker in frame for marker in _LOOP_FRAMES)
            ):
                continue
            rows.append({"function": frame, "percent": round(100 * count / total, 1)})
            if len(rows) == top:
                break
        return rows

    return table(own, False), table(cumulative, True), total


def _in_gateway(frame: str) -> bool:
    """Whether a frame is in Agora's `gateway` package (not a dependency)."""
    parts = Path(frame.partition(" (")[2]).parts
    return "gateway" in parts and "site-packages" not in parts


def _name(frame: str) -> str:
    """`func (path/to/module.py:12)` with the path cut to its last two parts."""
    name, _, where = frame.partition(" (")
    if not where:
        return frame
    path, _, line = where.rstrip(")").rpartition(":")
    short = "/".join(Path(path).parts[-2:])
    return f"{name} ({short}:{line})"


def profile(args: argparse.Namespace, workdir: Path, processes: Processes) -> JSON:
    py_spy = args.py_spy or shutil.which("py-spy")
    if py_spy is None:
        raise BenchAborted(
            "py-spy is not installed: pip install py-spy (--py-spy PATH)"
        )
    name = (
        args.name
        or f"{args.operation}-{Path(args.config).stem if args.config else 'defaults'}"
    )
    loaded = start_agora(args, workdir, processes, f"profile-{name}")
    run_wrk(loaded.gateway.url, loaded.body_file, args.warmup, loaded.load)
    out = RESULTS / "profiles" / f"{name}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    figures: dict[str, JSON] = {}

    def load() -> None:
        figures.update(
            run_wrk(loaded.gateway.url, loaded.body_file, args.seconds + 2, loaded.load)
        )

    driver = threading.Thread(target=load)
    driver.start()
    time.sleep(1)
    completed = subprocess.run(
        [py_spy, "record", "--pid", str(loaded.process.pid), "--format", "raw",
         "--function", "--rate", str(args.rate), "--duration", str(args.seconds),
         "--output", str(out)],
        capture_output=True, text=True, timeout=args.seconds + 60, check=False,
    )  # fmt: skip
    driver.join()
    if completed.returncode != 0:
        raise BenchAborted(f"py-spy failed: {completed.stderr.strip()[-500:]}")
    own, cumulative, samples = top_entries(parse_collapsed(out.read_text()), args.top)
    seconds = figures.get("duration_us", 0) / 1e6
    return {
        "name": name,
        "operation": args.operation,
        "config": str(args.config) if args.config else None,
        "samples": samples,
        "rps_while_sampled": round(figures["requests"] / seconds, 1)
        if seconds
        else None,
        "own": own,
        "cumulative": cumulative,
        "stacks": str(out),
    }


def render(result: JSON) -> str:
    lines = [
        f"profile {result['name']}: {result['samples']} samples, "
        f"{result['rps_while_sampled']} rps while sampled (py-spy slows the gateway)",
    ]
    for label, key in (
        ("own time", "own"),
        ("cumulative time (gateway/ code)", "cumulative"),
    ):
        lines.append(f"  top by {label}:")
        for index, row in enumerate(result[key], start=1):
            lines.append(f"  {index:>3} {row['percent']:>5.1f}%  {row['function']}")
    lines.append(f"  collapsed stacks: {result['stacks']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--operation", choices=tuple(all_operations()), default="gateways-benchmark"
    )
    parser.add_argument("--config", type=Path, default=None, help="gateway.yaml")
    parser.add_argument("--seconds", type=int, default=20, help="of sampling")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--rate", type=int, default=200, help="samples per second")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--agora-source", default="HEAD", metavar="REV")
    parser.add_argument("--name", default=None, help="of the output files")
    parser.add_argument("--py-spy", default=None, help="the py-spy binary")
    args = parser.parse_args(argv)
    args.slice = args.seconds  # start_agora's wrk window (unused here)
    processes = Processes()
    lock = None
    try:
        lock = hold_run_lock()
        require_tools(need_node=False)
        with tempfile.TemporaryDirectory(prefix="agora-profile-") as workdir:
            result = profile(args, Path(workdir), processes)
    except BenchAborted as error:
        print(f"profile aborted: {error}", file=sys.stderr)
        return 2
    finally:
        processes.stop_all()
        if lock is not None:
            lock.close()
    (RESULTS / "profiles" / f"{result['name']}.json").write_text(
        json.dumps(result, indent=2) + "\n"
    )
    print(render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
