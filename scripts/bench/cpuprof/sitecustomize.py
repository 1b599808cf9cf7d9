"""A CPU-time sampling profiler for a benchmarked process (issue 14).

py-spy samples wall time: on this shared two-core machine a process preempted in
a syscall is sampled as busy there (py-spy put a third of chat's samples in
write(), while /proc says 92 % of its CPU time is user time). This samples on
SIGPROF, which the kernel sends per 2 ms of the process's own CPU time, so only
what burns CPU is counted. Put this directory first on PYTHONPATH with
AGORA_CPUPROF=/tmp/out: the process writes collapsed stacks ("a;b;c count", as
py-spy's --format raw) to /tmp/out.<pid> every two seconds. For chat:

    .venv/bin/python scripts/bench/chat_send.py --rate 150 --rounds 1 \\
        --chat-env PYTHONPATH=scripts/bench/cpuprof --chat-env AGORA_CPUPROF=/tmp/out

SIGUSR2 starts the profile again (subscriptions/run.py sends it to the gateway when
a rate begins, so start-up and connecting are left out).

A sample falls on the Python frame running when the signal is handled (after a C
call returns); a handler runs between bytecodes of the main thread only.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import FrameType

if os.environ.get("AGORA_CPUPROF"):
    import collections
    import signal
    import time

    _counts: collections.Counter[str] = collections.Counter()
    _path = os.environ["AGORA_CPUPROF"] + f".{os.getpid()}"
    _written = [time.monotonic()]

    def _sample(signum: int, frame: FrameType | None) -> None:
        stack = []
        while frame is not None:
            code = frame.f_code
            name = code.co_filename.rsplit("/", 1)[-1]
            stack.append(f"{code.co_qualname} ({name}:{frame.f_lineno})")
            frame = frame.f_back
        _counts[";".join(reversed(stack))] += 1
        now = time.monotonic()
        if now - _written[0] > 2:
            _written[0] = now
            with open(_path, "w") as out:
                for key, count in list(_counts.items()):
                    out.write(f"{key} {count}\n")

    def _restart(signum: int, frame: FrameType | None) -> None:
        _counts.clear()

    signal.signal(signal.SIGPROF, _sample)
    # SIGUSR2 forgets what was sampled so far (a bench's measured window begins).
    signal.signal(signal.SIGUSR2, _restart)
    signal.setitimer(signal.ITIMER_PROF, 0.002, 0.002)
