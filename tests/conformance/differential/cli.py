"""The differential test on demand (scripts/differential/run): counts per verdict
and suite on stdout, every operation that is not AGREE in a JSON report."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from .compare import Verdict
from .peers import PeerGateways, node_ready
from .suites import audit_suites, fixture_suites, run_suite, synthetic_server

if TYPE_CHECKING:
    from .compare import Outcome
    from .suites import Suite

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/differential/run", description=__doc__
    )
    parser.add_argument("source", choices=("fixtures", "audit"))
    parser.add_argument("--audit-url", default="http://127.0.0.1:4200")
    parser.add_argument("--suite", action="append", default=[])
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--count", type=int, default=30, help="operations per suite")
    parser.add_argument(
        "--reference", action="append", choices=("apollo", "hive"), default=[]
    )
    parser.add_argument("--report", type=Path, default=Path("differential.json"))
    options = parser.parse_args(argv)
    # Agora's own warnings (development mode, once per suite) are not findings.
    logging.getLogger("agora.gateway").setLevel(logging.ERROR)
    why = node_ready()
    if why is not None:
        sys.stderr.write(f"{why}\n")
        return 2
    references = tuple(options.reference or ("apollo", "hive"))
    outcomes = asyncio.run(_run(options, references))
    return _report(outcomes, options.report)


async def _run(
    options: argparse.Namespace, references: tuple[str, ...]
) -> list[Outcome]:
    if options.source == "audit":
        suites: list[Suite] = await audit_suites(options.audit_url, options.suite)
    else:
        suites = fixture_suites(options.suite)
    peers = PeerGateways()
    await peers.start()
    outcomes: list[Outcome] = []
    try:
        async with synthetic_server(suites) as port:
            for suite in suites:
                found = await run_suite(
                    suite, peers, references, options.seed, options.count, port
                )
                counts = Counter(o.verdict for o in found)
                sys.stdout.write(
                    f"{suite.name}: "
                    + ", ".join(f"{v.value} {counts[v]}" for v in Verdict if counts[v])
                    + "\n"
                )
                outcomes += found
    finally:
        await peers.stop()
    return outcomes


def _report(outcomes: list[Outcome], path: Path) -> int:
    counts = Counter(o.verdict for o in outcomes)
    sys.stdout.write(
        f"\n{len(outcomes)} operations: "
        + ", ".join(f"{v.value} {counts[v]}" for v in Verdict)
        + "\n"
    )
    findings = [
        {
            "suite": o.suite,
            "verdict": o.verdict.value,
            "query": o.operation.query,
            "variables": o.operation.variables,
            "agora": o.agora,
            **dict(o.references),
        }
        for o in outcomes
        if o.verdict is not Verdict.AGREE
    ]
    path.write_text(json.dumps(findings, indent=2) + "\n")
    sys.stdout.write(f"every operation not agreed on: {path}\n")
    return 1 if counts[Verdict.AGORA_DIFFERS] else 0


if __name__ == "__main__":
    sys.exit(main())
