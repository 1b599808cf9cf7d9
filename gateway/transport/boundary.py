"""The seam where foreign failures (httpx, asyncio streams, sockets, TLS, JSON)
become SubgraphErrors."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import httpx
import orjson

from ..errors import (
    SubgraphBadResponse,
    SubgraphError,
    SubgraphTimeout,
    SubgraphUnavailable,
)
from .models import SubgraphResponse

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["decode_response", "translate_error", "translate_errors"]

# First match wins, so subclasses come before their bases (httpx's own layering:
# TimeoutException and NetworkError are TransportErrors, which are HTTPErrors).
_TRANSLATIONS: tuple[tuple[type[BaseException], type[SubgraphError]], ...] = (
    (httpx.TimeoutException, SubgraphTimeout),
    (TimeoutError, SubgraphTimeout),
    (httpx.NetworkError, SubgraphUnavailable),
    (httpx.ProxyError, SubgraphUnavailable),
    (httpx.UnsupportedProtocol, SubgraphUnavailable),
    (httpx.LocalProtocolError, SubgraphUnavailable),
    (httpx.RemoteProtocolError, SubgraphBadResponse),
    (httpx.DecodingError, SubgraphBadResponse),
    (httpx.TooManyRedirects, SubgraphBadResponse),
    (httpx.HTTPStatusError, SubgraphUnavailable),
    (httpx.InvalidURL, SubgraphUnavailable),
    (httpx.StreamError, SubgraphBadResponse),
    (httpx.CookieConflict, SubgraphBadResponse),
    (httpx.HTTPError, SubgraphUnavailable),
    (asyncio.IncompleteReadError, SubgraphUnavailable),
    (asyncio.LimitOverrunError, SubgraphBadResponse),
    (orjson.JSONDecodeError, SubgraphBadResponse),
    (UnicodeDecodeError, SubgraphBadResponse),
    (OSError, SubgraphUnavailable),
)


# Failures that happen before a byte of the request is written: the subgraph
# cannot have seen it (what lets a mutation's failure be reported as certain).
_BEFORE_SENDING = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
    httpx.InvalidURL,
    ConnectionRefusedError,
)


def translate_error(
    subgraph: str, exc: BaseException, timeout: float
) -> SubgraphError | None:
    """The SubgraphError for `exc`, or None when `exc` is not a transport failure."""
    if isinstance(exc, SubgraphError):
        return exc
    sent = not isinstance(exc, _BEFORE_SENDING)
    for foreign, ours in _TRANSLATIONS:
        if isinstance(exc, foreign):
            if ours is SubgraphTimeout:
                return SubgraphTimeout(subgraph, timeout, sent=sent)
            reason = str(exc) or type(exc).__name__
            return ours(subgraph, reason, sent=sent)
    return None


_FOREIGN = tuple(foreign for foreign, _ in _TRANSLATIONS)


@contextlib.contextmanager
def translate_errors(subgraph: str, timeout: float) -> Iterator[None]:
    """Re-raise httpx, JSON and socket failures inside as gateway SubgraphErrors."""
    try:
        yield
    except _FOREIGN as exc:
        ours = translate_error(subgraph, exc, timeout)
        if ours is None:  # unreachable: every class in _FOREIGN has a translation
            raise
        raise ours from exc


def decode_response(
    subgraph: str, status: int, body: bytes, cache_control: bytes | None = None
) -> SubgraphResponse:
    """Decode a subgraph's HTTP answer (and its `Cache-Control` header, if any)
    into a SubgraphResponse.

    A body that is a GraphQL response is used whatever the status (GraphQL over HTTP
    lets a subgraph answer 4xx/5xx with errors); otherwise a 5xx is
    SubgraphUnavailable and anything else SubgraphBadResponse.
    """
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        payload = None
    response = _as_graphql_response(payload)
    if response is not None:
        if cache_control and status == 200 and not response.errors:
            max_age = public_max_age(cache_control)
            if max_age:
                return SubgraphResponse(response.data, (), response.extensions, max_age)
        return response
    if status >= 500:
        raise SubgraphUnavailable(subgraph, f"HTTP {status}", status=status)
    if status >= 400:
        raise SubgraphBadResponse(subgraph, f"HTTP {status} without a GraphQL body")
    raise SubgraphBadResponse(subgraph, "the answer is not a GraphQL response")


def public_max_age(cache_control: bytes) -> int:
    """The seconds a `Cache-Control` value lets a shared cache keep the answer for
    any caller: its `s-maxage`, else its `max-age`, when it says `public`; 0 when
    it says `private`, `no-store` or `no-cache`, or nothing valid."""
    public = False
    max_age = s_maxage = None
    for directive in cache_control.lower().split(b","):
        name, _, value = directive.strip().partition(b"=")
        if name in (b"private", b"no-store", b"no-cache"):
            return 0
        if name == b"public":
            public = True
        elif name in (b"max-age", b"s-maxage"):
            value = value.strip().strip(b'"')
            if not value.isdigit() or len(value) > 10:
                return 0
            if name == b"max-age":
                max_age = int(value)
            else:
                s_maxage = int(value)
    if not public:
        return 0
    chosen = s_maxage if s_maxage is not None else max_age
    return chosen or 0


def _as_graphql_response(payload: object) -> SubgraphResponse | None:
    # GraphQL spec 7.1: a response is a map with `data` and/or `errors`.
    if not isinstance(payload, dict) or not ("data" in payload or "errors" in payload):
        return None
    data = payload.get("data")
    errors = payload.get("errors") or []
    extensions = payload.get("extensions")
    if data is not None and not isinstance(data, dict):
        return None
    if not isinstance(errors, list) or not all(
        isinstance(error, dict) and isinstance(error.get("message"), str)
        for error in errors
    ):
        return None
    if extensions is not None and not isinstance(extensions, dict):
        extensions = None
    return SubgraphResponse(data, tuple(errors), extensions)
