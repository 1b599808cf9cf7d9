"""GraphQL multipart requests at the gateway: read as they stream, files spooled,
limits and CSRF as for any simple content type, then sent on as multipart."""

from __future__ import annotations

import json
import tempfile
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.config import load_config
from gateway.request.http import read_http_request
from gateway.request.refusal import Refusal
from gateway.transport.models import SubgraphRequest
from gateway.transport.uploads import FileUpload, UploadTransport, multipart_body

if TYPE_CHECKING:
    from starlette.requests import Request

CSRF = load_config(environ={}).csrf
QUERY = "mutation($file: Upload!) { upload(file: $file) }"


async def _read(request: Request) -> JSONResponse:
    try:
        read = await read_http_request(
            request, max_body_bytes=1000, csrf=CSRF, max_upload_bytes=2000
        )
    except Refusal as refusal:
        return JSONResponse(
            {"code": refusal.code, "message": str(refusal)}, status_code=refusal.status
        )
    assert read.data is not None
    variables = read.data.variables or {}
    return JSONResponse(
        {
            "query": read.data.query,
            "files": {
                name: [value.filename, value.content_type, value.file.read().decode()]
                for name, value in variables.items()
                if isinstance(value, FileUpload)
            },
            "others": {
                k: v for k, v in variables.items() if not isinstance(v, FileUpload)
            },
        }
    )


APP = Starlette(routes=[Route("/graphql", _read, methods=["POST"])])


async def post(
    operations: Any,
    mapping: Any,
    files: dict[str, tuple[str, bytes, str]],
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=APP), base_url="http://gw"
    ) as client:
        return await client.post(
            "/graphql",
            data={"operations": json.dumps(operations), "map": json.dumps(mapping)},
            files=files,
            headers={"apollo-require-preflight": "1"} if headers is None else headers,
        )


OPERATIONS = {"query": QUERY, "variables": {"file": None, "note": "x"}}


async def test_each_mapped_file_takes_its_place_in_the_variables() -> None:
    response = await post(
        OPERATIONS, {"0": ["variables.file"]}, {"0": ("a.csv", b"email\n", "text/csv")}
    )
    assert response.json() == {
        "query": QUERY,
        "files": {"file": ["a.csv", "text/csv", "email\n"]},
        "others": {"note": "x"},
    }


async def test_a_multipart_post_without_a_preflight_header_is_refused_as_csrf() -> None:
    response = await post(
        OPERATIONS, {"0": ["variables.file"]}, {"0": ("a", b"x", "text/plain")}, {}
    )
    assert (response.status_code, response.json()["code"]) == (400, "CSRF_ERROR")


async def test_an_upload_over_the_limit_is_refused_with_413() -> None:
    response = await post(
        OPERATIONS, {"0": ["variables.file"]}, {"0": ("a", b"x" * 5000, "text/plain")}
    )
    assert (response.status_code, response.json()["code"]) == (413, "PAYLOAD_TOO_LARGE")


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"0": ["variables.nothing.here"]}, "names nothing"),
        ({"0": ["variables.note"]}, "must point at a null"),
        ({"1": ["variables.file"]}, "is missing"),
        (["variables.file"], "must be a JSON object"),
    ],
)
async def test_a_map_that_does_not_fit_the_operations_is_a_bad_request(
    mapping: Any, message: str
) -> None:
    response = await post(OPERATIONS, mapping, {"0": ("a", b"x", "text/plain")})
    assert response.status_code == 400
    assert message in response.json()["message"]


async def test_a_request_with_files_reaches_the_subgraph_as_a_multipart_request() -> (
    None
):
    seen: dict[str, Any] = {}

    async def subgraph(request: Request) -> JSONResponse:
        form = await request.form()
        upload = form["0"]
        assert not isinstance(upload, str)
        seen.update(
            operations=json.loads(str(form["operations"])),
            map=json.loads(str(form["map"])),
            file=(upload.filename, await upload.read()),
        )
        return JSONResponse({"data": {"upload": True}})

    class Inner:
        name = "files"
        timeout = 5.0
        app = Starlette(routes=[Route("/graphql", subgraph, methods=["POST"])])
        path = "/graphql"

        async def fetch(self, request: SubgraphRequest) -> Any:
            raise AssertionError("a request with files must not go as JSON")

    spooled = tempfile.SpooledTemporaryFile()
    spooled.write(b"a,b\n" * 50_000)
    upload = FileUpload("big.csv", "text/csv", spooled, 200_000)
    request = SubgraphRequest(
        "files", QUERY, {"file": upload, "note": "x"}, idempotent=False
    )
    response = await UploadTransport(Inner()).fetch(request)  # type: ignore[arg-type]
    content_type, _ = multipart_body(request)
    assert response.data == {"upload": True}
    assert seen == {
        "operations": {"query": QUERY, "variables": {"file": None, "note": "x"}},
        "map": {"0": ["variables.file"]},
        "file": ("big.csv", b"a,b\n" * 50_000),
    }
    assert content_type.startswith("multipart/form-data; boundary=")
