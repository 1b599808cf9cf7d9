"""Three static subgraphs (products, reviews, accounts) on one port, as fast as a
Python responder gets: no GraphQL execution, answers built from the request's
representations, so the benchmark measures the gateway."""

from __future__ import annotations

import sys
from typing import Any

import orjson
import uvicorn

PRODUCTS = orjson.dumps(
    {
        "data": {
            "topProducts": [
                {
                    "__typename": "Product",
                    "upc": str(i),
                    "name": f"Product {i}",
                    "price": i * 100,
                }
                for i in range(10)
            ]
        }
    }
)


def _reviews(representation: dict[str, Any]) -> dict[str, Any]:
    upc = representation["upc"]
    return {
        "reviews": [
            {
                "body": f"Review {j} of {upc}",
                "author": {"__typename": "User", "id": str((int(upc) + j) % 5)},
            }
            for j in range(3)
        ]
    }


def _user(representation: dict[str, Any]) -> dict[str, Any]:
    return {"name": f"User {representation['id']}"}


def answer(path: str, variables: dict[str, Any] | None) -> dict[str, Any]:
    """The `data` of the answer to a request on `path`."""
    if path == "/products":
        return orjson.loads(PRODUCTS)["data"]  # type: ignore[no-any-return]
    representations = (variables or {})["representations"]
    build = _reviews if path == "/reviews" else _user
    return {"_entities": [build(r) for r in representations]}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    path = scope["path"]
    if path == "/products":
        content = PRODUCTS
    else:
        representations = orjson.loads(body)["variables"]["representations"]
        build = _reviews if path == "/reviews" else _user
        content = orjson.dumps(
            {"data": {"_entities": [build(r) for r in representations]}}
        )
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(content)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 4101
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
