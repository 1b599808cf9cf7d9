"""File uploads to a subgraph: the GraphQL multipart request spec, streamed.

A request whose variables hold `FileUpload`s (put there by
gateway.request.multipart) cannot go as JSON: `UploadTransport` sends it as a
multipart request (jaydenseric's GraphQL multipart request spec, v2: an
`operations` part with each file's place null, a `map` part, then one part per
file) and hands every other request to the transport it wraps. The files are read
from their spooled temporary files in chunks while the body is sent, so no file is
held whole in memory; they travel over httpx, to the subgraph's URL or, in
process, to its ASGI app.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

import httpx
import orjson

from .boundary import decode_response, translate_errors

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from .models import SubgraphRequest, SubgraphResponse, SubgraphTransport

__all__ = ["FileUpload", "UploadTransport", "find_uploads", "multipart_body"]

CHUNK = 64 * 1024


@dataclass(eq=False, slots=True)
class FileUpload:
    """A file a client uploaded, held in a (spooled) temporary file."""

    filename: str
    content_type: str
    file: IO[bytes]
    size: int

    def __repr__(self) -> str:
        return f"FileUpload({self.filename!r}, {self.size} bytes)"


def find_uploads(
    value: Any, path: str = "variables"
) -> Iterator[tuple[str, FileUpload]]:
    """(object path, upload) for every FileUpload inside `value`, in order."""
    if isinstance(value, FileUpload):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from find_uploads(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from find_uploads(item, f"{path}.{index}")


def _without_files(value: Any) -> Any:
    if isinstance(value, FileUpload):
        return None
    if isinstance(value, dict):
        return {key: _without_files(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_files(item) for item in value]
    return value


def _quoted(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace('"', "%22")
        .replace("\r", "")
        .replace("\n", "")
    )


def multipart_body(
    request: SubgraphRequest, boundary: str | None = None
) -> tuple[str, AsyncIterator[bytes]]:
    """(content type, body chunks) of `request` as a GraphQL multipart request."""
    boundary = boundary or secrets.token_hex(16)
    uploads = list(find_uploads(request.variables))
    body = request.body()
    body["variables"] = _without_files(request.variables)
    mapping = {str(index): [path] for index, (path, _) in enumerate(uploads)}
    dash = f"--{boundary}".encode()

    def field(name: str, value: bytes) -> bytes:
        return (
            dash
            + f'\r\ncontent-disposition: form-data; name="{name}"\r\n'.encode()
            + b"content-type: application/json\r\n\r\n"
            + value
            + b"\r\n"
        )

    async def chunks() -> AsyncIterator[bytes]:
        yield field("operations", orjson.dumps(body)) + field(
            "map", orjson.dumps(mapping)
        )
        for index, (_, upload) in enumerate(uploads):
            yield (
                dash
                + f'\r\ncontent-disposition: form-data; name="{index}"; '
                f'filename="{_quoted(upload.filename)}"\r\n'
                f"content-type: {_quoted(upload.content_type)}\r\n\r\n".encode()
            )
            await asyncio.to_thread(upload.file.seek, 0)
            while chunk := await asyncio.to_thread(upload.file.read, CHUNK):
                yield chunk
            yield b"\r\n"
        yield dash + b"--\r\n"

    return f"multipart/form-data; boundary={boundary}", chunks()


class UploadTransport:
    """`inner` for JSON requests; a multipart POST over httpx for those with files.

    The subgraph is reached the way `inner` reaches it: its `url`, or its ASGI
    `app` (in process) at `path`.
    """

    def __init__(self, inner: SubgraphTransport, *, timeout: float | None = None):
        self.inner = inner
        self.name: str = getattr(inner, "name", "subgraph")
        self.timeout = (
            timeout if timeout is not None else float(getattr(inner, "timeout", 30.0))
        )
        app = getattr(inner, "app", None)
        if app is not None:
            path = getattr(inner, "path", "/graphql")
            self._url = f"http://{self.name}{path}"
            self._transport: httpx.AsyncBaseTransport | None = httpx.ASGITransport(
                app=app
            )
        else:
            self._url = str(getattr(inner, "url", ""))
            self._transport = None

    def __getattr__(self, name: str) -> Any:
        # url, app, aclose, start...: the wrapped transport's.
        return getattr(self.inner, name)

    async def fetch(self, request: SubgraphRequest) -> SubgraphResponse:
        # Files ride only in variables of an Upload type, which the operation then
        # declares: a document without the word needs no walk of its variables
        # (an entity fetch's representations can be large).
        if "Upload" not in request.query or (
            next(find_uploads(request.variables), None) is None
        ):
            return await self.inner.fetch(request)
        content_type, body = multipart_body(request)
        headers = {
            **request.headers,
            "content-type": content_type,
            "accept": "application/graphql-response+json, application/json",
        }
        with translate_errors(self.name, self.timeout):
            async with (
                asyncio.timeout(self.timeout),
                httpx.AsyncClient(
                    transport=self._transport, timeout=self.timeout + 1.0
                ) as client,
            ):
                response = await client.post(self._url, content=body, headers=headers)
            return decode_response(self.name, response.status_code, response.content)
