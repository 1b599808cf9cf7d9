"""Cases beside the published federation gateway audit
(graphql-hive/federation-gateway-audit, run whole by scripts/audit/run): Python
subgraphs on the audit suites' themes, each module holding only what the published
suite does not test (a query it does not ask, or the exact errors where it only
checks that there are some).

Each module holds its subgraph SDLs, their data as plain records, and each query
with the whole answer expected. The supergraph is composed by our composer
(`gateway.compose.compose`); `run_case` serves it behind the real gateway through
the shared harness.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from gateway.compose import SubgraphDefinition, compose

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from tests.conformance.harness import GatewayFactory, Subgraph

Case = tuple[str, str, dict[str, Any]]


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


async def run_case(
    gateway: GatewayFactory,
    sdls: Mapping[str, str],
    subgraphs: Callable[[], Mapping[str, Subgraph]],
    query: str,
) -> dict[str, Any]:
    """The gateway's full response to `query` over fresh subgraphs."""
    client = await gateway(supergraph(sdls), subgraphs())
    return await client.query(query)
