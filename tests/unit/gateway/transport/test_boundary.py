"""Every foreign failure at the transport seam becomes a gateway SubgraphError."""

from __future__ import annotations

import asyncio
import ssl

import httpx
import orjson
import pytest

from gateway.errors import (
    SubgraphBadResponse,
    SubgraphError,
    SubgraphTimeout,
    SubgraphUnavailable,
)
from gateway.transport import decode_response, translate_errors

REQUEST = httpx.Request("POST", "http://subgraph.test/graphql")
RESPONSE = httpx.Response(500, request=REQUEST)

EXPECTED: dict[str, type[SubgraphError]] = {
    "CloseError": SubgraphUnavailable,
    "ConnectError": SubgraphUnavailable,
    "ConnectTimeout": SubgraphTimeout,
    "CookieConflict": SubgraphBadResponse,
    "DecodingError": SubgraphBadResponse,
    "HTTPError": SubgraphUnavailable,
    "HTTPStatusError": SubgraphUnavailable,
    "InvalidURL": SubgraphUnavailable,
    "LocalProtocolError": SubgraphUnavailable,
    "NetworkError": SubgraphUnavailable,
    "PoolTimeout": SubgraphTimeout,
    "ProtocolError": SubgraphUnavailable,
    "ProxyError": SubgraphUnavailable,
    "ReadError": SubgraphUnavailable,
    "ReadTimeout": SubgraphTimeout,
    "RemoteProtocolError": SubgraphBadResponse,
    "RequestError": SubgraphUnavailable,
    "RequestNotRead": SubgraphBadResponse,
    "ResponseNotRead": SubgraphBadResponse,
    "StreamClosed": SubgraphBadResponse,
    "StreamConsumed": SubgraphBadResponse,
    "StreamError": SubgraphBadResponse,
    "TimeoutException": SubgraphTimeout,
    "TooManyRedirects": SubgraphBadResponse,
    "TransportError": SubgraphUnavailable,
    "UnsupportedProtocol": SubgraphUnavailable,
    "WriteError": SubgraphUnavailable,
    "WriteTimeout": SubgraphTimeout,
}


def _instance(cls: type[Exception]) -> Exception:
    if cls is httpx.HTTPStatusError:
        return cls("500", request=REQUEST, response=RESPONSE)
    for arguments in ({"request": REQUEST}, {}):
        try:
            return cls("failure", **arguments)
        except TypeError:
            continue
    return cls()


def test_mapping_covers_every_exception_httpx_exports() -> None:
    exported = {
        name
        for name in httpx.__all__
        if isinstance(getattr(httpx, name), type)
        and issubclass(getattr(httpx, name), Exception)
    }
    assert exported == set(EXPECTED)


@pytest.mark.parametrize(("name", "expected"), sorted(EXPECTED.items()))
def test_httpx_exception_is_translated(
    name: str, expected: type[SubgraphError]
) -> None:
    with pytest.raises(SubgraphError) as caught, translate_errors("accounts", 2.0):
        raise _instance(getattr(httpx, name))
    assert type(caught.value) is expected
    assert caught.value.subgraph == "accounts"


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (TimeoutError(), SubgraphTimeout),
        (ConnectionRefusedError("refused"), SubgraphUnavailable),
        (orjson.JSONDecodeError("bad", "x", 0), SubgraphBadResponse),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad"), SubgraphBadResponse),
        (asyncio.IncompleteReadError(b"HTTP/1.1", 100), SubgraphUnavailable),
        (asyncio.LimitOverrunError("header too long", 0), SubgraphBadResponse),
        (ssl.SSLError("bad certificate"), SubgraphUnavailable),
        (ConnectionResetError("reset"), SubgraphUnavailable),
    ],
)
def test_timeouts_sockets_and_json_failures_are_translated(
    exc: Exception, expected: type[SubgraphError]
) -> None:
    with pytest.raises(expected), translate_errors("accounts", 1.0):
        raise exc


def test_timeout_error_carries_the_subgraphs_timeout() -> None:
    with pytest.raises(SubgraphTimeout) as caught, translate_errors("chat", 1.5):
        raise TimeoutError
    assert caught.value.message == "Subgraph 'chat' failed: no response within 1.5s"


def test_programming_errors_are_not_hidden() -> None:
    with pytest.raises(KeyError), translate_errors("accounts", 1.0):
        raise KeyError("bug")


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, b"not json", SubgraphBadResponse),
        (200, b"[1, 2]", SubgraphBadResponse),
        (200, b'{"data": 3}', SubgraphBadResponse),
        (200, b'{"errors": [{"nomessage": 1}]}', SubgraphBadResponse),
        (200, b'{"hello": "world"}', SubgraphBadResponse),
        (502, b"<html>bad gateway</html>", SubgraphUnavailable),
        (404, b"not found", SubgraphBadResponse),
    ],
)
def test_answers_that_are_not_graphql_responses_are_refused(
    status: int, body: bytes, expected: type[SubgraphError]
) -> None:
    with pytest.raises(expected):
        decode_response("accounts", status, body)


def test_graphql_error_body_is_used_whatever_the_status() -> None:
    response = decode_response("accounts", 400, b'{"errors": [{"message": "no"}]}')
    assert response.data is None
    assert response.errors == ({"message": "no"},)
