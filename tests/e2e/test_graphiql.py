"""GraphiQL in a real browser: headless Chromium, no network beyond the gateway.

The real graph (accounts, chat, inventory in process on SQLite, demo data) behind
a development gateway served by uvicorn. Chromium (Debian's /usr/bin/chromium,
driven by Playwright; no browser download) opens GET /graphql, logs in as the demo
farmer through the page, puts the token in the headers editor, runs a federated
query, then a stockChanged subscription, and sees the event an adjustStock mutation
sent through the gateway causes. Every request the browser makes is checked: any
for another origin is aborted and fails the test, as does a Content-Security-Policy
violation or a script error. Screenshots go to $AGORA_TEST_ARTIFACTS/graphiql/
(default /tmp/agora-artifacts/graphiql/).

Without Chromium or Playwright the test is skipped with the reason, except under
AGORA_REQUIRE_SERVICES=1 (CI), where it fails.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

try:
    from playwright.async_api import expect
except ImportError:  # skipped (or failed, in CI) by the chromium_path fixture
    expect = None

from gateway.config import load_config
from gateway.server import create_app
from gateway.transport import AsgiTransport
from subgraphs.accounts.app import SPEC as ACCOUNTS
from subgraphs.chat.app import SPEC as CHAT
from subgraphs.inventory.app import SPEC as INVENTORY
from subgraphs.kit.embedded import create_embedded
from subgraphs.kit.settings import Settings
from tests.e2e._browser import ARTIFACTS, CHROMIUM_ARGS, chromium_or_skip

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from playwright.async_api import Page, Request, Route

ROOT = Path(__file__).resolve().parents[2]
SUPERGRAPH = (ROOT / "schema" / "supergraph.graphql").read_text()
_DEMO = "7d3c0a2e-0000-4000-8000-000000000"
HILLSIDE_FARM = f"{_DEMO}401"
TOMATOES = f"{_DEMO}501"  # 120 at Hillside, 40 at Riverside in the demo data

LOGIN = """mutation LogIn {
  login(email: "farmer@agora.dev", password: "agora-demo-password") {
    accessToken
    user { displayName }
  }
}"""
FARMS = """query Farms {
  me { displayName tenant { name } }
  farms { name location }
}"""
STOCK_CHANGED = f"""subscription Tomatoes {{
  stockChanged(productId: "{TOMATOES}") {{ farmId quantity reason }}
}}"""
ADJUST = """mutation($input: AdjustStockInput!) {
  adjustStock(input: $input) { quantity }
}"""


@pytest.fixture
def chromium_path() -> str:
    return chromium_or_skip()


@contextlib.asynccontextmanager
async def real_graph(data_dir: Path) -> AsyncIterator[Any]:
    """The development gateway app over the real subgraphs, running in process."""
    settings = Settings(
        database_url=f"sqlite://{data_dir / 'agora.sqlite3'}", data_dir=data_dir
    )
    apps, lifespan = create_embedded([ACCOUNTS, CHAT, INVENTORY], settings)
    transports = {
        name: AsgiTransport(name, app, timeout=10.0) for name, app in apps.items()
    }
    # No keep-alive pings between the events the page waits for.
    config = load_config(environ={}, values={"subscription": {"keepalive": 0}})
    assert config.switch("graphiql"), "development turns GraphiQL on"
    async with lifespan(None):
        yield create_app(SUPERGRAPH, transports=transports, config=config)


async def set_editor(page: Page, section: str, text: str) -> None:
    """Type `text` over the content of the visible editor in `section` (as a
    paste would: no auto-closed brackets)."""
    editor = page.locator(f"{section} .graphiql-editor:not(.hidden) .CodeMirror")
    await editor.click()
    await page.keyboard.press("Control+A")
    await page.keyboard.insert_text(text)


async def run(page: Page, query: str) -> None:
    """Type `query` (one named operation) and run it."""
    await set_editor(page, ".graphiql-query-editor", query)
    # GraphiQL reads the operation's name from the editor a moment after a change
    # and sends the one it holds: the tab shows it once it has the new one.
    name = query.split("{", 1)[0].split()[1]
    await expect(page.locator(".graphiql-tab-button")).to_have_text(name)
    await page.locator(".graphiql-execute-button").click()


async def result_text(page: Page) -> str:
    text: str = await page.evaluate(
        "() => document.querySelector('.result-window .CodeMirror')"
        ".CodeMirror.getValue()"
    )
    return text


async def test_graphiql_runs_a_query_and_a_subscription_offline(
    chromium_path: str,
    tmp_path: Path,
    uvicorn_server: Callable[..., contextlib.AbstractAsyncContextManager[str]],
) -> None:
    from playwright.async_api import async_playwright

    shots = ARTIFACTS / "graphiql"
    shots.mkdir(parents=True, exist_ok=True)
    async with (
        real_graph(tmp_path) as app,
        uvicorn_server(app) as base,
        async_playwright() as playwright,
    ):
        browser = await playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS
        )
        context = await browser.new_context(viewport={"width": 1400, "height": 900})
        foreign: list[str] = []
        seen: list[str] = []
        problems: list[str] = []

        async def only_the_gateway(route: Route, request: Request) -> None:
            if request.url.startswith(base + "/"):
                await route.continue_()
            else:
                foreign.append(request.url)
                await route.abort()

        await context.route("**/*", only_the_gateway)
        page = await context.new_page()
        page.on("request", lambda request: seen.append(request.url))
        posts: list[dict[str, str]] = []
        page.on(
            "request",
            lambda request: (
                posts.append(request.headers)
                if request.url == base + "/graphql" and request.method == "POST"
                else None
            ),
        )
        page.on("websocket", lambda socket: seen.append(socket.url))
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        page.on(
            "console",
            lambda message: (
                problems.append(f"console {message.type}: {message.text}")
                if message.type == "error" or "Content Security" in message.text
                else None
            ),
        )
        try:
            response = await page.goto(base + "/graphql")
            assert response is not None
            assert response.ok
            await expect(page.locator(".graphiql-container")).to_be_visible()
            result = page.locator(".result-window")

            await run(page, LOGIN)
            await expect(result).to_contain_text("Green Farmer")
            token = json.loads(await result_text(page))["data"]["login"]["accessToken"]

            await page.get_by_role("button", name="Headers").click()
            headers = json.dumps({"Authorization": f"Bearer {token}"})
            await set_editor(page, ".graphiql-editor-tool", headers)
            await run(page, FARMS)
            await expect(result).to_contain_text("Green Farms Hillside")
            await expect(result).to_contain_text("Green Farms Riverside")
            answer = json.loads(await result_text(page))
            assert answer["data"]["me"] == {
                "displayName": "Green Farmer",
                "tenant": {"name": "Green Farms"},
            }
            await page.screenshot(path=shots / "query.png")

            await run(page, STOCK_CHANGED)
            # The current levels come first: the subscription is live.
            await expect(result).to_contain_text('"quantity"')
            async with httpx.AsyncClient(base_url=base, timeout=10.0) as http:
                adjusted = await http.post(
                    "/graphql",
                    json={
                        "query": ADJUST,
                        "variables": {
                            "input": {
                                "farmId": HILLSIDE_FARM,
                                "productId": TOMATOES,
                                "delta": -7,
                                "reason": "counted in the GraphiQL test",
                            }
                        },
                    },
                    headers={"authorization": f"Bearer {token}"},
                )
            assert adjusted.json() == {"data": {"adjustStock": {"quantity": 113}}}
            await expect(result).to_contain_text("ADJUSTED")
            event = json.loads(await result_text(page))["data"]["stockChanged"]
            assert event == {
                "farmId": HILLSIDE_FARM,
                "quantity": 113,
                "reason": "ADJUSTED",
            }
            await page.screenshot(path=shots / "subscription.png")
        finally:
            await browser.close()

    assert foreign == []
    assert seen, "the browser made no request"
    socket = base.replace("http://", "ws://", 1)
    assert all(url.startswith((base + "/", socket + "/")) for url in seen), seen
    # The subscription went over the websocket of the page's own URL.
    assert socket + "/graphql" in seen, seen
    assert problems == []
    # Introspection, login, the query: JSON, with the header CSRF prevention asks.
    assert len(posts) >= 3
    for headers in posts:
        assert headers["content-type"] == "application/json"
        assert headers["apollo-require-preflight"] == "true"
