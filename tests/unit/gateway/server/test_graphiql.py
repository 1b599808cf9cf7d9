"""GraphiQL without a CDN: the committed files, the page, its policy, the routes."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from gateway.config import load_config
from gateway.server import create_app
from gateway.server.graphiql import (
    ASSETS,
    CONTENT_SECURITY_POLICY,
    GRAPHIQL_HTML,
    OWN_PACKAGE,
    PAGE_SCRIPTS,
    PAGE_STYLES,
    asset_problems,
    graphiql_routes,
    load_manifest,
)
from gateway.transport import MockTransport

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

FIXTURES = Path(__file__).resolve().parents[4] / "tests" / "fixtures" / "composition"
SINGLE = (FIXTURES / "single_subgraph" / "supergraph.graphql").read_text()
GRAPHIQL_JS = "graphiql-4.1.2.umd.js"


async def _open(values: dict[str, object]) -> httpx.AsyncClient:
    config = load_config(environ={}, values=values)
    accounts = MockTransport(lambda request: {"data": {}})
    app = create_app(SINGLE, transports={"accounts": accounts}, config=config)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway"
    )


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with await _open({}) as opened:
        yield opened


@pytest.fixture
async def production() -> AsyncIterator[httpx.AsyncClient]:
    values = {
        "production": True,
        "secret": "graphiql-test-gateway-secret-0123456789abcdef",
        "auth": {"jwt_secret": "graphiql-test-jwt-secret-0123456789abcdefghij"},
    }
    async with await _open(values) as opened:
        yield opened


def test_the_committed_files_match_their_manifest() -> None:
    assert asset_problems() == []


def test_every_vendored_file_names_its_pinned_package_version_and_license() -> None:
    vendored = [a for a in load_manifest().values() if a.package != OWN_PACKAGE]

    assert {(a.package, a.version) for a in vendored} == {
        ("graphiql", "4.1.2"),
        ("react", "18.3.1"),
        ("react-dom", "18.3.1"),
    }
    for asset in vendored:
        assert asset.file.startswith(f"{asset.package}-{asset.version}.")
        assert asset.source.startswith(f"npm:{asset.package}@{asset.version}:")
        assert asset.license == "MIT"
        assert f"{asset.package}-{asset.version}.LICENSE" in load_manifest()


def test_a_changed_missing_or_unlisted_file_is_a_problem(tmp_path: Path) -> None:
    copy = tmp_path / "assets"
    shutil.copytree(ASSETS, copy)
    (copy / "agora-graphiql.js").write_text("alert('changed')\n")
    (copy / "react-18.3.1.LICENSE").unlink()
    (copy / "extra.js").write_text("")

    problems = asset_problems(copy)

    assert any(p.startswith("agora-graphiql.js: sha256") for p in problems)
    assert "react-18.3.1.LICENSE: listed in the manifest, missing" in problems
    assert "extra.js: not listed in the manifest" in problems


def test_the_page_loads_only_its_own_files_each_with_its_hash() -> None:
    assets = load_manifest()
    references = re.findall(
        r'(?:src|href)="([^"]*)" integrity="([^"]*)"', GRAPHIQL_HTML
    )

    assert [url for url, _ in references] == [
        f"graphiql/{name}" for name in (*PAGE_STYLES, *PAGE_SCRIPTS)
    ]
    for url, integrity in references:
        assert integrity == assets[url.removeprefix("graphiql/")].integrity
    assert "://" not in GRAPHIQL_HTML


def test_the_page_has_no_inline_script_or_style() -> None:
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", GRAPHIQL_HTML, re.S)

    assert len(scripts) == len(PAGE_SCRIPTS)
    assert all("src=" in attributes and not body for attributes, body in scripts)
    assert "<style" not in GRAPHIQL_HTML
    assert not re.search(r"\son\w+=", GRAPHIQL_HTML)


def test_the_policy_names_no_other_origin() -> None:
    directives = dict(
        part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";")
    )

    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    sources = {source for value in directives.values() for source in value.split()}
    assert sources <= {"'self'", "'none'", "data:"}


def test_the_page_integrity_is_the_base64_sha256_of_the_file() -> None:
    asset = load_manifest()[GRAPHIQL_JS]
    digest = hashlib.sha256((ASSETS / GRAPHIQL_JS).read_bytes()).digest()

    assert asset.integrity == "sha256-" + base64.b64encode(digest).decode()


async def test_the_page_is_served_with_its_policy(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"accept": "text/html"})

    assert response.status_code == 200
    assert response.text == GRAPHIQL_HTML
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["x-frame-options"] == "DENY"


async def test_a_file_is_served_as_the_manifest_says(
    client: httpx.AsyncClient,
) -> None:
    asset = load_manifest()[GRAPHIQL_JS]

    response = await client.get(f"/graphiql/{GRAPHIQL_JS}")

    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == asset.sha256
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["etag"] == f'"{asset.sha256}"'
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_the_pages_own_script_is_revalidated(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphiql/agora-graphiql.js")

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"


async def test_a_known_etag_is_answered_304(client: httpx.AsyncClient) -> None:
    etag = f'"{load_manifest()[GRAPHIQL_JS].sha256}"'

    response = await client.get(
        f"/graphiql/{GRAPHIQL_JS}", headers={"if-none-match": etag}
    )

    assert response.status_code == 304
    assert response.content == b""


@pytest.mark.parametrize(
    "path",
    [
        "/graphiql/manifest.json",
        "/graphiql/graphiql-4.1.2.umd.js.map",
        "/graphiql/..%2Fgraphiql.py",
        "/graphiql/",
    ],
)
async def test_only_the_manifests_files_are_served(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)

    assert response.status_code == 404


async def test_a_production_gateway_serves_no_graphiql_files(
    production: httpx.AsyncClient,
) -> None:
    response = await production.get(f"/graphiql/{GRAPHIQL_JS}")

    assert response.status_code == 404
    assert graphiql_routes(False) == []
