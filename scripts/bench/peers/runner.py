"""Measure Agora's gateway against @apollo/gateway and @graphql-hive/gateway.

Per workload (workloads.py: a set of fixture subgraphs, their supergraph and the
operations sent), starts the fixture subgraphs and the gateways on 127.0.0.1; checks
that each gateway
answers every operation with the expected JSON; drives each with wrk at a fixed number
of connections (warm-up, then timed windows that alternate between the gateways);
records requests/second, p50/p99 latency, peak RSS and CPU of each gateway's process
tree; stops everything. Prints a table with Agora's ratio to each peer and writes
results/latest.json. With `--agora-config NAME=PATH` (or `--agora-variants`), Agora runs
once per configuration file, each a gateway of its own measured in the same windows,
and every other configuration is divided by the first. See README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import jwt
from correctness import check_response
from processes import Processes, cpu_seconds, peak_rss_mib
from report import (
    OURS,
    PEER_PACKAGES,
    VARIANT_PREFIX,
    goal_ratios,
    is_agora,
    median_window,
    ratios,
    render_table,
    variant_ratios,
)
from workloads import WORKLOADS, Workload, all_operations

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from fixture_data import Operation

JSON = Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
PYTHON = REPO / ".venv" / "bin" / "python"
# The supergraph of the default workload (`peers`).
SUPERGRAPH = WORKLOADS["peers"].supergraph
RESULTS = HERE / "results"
HOST = "127.0.0.1"
GATEWAY_PORT_BASE = 43201
# In port order (43201, ...): hive is @graphql-hive/gateway with the Rust query
# planner and no de-duplication, hive-dedup the same with both of its
# de-duplications on (hive/*.mjs), hive-js Hive's own JavaScript planner with its
# defaults (identical subgraph requests in flight shared).
GATEWAY_NAMES = ("agora", "apollo", "hive", "hive-dedup", "hive-js")
# What a run measures without --only.
DEFAULT_GATEWAYS = ("agora", "apollo", "hive", "hive-dedup")
# Agora under its --agora-config files: 43211, 43212, ...
VARIANT_PORT_BASE = 43211
MAX_VARIANTS = 9
# `--agora-variants`: with and without the policies (README.md).
STANDARD_VARIANTS = (("bare", HERE / "agora" / "bare.yaml"),
                     ("production", HERE / "agora" / "production.yaml"))  # fmt: skip
# `--agora-dedup`: the gateway's defaults with both de-duplications off, then on.
DEDUP_VARIANTS = (("dedup-off", HERE / "agora" / "dedup-off.yaml"),
                  ("dedup-on", HERE / "agora" / "dedup-on.yaml"))  # fmt: skip
# The caller named by the token every request carries in a run with variants.
BENCH_USER = "bench-user"
TOKEN_LIFETIME_SECONDS = 24 * 3600
# What Agora's gateway reads from its environment besides AGORA_GATEWAY_* (see
# gateway/config.py): dropped, so only its configuration file and the runner set it.
AGORA_VARIABLES = frozenset(
    {"AGORA_ENV", "AGORA_GATEWAY_CONFIG", "HOST", "PORT", "LOG_LEVEL", "JWT_SECRET"}
)


@dataclass(frozen=True, slots=True)
class Gateway:
    """How to start one gateway so that it serves SUPERGRAPH at url."""

    name: str
    label: str
    command: tuple[str, ...]
    cwd: Path
    port: int
    # The process's whole environment; None: the runner's own.
    environment: Mapping[str, str] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/graphql"


@dataclass(frozen=True, slots=True)
class AgoraVariant:
    """Agora under one configuration file (`--agora-config NAME=PATH`)."""

    name: str
    config: Path

    @property
    def gateway_name(self) -> str:
        return VARIANT_PREFIX + self.name


@dataclass(frozen=True, slots=True)
class RunSecrets:
    """The secrets of one run with variants: every Agora variant reads them from its
    environment, and every request carries a token signed with `jwt_secret`."""

    jwt_secret: str
    gateway_secret: str

    @classmethod
    def generate(cls) -> RunSecrets:
        # 32 random bytes: 43 characters, over production's minimum of 32.
        return cls(secrets.token_urlsafe(32), secrets.token_urlsafe(32))

    def authorization(self, now: float | None = None) -> str:
        """An `Authorization` value: an HS256 access token for BENCH_USER."""
        issued = int(time.time() if now is None else now)
        claims = {
            "sub": BENCH_USER,
            "type": "access",
            "iss": "agora",
            "iat": issued,
            "exp": issued + TOKEN_LIFETIME_SECONDS,
        }
        return "Bearer " + jwt.encode(claims, self.jwt_secret, algorithm="HS256")


def parse_agora_config(text: str) -> AgoraVariant:
    """`NAME=PATH` as given to --agora-config; raises ValueError saying why not."""
    name, sep, path = text.partition("=")
    if not sep or not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,15}", name):
        raise ValueError(
            f"expected NAME=PATH with NAME of a-z, 0-9, '-', '_' (at most 16), "
            f"got {text!r}"
        )
    config = Path(path).expanduser().resolve()
    if not config.is_file():
        raise ValueError(f"{name}: no such file: {path}")
    return AgoraVariant(name, config)


def agora_environment(
    run_secrets: RunSecrets | None, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of an Agora gateway: `base` (default: the runner's) without
    anything the gateway reads as configuration, plus the run's secrets."""
    env = {
        name: value
        for name, value in (os.environ if base is None else base).items()
        if name not in AGORA_VARIABLES and not name.startswith("AGORA_GATEWAY_")
    }
    if run_secrets is not None:
        env["JWT_SECRET"] = run_secrets.jwt_secret
        env["AGORA_GATEWAY_SECRET"] = run_secrets.gateway_secret
    return env


def gateways(
    agora_root: Path = REPO,
    variants: tuple[AgoraVariant, ...] = (),
    run_secrets: RunSecrets | None = None,
    supergraph_path: Path = SUPERGRAPH,
) -> dict[str, Gateway]:
    """Every gateway by name, in the order they are measured, each on its port: those
    of GATEWAY_NAMES, then Agora under each variant's configuration file, all serving
    supergraph_path. Agora is run from agora_root (a directory holding its `gateway`
    package)."""
    supergraph = str(supergraph_path)
    hive = str(HERE / "node_modules" / ".bin" / "hive-gateway")
    apollo = str(HERE / "apollo_gateway.mjs")

    def at(offset: int) -> tuple[int, str]:
        return GATEWAY_PORT_BASE + offset, str(GATEWAY_PORT_BASE + offset)

    agora_port, agora_arg = at(0)
    apollo_port, apollo_arg = at(1)
    serve = ("-m", "gateway", "serve", "--supergraph", supergraph)
    listen = ("--host", HOST, "--port")
    environment = agora_environment(run_secrets)
    found = {
        "agora": Gateway(
            "agora",
            "Agora (python -m gateway serve)",
            (str(PYTHON), *serve, *listen, agora_arg),
            agora_root,
            agora_port,
            environment,
        ),
        "apollo": Gateway(
            "apollo",
            "@apollo/gateway + @apollo/server",
            ("node", apollo, supergraph, HOST, apollo_arg),
            HERE,
            apollo_port,
        ),
    }
    for offset, name, config, label in (
        (2, "hive", "hive/dedup-off.mjs",
         "@graphql-hive/gateway, Rust planner, no de-duplication"),
        (3, "hive-dedup", "hive/dedup-on.mjs",
         "@graphql-hive/gateway, Rust planner, inbound and upstream de-duplication"),
        (4, "hive-js", None,
         "@graphql-hive/gateway, JavaScript planner, its defaults"),
    ):  # fmt: skip
        port, arg = at(offset)
        configured = ("--config-path", str(HERE / config)) if config else ()
        found[name] = Gateway(
            name,
            label,
            (hive, *configured, "supergraph", supergraph, *listen, arg),
            HERE,
            port,
        )
    for index, variant in enumerate(variants):
        port = VARIANT_PORT_BASE + index
        found[variant.gateway_name] = Gateway(
            variant.gateway_name,
            f"Agora (python -m gateway serve --config {_shown(variant.config)})",
            (str(PYTHON), *serve, "--config", str(variant.config),
             *listen, str(port)),
            agora_root,
            port,
            environment,
        )  # fmt: skip
    return found


def _shown(path: Path) -> str:
    """path relative to the repository when it is inside it."""
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return str(path)


def selected_gateways(
    only: list[str] | None, variants: tuple[AgoraVariant, ...]
) -> list[str]:
    """The names of the gateways to run: `only` (default: DEFAULT_GATEWAYS), with
    Agora's place taken by its variants when there are some."""
    names = list(dict.fromkeys(only or DEFAULT_GATEWAYS))
    if not variants:
        return names
    if OURS not in names:
        raise BenchAborted("--agora-config and --agora-variants need agora in --only")
    at = names.index(OURS)
    return names[:at] + [variant.gateway_name for variant in variants] + names[at + 1 :]


class BenchAborted(Exception):
    """Raised when the bench cannot go on (missing tool, busy port, dead subgraphs)."""


# -- HTTP -----------------------------------------------------------------------------


def post_json(
    url: str,
    body: JSON,
    timeout: float = 10.0,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, bytes]:
    """POST body as JSON (with `headers` besides the JSON ones); the status and the
    raw response body (also for 4xx/5xx)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            **(headers or {}),
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def get_json(url: str, timeout: float = 5.0) -> JSON:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


def port_is_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((HOST, port)) == 0


def wait_until_ready(
    gateway_url: str,
    probe: Operation,
    process: subprocess.Popen[bytes],
    limit: float,
    headers: Mapping[str, str] | None = None,
) -> str | None:
    """None once the gateway answers a GraphQL POST with 200; else why not."""
    deadline = time.monotonic() + limit
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"exited with code {process.returncode} before it was ready"
        try:
            status, _ = post_json(
                gateway_url, probe.body(), timeout=2.0, headers=headers
            )
        except (OSError, urllib.error.URLError) as error:
            last = f"no answer ({error})"
        else:
            if status == 200:
                return None
            last = f"HTTP {status}"
        time.sleep(0.25)
    return f"not ready after {limit:.0f}s: {last}"


def check_operation(
    url: str, operation: Operation, headers: Mapping[str, str] | None = None
) -> dict[str, JSON]:
    """The verdict on every variant of operation: the first wrong one, or ok."""
    for index, expected in enumerate(operation.expected):
        try:
            status, raw = post_json(url, operation.body(index), headers=headers)
        except OSError as error:  # urllib's URLError and timeouts are OSErrors
            return {
                "ok": False,
                "problem": f"no answer: {error}",
                "returned": "",
                "variables": operation.variants[index],
            }
        verdict = check_response(status, raw, expected)
        if not verdict["ok"]:
            verdict["variables"] = operation.variants[index]
            return verdict
    return {"ok": True, "variants": len(operation.expected)}


# -- load -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoadSettings:
    duration: int
    warmup: int
    connections: int
    threads: int
    # The Authorization header of every request wrk sends (None: no header).
    authorization: str | None = None


def run_wrk(url: str, body_file: Path, seconds: int, load: LoadSettings) -> JSON:
    """One wrk run; the figures its Lua script prints."""
    command = [
        "wrk",
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "-s",
        str(HERE / "wrk_post.lua"),
        url,
    ]
    completed = subprocess.run(
        command,
        env={
            **os.environ,
            "BENCH_BODY_FILE": str(body_file),
            "BENCH_THREADS": str(load.threads),
            "BENCH_AUTHORIZATION": load.authorization or "",
        },
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=False,
    )
    return parse_wrk_output(completed.stdout, completed.stderr)


def parse_wrk_output(stdout: str, stderr: str = "") -> JSON:
    """The JSON after 'BENCH_RESULT ' in wrk's output (see wrk_post.lua)."""
    for line in stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            return json.loads(line.removeprefix("BENCH_RESULT "))
    raise BenchAborted(f"wrk printed no result:\n{stdout}\n{stderr}")


def summarize_window(figures: JSON) -> dict[str, JSON]:
    seconds = figures["duration_us"] / 1e6
    errors = sum(value for key, value in figures.items() if key.startswith("errors_"))
    return {
        "requests": figures["requests"],
        "seconds": round(seconds, 3),
        "rps": round(figures["requests"] / seconds, 1) if seconds else 0.0,
        "p50_ms": figures["latency_p50_us"] / 1000,
        "p90_ms": figures["latency_p90_us"] / 1000,
        "p99_ms": figures["latency_p99_us"] / 1000,
        "max_ms": figures["latency_max_us"] / 1000,
        "errors": errors,
        "wrk": figures,
    }


def subgraph_counts(workload: Workload) -> tuple[int, int, int]:
    """Requests the workload's fixture subgraphs answered so far, how many missed the
    cache, and how many named a caller (x-agora-user-id)."""
    requests = misses = identified = 0
    for port in workload.ports:
        stats = get_json(f"http://{HOST}:{port}/stats")
        requests += stats["hits"] + stats["misses"]
        misses += stats["misses"]
        identified += stats["identified"]
    return requests, misses, identified


# -- the bench ------------------------------------------------------------------------


@dataclass(slots=True)
class Bench:
    """One run: per workload, every selected gateway is started once and kept up while
    each of the workload's operations is checked, warmed up, then measured in `rounds`
    windows that alternate between the gateways (the order rotates each round), so that
    a noisy neighbour on the machine weighs on all of them alike."""

    load: LoadSettings
    rounds: int
    # Name -> (its workload, the operation), in run order.
    operations: dict[str, tuple[Workload, Operation]]
    # The gateways to run, by name, given the supergraph they serve.
    gateways_for: Callable[[Path], dict[str, Gateway]]
    start_timeout: float
    processes: Processes = field(default_factory=Processes)
    subgraphs: subprocess.Popen[bytes] | None = None
    body_files: dict[str, Path] = field(default_factory=dict)
    # Those of the workload being measured.
    gateways: dict[str, Gateway] = field(default_factory=dict)
    workload: Workload | None = None

    @property
    def headers(self) -> dict[str, str]:
        """The headers every request carries besides the JSON ones."""
        authorization = self.load.authorization
        return {"Authorization": authorization} if authorization else {}

    def run(self, workdir: Path) -> JSON:
        for name, (_, operation) in self.operations.items():
            path = workdir / f"{name}.json"
            path.write_text(operation.body_lines())
            self.body_files[name] = path
        results: JSON = {"gateways": {}, "operations": {}}
        workloads = {w.name: w for w, _ in self.operations.values()}
        for workload in workloads.values():
            self.workload = workload
            self.gateways = self.gateways_for(workload.supergraph)
            self.start_subgraphs(workload)
            running = self.start_gateways(workload, results["gateways"])
            for name, (of, operation) in self.operations.items():
                if of is not workload:
                    continue
                measured = self.measure_operation(operation, running)
                results["operations"][name] = {
                    "description": operation.description,
                    "workload": workload.name,
                    "results": measured,
                    "ratios": ratios(measured),
                    "variant_ratios": variant_ratios(measured),
                    "goals": goal_ratios(measured),
                }
            for name, process in running.items():
                outcome = results["gateways"][name]
                outcome["peak_rss_mib"] = max(
                    outcome.get("peak_rss_mib", 0.0),
                    round(peak_rss_mib(process.pid), 1),
                )
            self.processes.stop_all()
        return results

    def start_subgraphs(self, workload: Workload) -> None:
        log = RESULTS / "logs" / workload.name / "subgraphs.log"
        self.subgraphs = self.processes.start(
            (str(PYTHON), str(HERE / "fixture_server.py"), "--workload",
             workload.name, "--host", HOST, "--port-base", str(workload.port_base)),
            HERE,
            log,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.subgraphs.poll() is not None:
                raise BenchAborted(f"fixture subgraphs exited; see {log}")
            if all(port_is_open(port) for port in workload.ports):
                return
            time.sleep(0.1)
        raise BenchAborted(f"fixture subgraphs did not start; see {log}")

    def start_gateways(
        self, workload: Workload, outcomes: JSON
    ) -> dict[str, subprocess.Popen[bytes]]:
        """Start every gateway on the workload's supergraph, then wait for each; the
        ones that answer, by name. A gateway's status is `ran` while it started for
        every workload so far."""
        started = {}
        for gateway in self.gateways.values():
            log = RESULTS / "logs" / workload.name / f"{gateway.name}.log"
            outcome = outcomes.setdefault(
                gateway.name,
                {"label": gateway.label, "url": gateway.url, "status": "ran"},
            )
            outcome.setdefault("commands", {})[workload.name] = list(gateway.command)
            outcome.setdefault("logs", {})[workload.name] = str(log)
            _progress(f"{gateway.name}: starting {' '.join(gateway.command)}")
            started[gateway.name] = self.processes.start(
                gateway.command, gateway.cwd, log, gateway.environment
            )
        probe = next(op for w, op in self.operations.values() if w is workload)
        running = {}
        for name, process in started.items():
            gateway = self.gateways[name]
            problem = wait_until_ready(
                gateway.url, probe, process, self.start_timeout, self.headers
            )
            if problem is None:
                running[name] = process
                continue
            log = Path(outcomes[name]["logs"][workload.name])
            outcomes[name]["status"] = f"did not start ({workload.name}): {problem}"
            outcomes[name]["log"] = str(log)
            outcomes[name]["log_tail"] = _tail(log)
            _progress(f"{name}: {outcomes[name]['status']}")
            self.processes.stop(process)
        return running

    def measure_operation(
        self, operation: Operation, running: dict[str, subprocess.Popen[bytes]]
    ) -> JSON:
        results: JSON = {}
        for name in running:
            check = check_operation(self.gateways[name].url, operation, self.headers)
            results[name] = {"check": check}
            if not check["ok"]:
                _progress(f"{name} {operation.name}: WRONG ({check['problem']})")
        correct = [name for name in running if results[name]["check"]["ok"]]
        body_file = self.body_files[operation.name]
        failed: dict[str, str] = {}
        for name in correct if self.load.warmup > 0 else []:
            _progress(f"{name} {operation.name}: warm-up {self.load.warmup}s")
            try:
                run_wrk(self.gateways[name].url, body_file, self.load.warmup, self.load)
            except (BenchAborted, subprocess.TimeoutExpired) as error:
                failed[name] = f"warm-up failed: {error}"
        windows: dict[str, list[JSON]] = {name: [] for name in correct}
        for index in range(self.rounds):
            shift = index % len(correct) if correct else 0
            for name in correct[shift:] + correct[:shift]:
                if name in failed:
                    continue
                try:
                    window = self.measure_window(name, operation, running[name])
                except (BenchAborted, subprocess.TimeoutExpired) as error:
                    failed[name] = f"window failed: {error}"
                    continue
                windows[name].append(window)
        for name in correct:
            if name in failed:
                _progress(f"{name} {operation.name}: {failed[name]}")
                results[name]["failure"] = failed[name]
                results[name]["exit_code"] = running[name].poll()
            if windows[name]:
                results[name].update(median_window(windows[name]))
                results[name]["rounds"] = windows[name]
            # The answer must still be right after the load, not only before it.
            results[name]["check_after"] = check_operation(
                self.gateways[name].url, operation, self.headers
            )
        return results

    def measure_window(
        self, name: str, operation: Operation, process: subprocess.Popen[bytes]
    ) -> JSON:
        """One timed wrk window against one gateway, with the CPU and subgraph
        traffic it caused."""
        # Both set in run().
        assert self.subgraphs is not None
        assert self.workload is not None
        requests_before, misses_before, identified_before = subgraph_counts(
            self.workload
        )
        cpu_before = cpu_seconds(process.pid), cpu_seconds(self.subgraphs.pid)
        _progress(f"{name} {operation.name}: measuring {self.load.duration}s")
        window = summarize_window(
            run_wrk(
                self.gateways[name].url,
                self.body_files[operation.name],
                self.load.duration,
                self.load,
            )
        )
        cpu_after = cpu_seconds(process.pid), cpu_seconds(self.subgraphs.pid)
        requests_after, misses_after, identified_after = subgraph_counts(self.workload)
        window["peak_rss_mib"] = round(peak_rss_mib(process.pid), 1)
        gateway_cpu = cpu_after[0] - cpu_before[0]
        window["gateway_cpu_percent"] = _percent(gateway_cpu, window)
        # Requests per second of the gateway's own CPU: steadier than rps when other
        # work on the machine takes CPU away from the gateway.
        window["requests_per_cpu_second"] = (
            round(window["requests"] / gateway_cpu, 1) if gateway_cpu else None
        )
        window["subgraphs_cpu_percent"] = _percent(cpu_after[1] - cpu_before[1], window)
        subgraph_requests = requests_after - requests_before
        window["subgraph_requests_per_operation"] = (
            round(subgraph_requests / window["requests"], 2)
            if window["requests"]
            else None
        )
        # 1.0 when every subgraph request named the token's caller (Agora, with a
        # token); 0.0 for a gateway that does not send Agora's identity headers.
        window["subgraph_identified_share"] = (
            round((identified_after - identified_before) / subgraph_requests, 3)
            if subgraph_requests
            else None
        )
        window["subgraph_cache_misses"] = misses_after - misses_before
        _progress(
            f"{name} {operation.name}: {window['rps']} rps, "
            f"p50 {window['p50_ms']} ms, p99 {window['p99_ms']} ms"
        )
        return window


def _percent(cpu: float, window: JSON) -> float:
    return round(100 * cpu / window["seconds"], 1) if window["seconds"] else 0.0


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- set-up checks --------------------------------------------------------------------


def hold_run_lock(path: Path = RESULTS / "run.lock") -> IO[str]:
    """Take the bench's lock until the returned file is closed (or the process ends):
    two runs at once would fight over the fixed ports and over `npm ci`.

    Raises BenchAborted, naming the holder's pid, when another run holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = path.open("a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        holder = lock.read().strip() or "?"
        lock.close()
        raise BenchAborted(
            f"another bench run (pid {holder}) holds {path}: wait for it to end"
        ) from None
    lock.seek(0)
    lock.truncate()
    lock.write(f"{os.getpid()}\n")
    lock.flush()
    return lock


def require_tools(need_node: bool) -> None:
    if shutil.which("wrk") is None:
        raise BenchAborted("wrk is not installed: apt-get install wrk (Debian/Ubuntu)")
    if not PYTHON.exists():
        raise BenchAborted(f"{PYTHON} is missing: create the venv (scripts/_venv.sh)")
    if need_node and (shutil.which("node") is None or shutil.which("npm") is None):
        raise BenchAborted("node and npm are needed for the peers: apt-get install npm")


def ensure_node_modules() -> None:
    """Install the peers from package-lock.json when node_modules is missing."""
    if (HERE / "node_modules" / ".package-lock.json").exists():
        return
    _progress("installing the Node peers: npm ci (once, about a minute)")
    try:
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True, timeout=900
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        raise BenchAborted(f"npm ci in {HERE} failed ({error}); see above") from None


def compose_supergraph(out: Path, workload: Workload = WORKLOADS["peers"]) -> None:
    """Compose the workload's fixtures/*.graphql with @apollo/composition into out."""
    try:
        subprocess.run(
            ["node", str(HERE / "compose.mjs"), "--fixtures", str(workload.fixtures),
             "--services", ",".join(workload.subgraph_names),
             "--port-base", str(workload.port_base), "--out", str(out)],
            cwd=HERE, check=True, timeout=120, capture_output=True, text=True,
        )  # fmt: skip
    except subprocess.CalledProcessError as error:
        raise BenchAborted(f"composition failed:\n{error.stderr}") from None
    except subprocess.TimeoutExpired:
        raise BenchAborted("composition took over 120 s") from None


def check_supergraph_is_current(workdir: Path, workload: Workload) -> None:
    fresh = workdir / f"{workload.name}.supergraph.graphql"
    compose_supergraph(fresh, workload)
    if fresh.read_text() != workload.supergraph.read_text():
        raise BenchAborted(
            f"{workload.supergraph} is stale against its fixtures/*.graphql: "
            "run ./run --compose"
        )


def require_free_ports(
    names: list[str], all_gateways: dict[str, Gateway], workloads: list[Workload]
) -> None:
    ports = [port for workload in workloads for port in workload.ports]
    ports += [all_gateways[name].port for name in names]
    busy = [port for port in ports if port_is_open(port)]
    if busy:
        raise BenchAborted(f"ports already in use on {HOST}: {busy} (a bench running?)")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/bench/peers/run", description=__doc__.splitlines()[0]
    )
    # Whole seconds: wrk's -d takes no fractions.
    parser.add_argument("--duration", type=int, default=10, help="seconds (10)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds, 0: none (3)")
    parser.add_argument("--connections", type=int, default=32, help="(32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="timed windows per gateway and operation, alternating gateways (1)",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=GATEWAY_NAMES,
        help="measure only this gateway (repeatable); default: "
        + ", ".join(DEFAULT_GATEWAYS),
    )
    parser.add_argument(
        "--operation",
        action="append",
        choices=tuple(all_operations()),
        help="run only this operation (repeatable); default: all",
    )
    parser.add_argument(
        "--agora-source",
        default="HEAD",
        metavar="REV|worktree",
        help="run Agora's gateway/ as committed at this git revision (HEAD), or "
        "'worktree' for the files as they are now, uncommitted changes included",
    )
    parser.add_argument(
        "--agora-config",
        action="append",
        default=[],
        type=_variant_argument,
        metavar="NAME=PATH",
        help="run Agora once per configuration file (repeatable), each on its own "
        "port as gateway agora:NAME; every request carries a token; the first is "
        "the baseline the others are divided by",
    )
    parser.add_argument(
        "--agora-variants",
        action="store_true",
        help="the same as --agora-config bare=agora/bare.yaml "
        "--agora-config production=agora/production.yaml",
    )
    parser.add_argument(
        "--agora-dedup",
        action="store_true",
        help="the same as --agora-config dedup-off=agora/dedup-off.yaml "
        "--agora-config dedup-on=agora/dedup-on.yaml (after --agora-variants' two)",
    )
    parser.add_argument("--start-timeout", type=float, default=60.0, help="seconds")
    parser.add_argument(
        "--compose",
        action="store_true",
        help="recompose every workload's supergraph from its fixtures/ and exit",
    )
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args(argv)
    if args.threads > args.connections:
        parser.error("--threads must not exceed --connections")
    if args.duration < 1 or args.warmup < 0 or args.rounds < 1:
        parser.error("--duration and --rounds must be at least 1, --warmup at least 0")
    standard = (STANDARD_VARIANTS if args.agora_variants else ()) + (
        DEDUP_VARIANTS if args.agora_dedup else ()
    )
    args.agora_config = [
        AgoraVariant(name, path) for name, path in standard
    ] + args.agora_config
    variant_names = [variant.name for variant in args.agora_config]
    if len(set(variant_names)) != len(variant_names):
        parser.error(f"--agora-config names must differ, got {variant_names}")
    if len(variant_names) > MAX_VARIANTS:
        parser.error(f"at most {MAX_VARIANTS} Agora configurations")
    return args


def _variant_argument(text: str) -> AgoraVariant:
    try:
        return parse_agora_config(text)
    except ValueError as error:
        # argparse shows an ArgumentTypeError's own message.
        raise argparse.ArgumentTypeError(str(error)) from None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM ends the run like Ctrl-C does, through the finally below; SIGINT too when
    # a shell started the runner in the background with SIGINT ignored.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if args.compose:
        try:
            for workload in WORKLOADS.values():
                compose_supergraph(workload.supergraph, workload)
                _progress(f"wrote {workload.supergraph}")
        except BenchAborted as error:
            print(f"bench aborted: {error}", file=sys.stderr)
            return 2
        return 0
    variants = tuple(args.agora_config)
    try:
        names = selected_gateways(args.only, variants)
    except BenchAborted as error:
        print(f"bench aborted: {error}", file=sys.stderr)
        return 2
    # With variants, every request carries a token signed with this run's secret (and
    # the variants sign identities with its gateway secret), peers' requests included.
    run_secrets = RunSecrets.generate() if variants else None
    known = all_operations()
    selected = args.operation or list(known)
    workloads = list(
        {known[name][0].name: known[name][0] for name in selected}.values()
    )
    load = LoadSettings(
        args.duration,
        args.warmup,
        args.connections,
        args.threads,
        run_secrets.authorization() if run_secrets else None,
    )
    bench = Bench(
        load=load,
        rounds=args.rounds,
        operations={name: known[name] for name in selected},
        gateways_for=lambda supergraph: {},
        start_timeout=args.start_timeout,
    )
    started_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    loadavg_before = _loadavg()
    lock: IO[str] | None = None
    try:
        lock = hold_run_lock()
        require_tools(need_node=True)
        ensure_node_modules()
        require_free_ports(names, gateways(REPO, variants), workloads)
        with tempfile.TemporaryDirectory(prefix="agora-bench-") as workdir:
            for workload in workloads:
                check_supergraph_is_current(Path(workdir), workload)
            agora_root = REPO
            if any(map(is_agora, names)) and args.agora_source != "worktree":
                agora_root = export_gateway(args.agora_source, Path(workdir) / "agora")

            def selected_for(supergraph: Path) -> dict[str, Gateway]:
                found = gateways(agora_root, variants, run_secrets, supergraph)
                return {name: found[name] for name in names}

            bench.gateways_for = selected_for
            results = bench.run(Path(workdir))
    except BenchAborted as error:
        print(f"bench aborted: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bench interrupted: stopping what it started", file=sys.stderr)
        return 130
    finally:
        bench.processes.stop_all()
        if lock is not None:
            lock.close()
    report = {
        "started_at": started_at,
        "settings": {
            "duration": load.duration,
            "warmup": load.warmup,
            "connections": load.connections,
            "threads": load.threads,
            "rounds": args.rounds,
            "operations": selected,
            "workloads": [workload.name for workload in workloads],
            "gateways": names,
            "agora_source": args.agora_source,
            "agora_configs": {
                variant.name: _shown(variant.config) for variant in variants
            },
            # The secrets and the token are never written down.
            "authorization": (
                f"Bearer HS256 token (sub {BENCH_USER}, type access), "
                "signed with a secret generated for this run"
                if run_secrets
                else None
            ),
        },
        "machine": {
            "cpus": os.cpu_count(),
            "loadavg_before": loadavg_before,
        },
        "versions": versions(args.agora_source),
        "results": results,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(render_table(report))
    print(f"\nfigures: {args.output}")
    return 0


def versions(agora_source: str = "HEAD") -> JSON:
    """What was measured: Agora's commit (with whether gateway/ had uncommitted changes
    when the working tree was measured), Node's version and the peers' versions."""
    found: JSON = {"agora_source": agora_source}
    revision = "HEAD" if agora_source == "worktree" else agora_source
    commit = _output("git", "-C", str(REPO), "rev-parse", "--short", revision)
    if commit is not None:
        found["agora_commit"] = commit
    if agora_source == "worktree":
        changes = _output("git", "-C", str(REPO), "status", "--porcelain", "gateway")
        found["agora_gateway_uncommitted"] = bool(changes)
    found["node"] = _output("node", "--version")
    for package in PEER_PACKAGES:
        with contextlib.suppress(OSError, ValueError, KeyError):
            manifest = HERE / "node_modules" / package / "package.json"
            found[package] = json.loads(manifest.read_text())["version"]
    return found


def export_gateway(revision: str, into: Path) -> Path:
    """Write the `gateway` package as committed at revision into `into`; returns it.

    The working tree is shared with engineers editing gateway/ right now, so by default
    the bench runs the committed gateway, and the commit in the report is what ran."""
    completed = subprocess.run(
        ("git", "-C", str(REPO), "archive", "--format=tar", revision, "gateway"),
        capture_output=True,
        timeout=60,
        check=False,
    )
    if completed.returncode != 0:
        message = completed.stderr.decode(errors="replace").strip()
        raise BenchAborted(f"cannot export gateway/ at {revision}: {message}")
    into.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(completed.stdout)) as archive:
        archive.extractall(into, filter="data")
    return into


def _output(*command: str) -> str | None:
    """A command's stripped stdout, or None when it cannot run or fails."""
    try:
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout.strip()


def _loadavg() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "?"


if __name__ == "__main__":
    sys.exit(main())
