"""A subgraph process for the gateway's resilience tests: it answers `ping`,
`__typename` and the `write`/`writeOther` mutations, records every request it
receives (headers, query, when), and misbehaves on demand.

    python tests/integration/gateway/_probe_subgraph.py PORT

GET /seen lists the requests received; POST /control {"fail_next": n, "status":
503, "hang": seconds, "hang_mutations": seconds} sets how the next requests go.
Plain ASGI over uvicorn: a real HTTP server, nothing of the gateway's.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import orjson
import uvicorn
from graphql import FieldNode, OperationDefinitionNode, parse

SEEN: list[dict[str, Any]] = []
CONTROL: dict[str, Any] = {"fail_next": 0, "status": 503, "hang": 0.0}


async def read_body(receive: Any) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += bytes(message.get("body", b""))
        if not message.get("more_body"):
            return body


async def respond(send: Any, status: int, payload: object) -> None:
    body = orjson.dumps(payload)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    path = scope["path"]
    if path == "/seen":
        await respond(send, 200, SEEN)
        return
    body = await read_body(receive)
    if path == "/control":
        CONTROL.update(orjson.loads(body))
        await respond(send, 200, CONTROL)
        return
    if path == "/health":
        await respond(send, 200, {"status": "ok"})
        return
    request = orjson.loads(body)
    query: str = request.get("query", "")
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    SEEN.append({"headers": headers, "query": query, "at": time.time()})
    mutation = query.lstrip().startswith("mutation")
    hang = CONTROL.get("hang_mutations", 0.0) if mutation else CONTROL["hang"]
    if hang:
        await asyncio.sleep(hang)
    if CONTROL["fail_next"] > 0:
        CONTROL["fail_next"] -= 1
        await respond(send, CONTROL["status"], {"detail": "failing on purpose"})
        return
    data: dict[str, Any] = {}
    operation = parse(query).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    for selection in operation.selection_set.selections:
        assert isinstance(selection, FieldNode)
        name = selection.name.value
        key = (selection.alias or selection.name).value
        if name == "__typename":
            data[key] = "Mutation" if mutation else "Query"
        else:
            data[key] = "pong" if name == "ping" else f"{name}:{len(SEEN)}"
    await respond(send, 200, {"data": data})


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
