"""Audit suites: our Python re-implementations of The Guild's federation gateway
audit (the-guild-org/graphql-federation-gateway-audit, src/test-suites/<suite>).

Each module holds one suite: its subgraph SDLs, their data as plain records, and
each query with the answer the audit expects. The supergraph is composed by our
composer (`gateway.compose.compose`), unless the suite passes `reference=`: then
it is supergraphs/<module>.graphql, made by the reference composer
(compose_reference.py) where ours rejects or differs. `run_case` serves it
behind the real gateway through the shared harness.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway.compose import SubgraphDefinition, compose

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from tests.conformance.harness import GatewayFactory, Subgraph

Case = tuple[str, str, dict[str, Any]]

SUPERGRAPHS = Path(__file__).resolve().parent / "supergraphs"


def link(version: str, *imports: str) -> str:
    """The `extend schema @link(...)` line of a federation 2 subgraph."""
    names = ", ".join(f'"{name}"' for name in imports)
    return (
        f'extend schema @link(url: "https://specs.apollo.dev/federation/v{version}",'
        f" import: [{names}])\n"
    )


@cache
def _compose(sdls: tuple[tuple[str, str], ...]) -> str:
    result = compose(
        [
            SubgraphDefinition(name, f"http://{name}.audit/graphql", sdl)
            for name, sdl in sdls
        ]
    )
    assert result.supergraph_sdl is not None, result.errors
    return result.supergraph_sdl


def supergraph(sdls: Mapping[str, str]) -> str:
    """The supergraph our composer makes of `sdls` (composed once per suite)."""
    return _compose(tuple(sdls.items()))


def reference_supergraph(module: str) -> str:
    """The reference composer's supergraph for the suite in `module`, checked in."""
    return (SUPERGRAPHS / f"{module.rsplit('.', 1)[-1]}.graphql").read_text()


async def run_case(
    gateway: GatewayFactory,
    sdls: Mapping[str, str],
    subgraphs: Callable[[], Mapping[str, Subgraph]],
    query: str,
    *,
    reference: str | None = None,
) -> dict[str, Any]:
    """The gateway's full response to `query` over fresh subgraphs; `reference`
    (a module's `__name__`) serves that suite's reference supergraph instead."""
    sdl = supergraph(sdls) if reference is None else reference_supergraph(reference)
    client = await gateway(sdl, subgraphs())
    return await client.query(query)
