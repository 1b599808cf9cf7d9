"""What the bench can load gateways with: a set of fixture subgraphs, the supergraph
composed from them, and the operations sent. Gateways serve one supergraph, so the
runner measures one workload at a time (its subgraphs and gateways are started for it,
then stopped)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import fixture_data
import gateways_benchmark

if TYPE_CHECKING:
    from collections.abc import Callable

    from fixture_data import Operation

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True, slots=True)
class Workload:
    name: str
    # Each subgraph's SDL: fixtures/NAME.graphql.
    fixtures: Path
    supergraph: Path
    # In port order: subgraph i listens on port_base + i (the supergraph says so).
    subgraph_names: tuple[str, ...]
    port_base: int
    load_operations: Callable[[], dict[str, Operation]]

    @property
    def ports(self) -> range:
        return range(self.port_base, self.port_base + len(self.subgraph_names))


WORKLOADS = {
    "peers": Workload(
        "peers",
        HERE / "fixtures",
        HERE / "supergraph.graphql",
        ("products", "reviews", "accounts"),
        43101,
        fixture_data.load_operations,
    ),
    "gateways-benchmark": Workload(
        "gateways-benchmark",
        gateways_benchmark.WORKLOAD_DIR / "fixtures",
        gateways_benchmark.WORKLOAD_DIR / "supergraph.graphql",
        gateways_benchmark.SUBGRAPH_NAMES,
        43111,
        gateways_benchmark.load_operations,
    ),
}


def all_operations() -> dict[str, tuple[Workload, Operation]]:
    """Every operation the bench knows, by name, with its workload, in run order."""
    return {
        name: (workload, operation)
        for workload in WORKLOADS.values()
        for name, operation in workload.load_operations().items()
    }
