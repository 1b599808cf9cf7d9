"""CORS and the websocket Origin check, as a real browser enforces them.

A page served from another origin (another port) calls the gateway with fetch()
and opens a graphql-transport-ws socket to it. With no CORS origin configured the
browser blocks the fetch and the gateway refuses the socket; with the page's origin
in `cors.allow_origins` both work (the preflight is answered, credentials too).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from gateway.config import load_config
from gateway.server import create_app
from gateway.transport import MockTransport
from tests.e2e._browser import CHROMIUM_ARGS, chromium_or_skip

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.requests import Request

    from gateway.transport import SubgraphRequest
    from gateway.types import JSONObject

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "composition"
SINGLE = (FIXTURES / "single_subgraph" / "supergraph.graphql").read_text()

# The page tries both, and writes what happened into #result as JSON.
PAGE = """<!doctype html><html><body><pre id="result">pending</pre><script>
const gateway = new URLSearchParams(location.search).get("gateway");
async function tryFetch() {
  try {
    const response = await fetch(gateway, {
      method: "POST",
      credentials: "include",
      headers: {"content-type": "application/json", "apollo-require-preflight": "1"},
      body: JSON.stringify({query: "{ me { id } }"}),
    });
    return {ok: true, body: await response.json()};
  } catch (error) {
    return {ok: false, error: String(error)};
  }
}
function trySocket() {
  return new Promise((resolve) => {
    const socket = new WebSocket(gateway.replace("http", "ws"), "graphql-transport-ws");
    socket.onopen = () => socket.send(JSON.stringify({type: "connection_init"}));
    socket.onmessage = (event) => {
      socket.close();
      resolve({ok: true, first: JSON.parse(event.data)});
    };
    socket.onerror = () => resolve({ok: false});
    socket.onclose = (event) => resolve({ok: false, code: event.code});
  });
}
(async () => {
  const result = {fetch: await tryFetch(), socket: await trySocket()};
  document.getElementById("result").textContent = JSON.stringify(result);
})();
</script></body></html>"""


def answer(request: SubgraphRequest) -> JSONObject:
    return {"data": {"me": {"id": "1"}}}


async def page(request: Request) -> HTMLResponse:
    return HTMLResponse(PAGE)


async def visit(
    uvicorn_server: Callable[..., contextlib.AbstractAsyncContextManager[str]],
    values: Callable[[str], dict[str, Any]],
) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    chromium = chromium_or_skip()
    site = Starlette(routes=[Route("/", page)])
    async with contextlib.AsyncExitStack() as stack:
        origin = await stack.enter_async_context(uvicorn_server(site))
        gateway_app = create_app(
            SINGLE,
            transports={"accounts": MockTransport(answer)},
            config=load_config(environ={}, values=values(origin)),
        )
        gateway = await stack.enter_async_context(uvicorn_server(gateway_app))
        playwright = await stack.enter_async_context(async_playwright())
        browser = await playwright.chromium.launch(
            executable_path=chromium, args=CHROMIUM_ARGS
        )
        try:
            tab = await browser.new_page()
            await tab.goto(f"{origin}/?gateway={gateway}/graphql")
            result = tab.locator("#result")
            await result.filter(has_not_text="pending").wait_for(timeout=10_000)
            text = await result.text_content()
        finally:
            await browser.close()
    assert text is not None
    return dict(json.loads(text))


@pytest.mark.parametrize("allowed", [False, True])
async def test_another_origin_is_blocked_unless_cors_allows_it(
    uvicorn_server: Callable[..., contextlib.AbstractAsyncContextManager[str]],
    allowed: bool,
) -> None:
    def values(origin: str) -> dict[str, Any]:
        if not allowed:
            return {}
        return {"cors": {"allow_origins": [origin], "allow_credentials": True}}

    result = await visit(uvicorn_server, values)
    if allowed:
        assert result["fetch"] == {"ok": True, "body": {"data": {"me": {"id": "1"}}}}
        assert result["socket"] == {"ok": True, "first": {"type": "connection_ack"}}
    else:
        # The browser refuses to hand the page the answer (no CORS headers)...
        assert result["fetch"]["ok"] is False
        assert "Failed to fetch" in result["fetch"]["error"]
        # ...and the gateway refuses the socket of a foreign Origin itself.
        assert result["socket"]["ok"] is False
