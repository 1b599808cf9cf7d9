"""sendMessage throughput of chat alone on PostgreSQL (issue 14): msg/s and chat CPU.

Starts the real graph (tests/integration/subscriptions/realgraph.py: a Redis of its
own, a PostgreSQL database per subgraph, `python -m subgraphs.chat`, accounts and
the gateway), makes `--conversations` direct conversations of the demo user and the
agent in SQL, optionally opens `--subscribers` messageEvents subscriptions through
the gateway (so chat also delivers), then sends `sendMessage` straight to chat with
signed identity headers (as the subscription bench's writer does) from
`--connections` keep-alive connections as fast as chat answers, for `--duration`
seconds, after a warm-up. Each request carries a fresh `clientId` (and, with
`--key header`, an `Idempotency-Key` as the gateway sends one), so the kit's
idempotency record is written as in production. Reports msg/s and chat's CPU time
(user + system, from /proc) per message; `--rounds` repeats the measurement on the
same graph. Run the same command on two checkouts to compare them:

    .venv/bin/python scripts/bench/chat_send.py --duration 8 --rounds 3

`--rate 150` paces the senders instead (CPU per message at one rate is less
sensitive to the machine's load than at saturation). `--profile out.txt` samples
chat with py-spy (wall time: a process preempted in a syscall counts there); for
CPU time, scripts/bench/cpuprof (its docstring has the command).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "integration" / "subscriptions"))

from realgraph import (  # noqa: E402
    DEMO_USER,
    MESSAGE_EVENTS,
    RealGraph,
    Subscriber,
    agent_headers,
    make_conversations,
    mint,
    real_graph,
)

if TYPE_CHECKING:
    from collections.abc import Callable

MUTATION = (
    "mutation Send($input: SendMessageInput!) { sendMessage(input: $input) { seq } }"
)
RESIGN_S = 20.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Sender:
    """Closed-loop keep-alive HTTP/1.1 POSTs over raw connections: each sends a
    request, reads the answer, sends the next (httpx would cost the bench more
    than chat)."""

    def __init__(
        self,
        url: str,
        headers: Callable[[], dict[str, str]],
        conversations: list[str],
        key: str,
    ) -> None:
        host_port = url.split("//", 1)[1].split("/", 1)[0]
        host, _, port = host_port.partition(":")
        self.host, self.port = host, int(port)
        self.headers = headers
        self.conversations = conversations
        self.key = key
        self.sent = 0
        self.failures: list[str] = []
        self.seqs: dict[str, list[int]] = {}

    def _head(self) -> bytes:
        lines = "".join(
            f"{name}: {value}\r\n" for name, value in self.headers().items()
        )
        return (
            f"POST /graphql HTTP/1.1\r\nHost: {self.host}\r\n{lines}"
            "Content-Type: application/json\r\nContent-Length: "
        ).encode()

    async def run(
        self, index: int, until: float, rate: float | None, connections: int
    ) -> None:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        made = began = time.monotonic()
        head = self._head()
        turn, own = index, 0
        try:
            while time.monotonic() < until:
                if rate:
                    # Paced: the connections take turns, `rate` a second in all.
                    due = began + (own + index / connections) * connections / rate
                    own += 1
                    if due > time.monotonic():
                        await asyncio.sleep(due - time.monotonic())
                if time.monotonic() - made > RESIGN_S:
                    head, made = self._head(), time.monotonic()
                conversation = self.conversations[turn % len(self.conversations)]
                turn += 1
                client_id = uuid.uuid4().hex
                extra = b""
                if self.key == "header":
                    extra = f"Idempotency-Key: {uuid.uuid4().hex}\r\n".encode()
                variables: dict[str, Any] = {
                    "conversationId": conversation,
                    "text": f"bench {time.time_ns()}",
                }
                if self.key != "none":
                    variables["clientId"] = client_id
                body = orjson.dumps(
                    {"query": MUTATION, "variables": {"input": variables}}
                )
                writer.write(
                    head.replace(b"Content-Type", extra + b"Content-Type", 1)
                    + str(len(body)).encode()
                    + b"\r\n\r\n"
                    + body
                )
                status = await reader.readline()
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                answer = await reader.readexactly(length)
                if b" 200 " not in status or b'"errors"' in answer:
                    self.failures.append((status + answer[:300]).decode())
                    continue
                self.sent += 1
                seq = orjson.loads(answer)["data"]["sendMessage"]["seq"]
                self.seqs.setdefault(conversation, []).append(seq)
        finally:
            writer.close()


async def measure(
    graph: RealGraph,
    conversations: list[str],
    connections: int,
    duration: float,
    key: str,
    rate: float | None = None,
) -> tuple[dict[str, Any], Sender]:
    sender = Sender(graph.chat_url + "/graphql", agent_headers, conversations, key)
    pid = graph.chat.pid
    cpu_before = cpu_seconds(pid)
    began = time.monotonic()
    until = began + duration
    await asyncio.gather(
        *(sender.run(i, until, rate, connections) for i in range(connections))
    )
    elapsed = time.monotonic() - began
    cpu = cpu_seconds(pid) - cpu_before
    row = {
        "messages": sender.sent,
        "failed": len(sender.failures),
        "seconds": round(elapsed, 2),
        "msg_per_s": round(sender.sent / elapsed, 1),
        "chat_cpu_core_share": round(cpu / elapsed, 2),
        "chat_cpu_us_per_msg": round(cpu * 1e6 / sender.sent, 1)
        if sender.sent
        else None,
        "loadavg_1m": round(os.getloadavg()[0], 1),
    }
    if sender.failures:
        print(f"  first failure: {sender.failures[0]}", file=sys.stderr)
    return row, sender


async def run(args: argparse.Namespace, graph: RealGraph) -> dict[str, Any]:
    conversations = await make_conversations(graph, args.conversations)
    subscribers: list[Subscriber] = []
    token = mint(DEMO_USER, ttl=24 * 3600)
    try:
        for index in range(args.subscribers):
            subscriber = await Subscriber.open(graph.websocket_url, token)
            await subscriber.subscribe(
                MESSAGE_EVENTS, {"id": conversations[index % len(conversations)]}
            )
            subscribers.append(subscriber)
        await asyncio.sleep(1)
        # What chat spends with nothing to do (sweepers, timers): part of every
        # round's CPU, most of it at low rates; busy_cpu_us_per_msg leaves it out.
        pid = graph.chat.pid
        cpu_before = cpu_seconds(pid)
        await asyncio.sleep(args.idle)
        idle = (cpu_seconds(pid) - cpu_before) / args.idle
        print(f"  idle: {idle:.4f} of a core", flush=True)
        warm, _ = await measure(
            graph, conversations, args.connections, args.warmup, args.key
        )
        print(f"  warm-up: {warm}", flush=True)
        rounds = []
        seqs: dict[str, list[int]] = {}
        for number in range(args.rounds):
            spy = None
            if args.profile is not None and number == 0:
                # py-spy (in a venv of its own) samples chat during the first round.
                spy = await asyncio.create_subprocess_exec(
                    args.py_spy,
                    "record",
                    "--pid",
                    str(graph.chat.pid),
                    "--duration",
                    str(int(args.duration)),
                    "--rate",
                    "200",
                    "--format",
                    {".json": "speedscope", ".txt": "raw"}.get(
                        args.profile.suffix, "flamegraph"
                    ),
                    "--output",
                    str(args.profile),
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.DEVNULL,
                )
            row, sender = await measure(
                graph,
                conversations,
                args.connections,
                args.duration,
                args.key,
                args.rate,
            )
            if spy is not None:
                await spy.wait()
            for conversation, values in sender.seqs.items():
                seqs.setdefault(conversation, []).extend(values)
            if row["messages"]:
                busy = row["chat_cpu_core_share"] - idle
                row["busy_cpu_us_per_msg"] = round(
                    busy * row["seconds"] * 1e6 / row["messages"], 1
                )
            print(f"  round {number + 1}: {row}", flush=True)
            rounds.append(row)
        # Every answered seq once per conversation (the warm-up's are not kept).
        duplicates = sum(len(v) - len(set(v)) for v in seqs.values())
        delivered = sum(len(s.seqs) for s in subscribers)
    finally:
        for subscriber in subscribers:
            await subscriber.close()
    return {
        "checkout": str(ROOT),
        "chat_idle_cpu_core_share": round(idle, 4),
        "rounds": rounds,
        "duplicate_seqs": duplicates,
        "subscriber_events": delivered,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--subscribers", type=int, default=0)
    parser.add_argument(
        "--idle", type=float, default=4.0, help="seconds chat's idle CPU is read over"
    )
    parser.add_argument(
        "--rate",
        type=float,
        help="messages a second in all (paced) instead of as fast as chat answers: "
        "CPU per message compared at one rate is less sensitive to the machine's load",
    )
    parser.add_argument(
        "--key",
        choices=["client-id", "header", "none"],
        default="client-id",
        help="client-id: a fresh clientId (the kit's key); header: also an "
        "Idempotency-Key header as the gateway sends; none: neither",
    )
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--profile",
        type=Path,
        help="py-spy the first round into this file (.svg flame graph, .json "
        "speedscope, .txt collapsed stacks)",
    )
    parser.add_argument("--py-spy", default="/tmp/pyspy/bin/py-spy")
    parser.add_argument(
        "--chat-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="more environment for the chat process (repeatable)",
    )
    args = parser.parse_args()
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    logs = Path(os.environ.get("TMPDIR", "/tmp")) / f"agora-chat-send-{os.getpid()}"
    chat_env = dict(item.split("=", 1) for item in args.chat_env)
    async with real_graph(logs, chat_env=chat_env) as graph:
        result = await run(args, graph)
    report = {"args": {k: str(v) for k, v in vars(args).items()}, **result}
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    if args.out:
        args.out.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    asyncio.run(main())
