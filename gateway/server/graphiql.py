"""The GraphiQL page served on GET /graphql to browsers, and its files.

No CDN: the page loads a pinned GraphiQL build and its peers (React, ReactDOM) from
the gateway itself, under /graphiql/, each with a Subresource Integrity hash from
`graphiql_assets/manifest.json` (written by scripts/graphiql/fetch.py). The page's
Content-Security-Policy allows nothing but the gateway's own origin (and data: for
the fonts and images GraphiQL's stylesheet inlines), so no request leaves for
another host. Its fetcher POSTs JSON with the `apollo-require-preflight` header and
runs subscriptions over graphql-transport-ws on the same URL (ws: or wss: as the
page), with the headers editor's headers as the connection_init payload.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.routing import BaseRoute

__all__ = [
    "ASSETS",
    "CONTENT_SECURITY_POLICY",
    "GRAPHIQL_HEADERS",
    "GRAPHIQL_HTML",
    "Asset",
    "asset_problems",
    "graphiql_routes",
    "load_manifest",
    "render_page",
]

ASSETS = Path(__file__).with_name("graphiql_assets")
MANIFEST = "manifest.json"
# The page's own scripts and styles, written here rather than fetched from npm.
OWN_PACKAGE = "agora"

# In load order: the stylesheets, then the scripts (each needs the ones before it).
PAGE_STYLES = ("graphiql-4.1.2.css", "agora-graphiql.css")
PAGE_SCRIPTS = (
    "react-18.3.1.production.min.js",
    "react-dom-18.3.1.production.min.js",
    "graphiql-4.1.2.umd.js",
    "agora-graphiql.js",
)

# 'self' covers ws: and wss: of the page's own host (CSP Level 3, "self" matching).
# GraphiQL's stylesheet inlines its fonts and a few images as data: URLs.
_POLICY = (
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
)
# frame-ancestors works only as a header (a <meta> policy ignores it): GraphiQL in
# another site's frame could be clicked into running the user's mutations.
CONTENT_SECURITY_POLICY = "; ".join((*_POLICY, "frame-ancestors 'none'"))
GRAPHIQL_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

_MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".LICENSE": "text/plain; charset=utf-8",
}


@dataclass(frozen=True, slots=True)
class Asset:
    """One file of `graphiql_assets/`, as the manifest describes it."""

    file: str
    package: str
    version: str
    license: str
    source: str  # where it came from: the npm tarball and the path inside it
    sha256: str
    size: int

    @property
    def integrity(self) -> str:
        """The Subresource Integrity value (`sha256-<base64>`)."""
        digest = base64.b64encode(bytes.fromhex(self.sha256)).decode()
        return f"sha256-{digest}"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[Path(self.file).suffix]

    @property
    def cache_control(self) -> str:
        # A vendored file's name carries its version, so its bytes never change;
        # the page's own files keep their names across releases.
        if self.package == OWN_PACKAGE:
            return "no-cache"
        return "public, max-age=31536000, immutable"


def load_manifest(directory: Path = ASSETS) -> dict[str, Asset]:
    """The assets `directory/manifest.json` lists, by file name.

    Raises OSError when the manifest cannot be read, ValueError (JSONDecodeError)
    when it is not JSON, KeyError or TypeError when an entry lacks a field.
    """
    data = json.loads((directory / MANIFEST).read_text())
    assets = [Asset(**entry) for entry in data["files"]]
    return {asset.file: asset for asset in assets}


def asset_problems(directory: Path = ASSETS) -> list[str]:
    """What differs between `directory` and its manifest: files missing, of another
    size or sha256, or present but not listed. Empty when they match."""
    assets = load_manifest(directory)
    problems = []
    for asset in assets.values():
        path = directory / asset.file
        if not path.is_file():
            problems.append(f"{asset.file}: listed in the manifest, missing")
            continue
        data = path.read_bytes()
        if len(data) != asset.size:
            problems.append(f"{asset.file}: {len(data)} bytes, manifest {asset.size}")
        digest = hashlib.sha256(data).hexdigest()
        if digest != asset.sha256:
            problems.append(f"{asset.file}: sha256 {digest}, manifest {asset.sha256}")
    for path in sorted(directory.iterdir()):
        if path.name != MANIFEST and path.name not in assets:
            problems.append(f"{path.name}: not listed in the manifest")
    for name in (*PAGE_STYLES, *PAGE_SCRIPTS):
        if name not in assets:
            problems.append(f"{name}: the page loads it, the manifest lacks it")
    return problems


def render_page(assets: dict[str, Asset]) -> str:
    """The GraphiQL HTML page, each file referenced relative to /graphql (so
    /graphiql/<file>, under whatever prefix a proxy adds) with its integrity."""
    styles = "\n".join(
        f'    <link rel="stylesheet" href="graphiql/{name}"'
        f' integrity="{assets[name].integrity}" />'
        for name in PAGE_STYLES
    )
    scripts = "\n".join(
        f'    <script defer src="graphiql/{name}"'
        f' integrity="{assets[name].integrity}"></script>'
        for name in PAGE_SCRIPTS
    )
    policy = "; ".join(_POLICY)
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta http-equiv="Content-Security-Policy" content="{policy}" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
    <title>Agora GraphiQL</title>
    <link rel="icon" href="data:," />
{styles}
{scripts}
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL...</div>
  </body>
</html>
"""


GRAPHIQL_HTML = render_page(load_manifest())


def graphiql_routes(enabled: bool, directory: Path = ASSETS) -> list[BaseRoute]:
    """GET /graphiql/<file> for the files of the manifest; none when `enabled` is
    false (the `graphiql` switch), so a production gateway serves no GraphiQL."""
    if not enabled:
        return []
    assets = load_manifest(directory)

    async def serve_asset(request: Request) -> Response:
        asset = assets.get(request.path_params["name"])
        if asset is None:
            return PlainTextResponse("Not Found", status_code=404)
        headers = {
            "ETag": f'"{asset.sha256}"',
            "Cache-Control": asset.cache_control,
            "X-Content-Type-Options": "nosniff",
        }
        if headers["ETag"] in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return FileResponse(
            directory / asset.file, media_type=asset.media_type, headers=headers
        )

    return [Route("/graphiql/{name}", serve_asset, methods=["GET"])]
