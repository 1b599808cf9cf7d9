"""The suites the differential test runs: our composition fixtures (over synthetic
subgraphs) or the published audit's supergraphs (over the audit's own subgraphs)."""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from gateway.supergraph import load_supergraph
from gateway.transport import AsgiTransport

from .compare import agora_client, run_operations
from .operations import random_operations
from .peers import serve_apps
from .synthetic import SyntheticGraph

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from .compare import Outcome
    from .peers import PeerGateways

__all__ = ["FIXTURES", "Suite", "audit_suites", "fixture_suites", "run_suite"]

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "composition"
_GRAPH = re.compile(r'@join__graph\(name: "([^"]+)", url: "([^"]*)"\)')


@dataclass(frozen=True, slots=True)
class Suite:
    """A supergraph to compare over: `graph` answers its subgraphs synthetically,
    or None when they are served elsewhere at the URLs of `supergraph_sdl`."""

    name: str
    supergraph_sdl: str
    graph: SyntheticGraph | None = None


# Supergraph features no reference enforces (Agora refuses what they guard).
_ENFORCED_BY_AGORA_ONLY = ("/authenticated/", "/requiresScopes/", "/policy/")


def fixture_suites(names: list[str] | None = None) -> list[Suite]:
    """Every composition fixture the reference composer composed (or `names`),
    but those with authorization directives: the references ignore them."""
    suites = []
    for directory in sorted(FIXTURES.iterdir()):
        supergraph = directory / "supergraph.graphql"
        if not supergraph.exists() or (names and directory.name not in names):
            continue
        if any(f in supergraph.read_text() for f in _ENFORCED_BY_AGORA_ONLY):
            continue
        manifest = json.loads((directory / "manifest.json").read_text())
        sdls = {
            s["name"]: (directory / s["file"]).read_text()
            for s in manifest["subgraphs"]
        }
        suites.append(
            Suite(directory.name, supergraph.read_text(), SyntheticGraph(sdls))
        )
    return suites


async def audit_suites(base_url: str, names: list[str] | None = None) -> list[Suite]:
    """The audit's suites as its subgraph server (`serve`) at `base_url` gives them."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        ids = (await client.get("/ids")).json()
        return [
            Suite(name, (await client.get(f"/{name}/supergraph")).text)
            for name in ids
            if not names or name in names
        ]


@contextlib.asynccontextmanager
async def synthetic_server(suites: list[Suite]) -> AsyncIterator[int]:
    """Serve the synthetic subgraphs of `suites` at /<suite>/<subgraph>."""
    apps = {
        f"{suite.name}/{name}": suite.graph.app(name)
        for suite in suites
        if suite.graph is not None
        for name in suite.graph.sdls
    }
    async with serve_apps(apps) as port:
        yield port


async def run_suite(
    suite: Suite,
    peers: PeerGateways,
    references: tuple[str, ...],
    seed: int,
    count: int,
    port: int | None = None,
) -> list[Outcome]:
    """`count` operations drawn from `seed` over `suite`, through Agora and the
    references. Synthetic subgraphs are reached at 127.0.0.1:`port` by the
    references and in process by Agora."""
    sdl = suite.supergraph_sdl
    transports = None
    if suite.graph is not None:
        sdl = _GRAPH.sub(
            lambda m: (
                f'@join__graph(name: "{m[1]}", url: '
                f'"http://127.0.0.1:{port}/{suite.name}/{m[1]}")'
            ),
            sdl,
        )
        graph = suite.graph
        transports = {name: AsgiTransport(name, graph.app(name)) for name in graph.sdls}
    await peers.register(suite.name, sdl)
    operations = random_operations(load_supergraph(sdl).api_schema, seed, count)
    async with agora_client(sdl, transports) as agora:
        # Synthetic subgraphs keep no state; the audit's may (mutations).
        return await run_operations(
            suite.name,
            agora,
            peers,
            references,
            operations,
            together=suite.graph is not None,
        )
