"""`python -m gateway compose`: compose the subgraphs of a rover config into a file.

    python -m gateway compose --config supergraph.yaml --out schema/supergraph.graphql
    python -m gateway compose --check     # exit 1 when the output file is stale

Every subgraph the config lists must be readable: one that is not (a schema file
missing, a URL that does not answer) is an error and the exit code is 1, never a
supergraph that silently lacks it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .compose import compose
from .config import load_supergraph_config
from .errors import SourceLocation, SupergraphConfigError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m gateway compose",
        description="Compose subgraph SDLs into a supergraph SDL (link v1.0 + join).",
    )
    parser.add_argument("--config", type=Path, default=Path("supergraph.yaml"))
    parser.add_argument("--out", type=Path, default=Path("schema/supergraph.graphql"))
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 when --out differs from a fresh composition",
    )
    return parser


def main(argv: list[str]) -> int:
    """Run `compose`; returns the exit code (0 ok, 1 errors or stale, 2 usage)."""
    try:
        options = _parser().parse_args(argv)
    except SystemExit as exit:  # argparse exits on --help and on bad usage
        return int(exit.code or 0)
    try:
        configs = load_supergraph_config(options.config)
    except SupergraphConfigError as error:
        sys.stderr.write(f"error: {error.message}\n")
        return 1
    definitions = []
    unreadable = 0
    for config in configs:
        try:
            definitions.append(config.read())
        except SupergraphConfigError as error:
            sys.stderr.write(f"error: {error.message}\n")
            unreadable += 1
    if unreadable:
        sys.stderr.write(f"{unreadable} subgraph(s) could not be read\n")
        return 1
    result = compose(definitions)
    for hint in result.hints:
        sys.stderr.write(f"hint: {hint}\n{_where(hint.locations)}")
    if result.supergraph_sdl is None:
        for composition_error in result.errors:
            where = _where(composition_error.locations)
            sys.stderr.write(f"error: {composition_error}\n{where}")
        sys.stderr.write(f"composition failed with {len(result.errors)} error(s)\n")
        return 1
    out: Path = options.out
    if options.check:
        current = out.read_text() if out.exists() else None
        if current != result.supergraph_sdl:
            sys.stderr.write(
                f"{out} is stale: it differs from composing {options.config};"
                " run scripts/compose and commit the result\n"
            )
            return 1
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(result.supergraph_sdl)
    sys.stderr.write(f"wrote {out} ({len(definitions)} subgraph(s))\n")
    return 0


def _where(locations: tuple[SourceLocation, ...]) -> str:
    """`  at accounts:9:3` lines, one per location (subgraph:line:column)."""
    return "".join(f"  at {location}\n" for location in locations)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
