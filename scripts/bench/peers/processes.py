"""The processes the bench starts: each in its own group, ended with its children;
their CPU time and peak memory read from /proc."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

# How long a process may take to exit after SIGTERM before it gets SIGKILL.
STOP_GRACE_SECONDS = 5.0


@dataclass(slots=True)
class Processes:
    """Every process the runner started, each in its own session so it can be ended
    with its children by its own process-group id, and nothing else."""

    running: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(
        self,
        command: tuple[str, ...],
        cwd: Path,
        log: Path,
        environment: Mapping[str, str] | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start command with `environment` (default: ours) and its output in log."""
        log.parent.mkdir(parents=True, exist_ok=True)
        base = os.environ if environment is None else environment
        env = {**base, "NODE_ENV": "production", "PYTHONUNBUFFERED": "1"}
        with log.open("wb") as out:
            process = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.running.append(process)
        return process

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                _signal_group(process.pid, signal.SIGKILL)
                process.wait(timeout=STOP_GRACE_SECONDS)
        # Children left behind by a leader that exited on its own.
        _signal_group(process.pid, signal.SIGKILL)
        if process in self.running:
            self.running.remove(process)

    def stop_all(self) -> None:
        for process in reversed(list(self.running)):
            self.stop(process)


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _descendants(pid: int) -> list[int]:
    """pid and every process below it, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of pid and its descendants, in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for member in _descendants(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def peak_rss_mib(pid: int) -> float:
    """Sum of the peak resident set size (VmHWM) of pid and its descendants, in MiB."""
    return _status_mib(pid, "VmHWM:")


def rss_mib(pid: int) -> float:
    """Sum of the resident set size now (VmRSS) of pid and its descendants, in MiB."""
    return _status_mib(pid, "VmRSS:")


def _status_mib(pid: int, key: str) -> float:
    total_kib = 0
    for member in _descendants(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith(key):
                    total_kib += int(line.split()[1])
    return total_kib / 1024
