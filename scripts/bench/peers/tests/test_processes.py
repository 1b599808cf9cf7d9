"""The processes the bench starts end with their children."""

from __future__ import annotations

import time
from pathlib import Path

from processes import Processes


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
