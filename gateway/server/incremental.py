"""@defer over HTTP: a request's payloads as a multipart/mixed response.

The response Apollo Router sends and Apollo Client reads: `multipart/mixed;
boundary="graphql";deferSpec=20220824`, one part per payload, each `content-type:
application/json`. Only a client whose Accept names `multipart/mixed` gets it; any
other gets the whole response in one JSON body (the deferred fragments fetched
after the others). The payloads themselves: gateway.request.incremental.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import orjson
from starlette.responses import StreamingResponse

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator

    from ..request.incremental import IncrementalAnswer
    from ..types import JSONObject

__all__ = ["MULTIPART_MIXED", "accepts_multipart", "multipart_response"]

MULTIPART_MIXED = "multipart/mixed"
_BOUNDARY = "graphql"
_CONTENT_TYPE = f'{MULTIPART_MIXED};boundary="{_BOUNDARY}";deferSpec=20220824'
# Each part is followed by the next delimiter at once: a reader knows a part is
# whole when the delimiter after it arrives (Apollo Client's parser does).
_OPEN = f"\r\n--{_BOUNDARY}".encode()
_PART = b"\r\ncontent-type: application/json; charset=utf-8\r\n\r\n"
_CLOSE = b"--\r\n"


def accepts_multipart(accept: str) -> bool:
    """Whether an Accept header takes incremental delivery as multipart/mixed."""
    return any(
        part.split(";", 1)[0].strip().lower() == MULTIPART_MIXED
        for part in accept.split(",")
    )


def multipart_response(answer: IncrementalAnswer) -> StreamingResponse:
    """The multipart/mixed HTTP response streaming `answer`'s payloads."""
    return StreamingResponse(
        _parts(answer.payloads),
        media_type=_CONTENT_TYPE,
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )


async def _parts(
    payloads: AsyncGenerator[JSONObject, None],
) -> AsyncIterator[bytes]:
    try:
        yield _OPEN
        async for payload in payloads:
            yield _PART + orjson.dumps(payload) + _OPEN
        yield _CLOSE
    finally:
        with contextlib.suppress(Exception):
            await payloads.aclose()
