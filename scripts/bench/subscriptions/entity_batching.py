"""What sharing one `_entities` request saves the gateway per event (issue 14).

Starts the real graph (realgraph.py) and, in this process, runs the gateway's
EventBatcher over `--conversations` upstream sources whose events each need the
sender's displayName from the real accounts subgraph (the messageEvents plan's
rest), through the gateway's own Http11Transport:

- apart: each source's event in a loop iteration of its own (the rate chat
  reaches here: events 10 ms apart never meet), one request per event;
- together: one event of every source in the same iteration (1,000 msg/s over
  100 conversations with the loop busy: events meet), one request for all.

Reports this process's CPU per event (what the gateway spends on an event's
rest: building, sending, reading and merging the fetch) and the wall time per
round. `--sign` signs each source's requests as the gateway does (an HMAC of the
caller's identity, at most once a second per source); `--entity-cache` puts the
gateway's entity cache in front of the transport (accounts answers the sender's
displayName `Cache-Control: public, max-age=30`, so every event after a sender's
first is answered from memory). Run: .venv/bin/python
scripts/bench/subscriptions/entity_batching.py [--conversations 100] [--rounds 30]
[--sign] [--entity-cache]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
from graphql import OperationDefinitionNode, build_schema, parse

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "integration" / "subscriptions"))

if TYPE_CHECKING:
    from collections.abc import Callable

from realgraph import AGENT, DEMO_USER, GATEWAY_SECRET, real_graph  # noqa: E402

from gateway.execution import Projection  # noqa: E402
from gateway.planner.plan import (  # noqa: E402
    FetchNode,
    FieldSelection,
    FlattenNode,
    InlineFragmentSelection,
)
from gateway.policy.identity import sign_identity  # noqa: E402
from gateway.subscriptions.batching import EventBatcher, EventSource  # noqa: E402
from gateway.transport import (  # noqa: E402
    EntityCache,
    EntityCacheTransport,
    SubgraphResponse,
    SubgraphTransport,
)
from gateway.transport.http11 import Http11Transport  # noqa: E402

SCHEMA = build_schema(
    """
    type Query { ok: Boolean }
    type Subscription { messageEvents(conversationId: ID!): MessageEvent! }
    type MessageEvent { kind: String, message: Message }
    type Message { id: ID!, seq: Int!, text: String, sender: User! }
    type User { id: ID!, displayName: String }
    """
)
OPERATION = (
    "subscription($c: ID!) { messageEvents(conversationId: $c) "
    "{ kind message { id seq text sender { id displayName } } } }"
)
REST = FlattenNode(
    ("messageEvents", "message", "sender"),
    FetchNode(
        "accounts",
        "query($representations:[_Any!]!){_entities(representations:"
        "$representations){...on User{displayName}}}",
        requires=(
            InlineFragmentSelection(
                "User", (FieldSelection("__typename"), FieldSelection("id"))
            ),
        ),
    ),
)


def event(n: int) -> SubgraphResponse:
    sender = DEMO_USER if n % 2 else AGENT
    return SubgraphResponse(
        {
            "messageEvents": {
                "kind": "ADDED",
                "message": {
                    "id": f"m{n}",
                    "seq": n,
                    "text": "hello",
                    "sender": {"__typename": "User", "id": sender},
                },
            }
        }
    )


def signer() -> Callable[[], dict[str, str]]:
    """Signed identity headers, made at most once a second (as Caller.signer)."""
    signed: dict[int, dict[str, str]] = {}

    def sign() -> dict[str, str]:
        now = time.time()
        headers = signed.get(int(now))
        if headers is None:
            signed.clear()
            headers = signed[int(now)] = sign_identity(
                None, "127.0.0.1", GATEWAY_SECRET, now=now
            )
        return headers

    return sign


async def measure(
    batcher: EventBatcher, sources: list[EventSource], rounds: int, together: bool
) -> dict[str, float]:
    runs = batcher.runs
    cpu, wall = time.process_time(), time.perf_counter()
    for round_ in range(rounds):
        if together:
            results = await asyncio.gather(
                *(batcher.execute(s, [event(round_)]) for s in sources)
            )
        else:
            results = [await batcher.execute(s, [event(round_)]) for s in sources]
        for responses in results:
            sender = responses[0]["data"]["messageEvents"]["message"]["sender"]
            assert sender["displayName"], responses
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    events = rounds * len(sources)
    return {
        "events": events,
        "requests": batcher.runs - runs,
        "cpu_us_per_event": round(cpu * 1e6 / events, 1),
        "wall_ms_per_round": round(wall * 1e3 / rounds, 2),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--sign", action="store_true")
    parser.add_argument("--entity-cache", action="store_true")
    args = parser.parse_args()
    logs = Path(os.environ.get("TMPDIR", "/tmp")) / f"agora-bench-{os.getpid()}"
    document = parse(OPERATION)
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    projection = Projection(SCHEMA, document, operation)
    async with real_graph(logs) as graph:
        assert graph.accounts.ready is not None
        url = graph.accounts.ready.removesuffix("/health") + "/graphql"
        transport: SubgraphTransport = Http11Transport("accounts", url)
        if args.entity_cache:
            transport = EntityCacheTransport(transport, EntityCache(10_000, 300))
        batcher = EventBatcher({"accounts": transport})
        sources = [
            EventSource(
                REST,
                projection,
                {"c": f"c{n}"},
                {},
                signer() if args.sign else None,
                None,
            )
            for n in range(args.conversations)
        ]
        await measure(batcher, sources, 2, together=False)  # warm connections
        report = {
            "conversations": args.conversations,
            "sign": args.sign,
            "entity_cache": args.entity_cache,
            "rounds": args.rounds,
            "apart": await measure(batcher, sources, args.rounds, together=False),
            "together": await measure(batcher, sources, args.rounds, together=True),
            "loadavg_1m": round(os.getloadavg()[0], 1),
        }
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    asyncio.run(main())
