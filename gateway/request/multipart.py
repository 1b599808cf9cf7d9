"""Read a GraphQL multipart request (file uploads) off HTTP.

The GraphQL multipart request spec (jaydenseric, v2): a `multipart/form-data` POST
whose `operations` field is the request's JSON with `null` where each file goes,
whose `map` field is `{"<part name>": ["variables.file", ...]}`, followed by one
part per file. The body is parsed as it streams (starlette's parser): fields are
held up to `max_field_bytes`, files are spooled to temporary files (in memory up to
1 MiB, then on disk); past `max_upload_bytes` for the whole body the request is
refused with 413 before anything else is read. Each file then stands in its places
as a `FileUpload`, which the transport sends on to the subgraph
(gateway.transport.uploads). Only single operations are taken, not batches.

`max_upload_bytes` (gateway.yaml, default 50 MiB) sets the limit; CSRF prevention
applies as to any simple content type (the caller checks it first).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from ..transport.uploads import FileUpload
from .params import request_data
from .refusal import Refusal

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from starlette.requests import Request

    from .params import GraphQLRequestData

__all__ = [
    "DEFAULT_MAX_UPLOAD_BYTES",
    "MAX_FILES",
    "MULTIPART_FORM_DATA",
    "read_multipart_request",
]

MULTIPART_FORM_DATA = "multipart/form-data"
DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_FILES = 10


class _TooLarge(Exception):
    pass


def _too_large(limit: int) -> Refusal:
    return Refusal.of(f"The upload exceeds {limit} bytes.", "PAYLOAD_TOO_LARGE", 413)


async def _limited(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        yield chunk


async def read_multipart_request(
    request: Request, *, max_field_bytes: int, max_upload_bytes: int
) -> GraphQLRequestData:
    """The request's GraphQL parameters with a FileUpload in each mapped place;
    raises Refusal for a body over the limit (413) or not of the spec's shape (400).
    """
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_upload_bytes:
        raise _too_large(max_upload_bytes)
    parser = MultiPartParser(
        request.headers,
        _limited(request, max_upload_bytes),
        max_files=MAX_FILES,
        max_fields=2,
        max_part_size=max_field_bytes,
    )
    try:
        form = await parser.parse()
    except _TooLarge:
        raise _too_large(max_upload_bytes) from None
    except MultiPartException as error:
        raise Refusal.of(f"The multipart body is malformed: {error.message}") from None
    operations = _json_field(form.get("operations"), "operations")
    mapping = _json_field(form.get("map"), "map")
    if isinstance(operations, list):
        raise Refusal.of("Batched multipart requests are not supported.")
    if not isinstance(mapping, dict):
        raise Refusal.of("'map' must be a JSON object.")
    for name, paths in mapping.items():
        upload = form.get(name)
        if not isinstance(upload, UploadFile):
            raise Refusal.of(f"The file part {name!r} the map names is missing.")
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise Refusal.of(f"'map.{name}' must be a list of object paths.")
        value = FileUpload(
            filename=upload.filename or name,
            content_type=upload.content_type or "application/octet-stream",
            file=upload.file,
            size=upload.size or 0,
        )
        for path in paths:
            _place(operations, path, value)
    return request_data(operations)


def _json_field(value: object, name: str) -> Any:
    if not isinstance(value, str):
        raise Refusal.of(f"The multipart request needs an '{name}' field first.")
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        raise Refusal.of(f"'{name}' is not valid JSON.") from None


def _place(operations: Any, path: str, value: FileUpload) -> None:
    """Put `value` at `path` (like `variables.files.0`), where a null must be."""
    *parents, last = path.split(".")
    target = operations
    try:
        for step in parents:
            target = target[int(step)] if isinstance(target, list) else target[step]
        place: int | str = int(last) if isinstance(target, list) else last
        if target[place] is not None:
            raise Refusal.of(f"The map path {path!r} must point at a null.")
        target[place] = value
    except (KeyError, IndexError, ValueError, TypeError):
        raise Refusal.of(
            f"The map path {path!r} names nothing in operations."
        ) from None
