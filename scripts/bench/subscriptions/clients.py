"""A bench client process: N graphql-transport-ws clients, latencies recorded.

Each client subscribes to chat's `messageEvents(conversationId)` for its conversation
(the sender's `displayName` resolved from accounts) and records, for every event,
now - the send time the writer put in the message text. Protocol on
stdio: prints {"subscribed": N} once every client has its subscribe sent, then
{"warm": N} once every client has received a warm-up event; on a `stop` line on
stdin prints {"latencies_us": [...], "received": n, "closed": k} and exits; on
`collect` prints the latencies so far and starts a new batch.

Run by run.py: python clients.py URL --token T --conversations ID,ID,...
    --clients N --first I [--plain]  (--plain: `sender { id }` only, no entity
    fetch to accounts per event)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

QUERY = (
    "subscription Events($id: ID!) { messageEvents(conversationId: $id) "
    "{ kind message { seq text sender { id displayName } } } }"
)
# Without the sender's displayName: no entity fetch to accounts per event.
PLAIN_QUERY = (
    "subscription Events($id: ID!) { messageEvents(conversationId: $id) "
    "{ kind message { seq text sender { id } } } }"
)


class Stats:
    def __init__(self, clients: int) -> None:
        self.clients = clients
        self.latencies: list[int] = []
        self.warm: set[int] = set()
        self.all_warm = asyncio.Event()
        self.closed = 0
        self.failed = 0
        self.subscribed = 0
        self.all_subscribed = asyncio.Event()
        self.measuring = False

    def attempted(self) -> None:
        self.subscribed += 1
        if self.subscribed == self.clients:
            self.all_subscribed.set()


async def client(
    index: int,
    url: str,
    conversation: str,
    token: str,
    query: str,
    stats: Stats,
    opened: asyncio.Semaphore,
) -> None:
    try:
        socket = await open_subscription(url, conversation, token, query, opened)
    except Exception as exc:  # noqa: BLE001 - counted and reported
        stats.failed += 1
        stats.attempted()
        if stats.failed == 1:
            print(orjson.dumps({"first_failure": repr(exc)}).decode(), flush=True)
        return
    stats.attempted()
    try:
        async for text in socket:
            now = time.time_ns()
            message = orjson.loads(text)
            if message.get("type") != "next":
                continue
            body = message["payload"]["data"]["messageEvents"]["message"]["text"]
            if body.startswith("warm"):
                stats.warm.add(index)
                if len(stats.warm) == stats.clients - stats.failed:
                    stats.all_warm.set()
                continue
            if stats.measuring:
                stats.latencies.append((now - int(body)) // 1000)
    except ConnectionClosed:
        pass
    stats.closed += 1


async def open_subscription(
    url: str, conversation: str, token: str, query: str, opened: asyncio.Semaphore
) -> ClientConnection:
    async with opened:
        socket = await connect(
            url,
            subprotocols=[Subprotocol("graphql-transport-ws")],
            open_timeout=60,
            ping_interval=None,
            compression=None,
            max_queue=None,
        )
        init = {"type": "connection_init", "payload": {"Authorization": token}}
        await socket.send(orjson.dumps(init).decode())
        ack = orjson.loads(await socket.recv())
        assert ack["type"] == "connection_ack", ack
        payload = {"query": query, "variables": {"id": conversation}}
        await socket.send(
            orjson.dumps({"id": "1", "type": "subscribe", "payload": payload}).decode()
        )
    return socket


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--conversations", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--plain", action="store_true", help="no sender displayName")
    args = parser.parse_args()
    conversations = args.conversations.split(",")
    stats = Stats(args.clients)
    opened = asyncio.Semaphore(64)
    tasks = [
        asyncio.create_task(
            client(
                i,
                args.url,
                conversations[(args.first + i) % len(conversations)],
                "Bearer " + args.token,
                PLAIN_QUERY if args.plain else QUERY,
                stats,
                opened,
            )
        )
        for i in range(args.clients)
    ]
    await stats.all_subscribed.wait()
    print(
        orjson.dumps({"subscribed": args.clients, "failed": stats.failed}).decode(),
        flush=True,
    )
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    while True:
        line = (await reader.readline()).decode().strip()
        if line == "warm?":
            await stats.all_warm.wait()
            stats.measuring = True
            print(orjson.dumps({"warm": len(stats.warm)}).decode(), flush=True)
        elif line == "collect":
            batch, stats.latencies = stats.latencies, []
            print(
                orjson.dumps({"latencies_us": batch, "closed": stats.closed}).decode(),
                flush=True,
            )
        elif line in ("stop", ""):
            break
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    result = {
        "latencies_us": stats.latencies,
        "received": len(stats.latencies),
        "closed": stats.closed,
        "failed": stats.failed,
    }
    print(orjson.dumps(result).decode(), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
