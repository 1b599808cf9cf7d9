"""`python -m gateway`: serve a supergraph, print a query plan, or compose."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "compose":
        return _compose(args[1:])
    parser = _parser()
    options = parser.parse_args(args)
    if options.command == "serve":
        return _serve(options.supergraph, options.host, options.port)
    if options.command == "plan":
        return _plan(options.supergraph, options.query, options.operation_name)
    parser.print_help(sys.stderr)
    return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gateway", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser("serve", help="serve the supergraph's API on /graphql")
    serve.add_argument("--supergraph", required=True, type=Path)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", default=4000, type=int)
    plan = commands.add_parser("plan", help="print the query plan of an operation")
    plan.add_argument("--supergraph", required=True, type=Path)
    plan.add_argument("--query", required=True, type=Path)
    plan.add_argument("--operation-name", default=None)
    commands.add_parser("compose", help="compose subgraph SDLs (see compose --help)")
    return parser


def _read(path: Path, what: str) -> str | None:
    try:
        return path.read_text()
    except OSError as error:
        sys.stderr.write(f"cannot read {what} {path}: {error.strerror}\n")
        return None


def _serve(supergraph_path: Path, host: str, port: int) -> int:
    import uvicorn

    from .server import create_app
    from .supergraph import SupergraphError

    sdl = _read(supergraph_path, "supergraph")
    if sdl is None:
        return 1
    try:
        app = create_app(sdl)
    except SupergraphError as error:
        sys.stderr.write(f"invalid supergraph {supergraph_path}: {error}\n")
        return 1
    uvicorn.run(app, host=host, port=port, log_level="info")
    return 0


def _plan(supergraph_path: Path, query_path: Path, operation_name: str | None) -> int:
    from graphql import GraphQLSyntaxError, parse, validate

    from .errors import AgoraError
    from .planner import plan_operation
    from .supergraph import SupergraphError, load_supergraph

    sdl = _read(supergraph_path, "supergraph")
    query = _read(query_path, "query")
    if sdl is None or query is None:
        return 1
    try:
        supergraph = load_supergraph(sdl)
        document = parse(query)
    except (SupergraphError, GraphQLSyntaxError) as error:
        sys.stderr.write(f"{error}\n")
        return 1
    errors = validate(supergraph.api_schema, document)
    if errors:
        sys.stderr.write("".join(f"{error.message}\n" for error in errors))
        return 1
    try:
        plan = plan_operation(supergraph, document, operation_name)
    except AgoraError as error:
        sys.stderr.write(f"{error.message}\n")
        return 1
    sys.stdout.write(f"{plan}\n")
    return 0


def _compose(argv: list[str]) -> int:
    try:
        from .compose.cli import main as compose_main
    except ImportError as error:
        sys.stderr.write(
            f"composition is not available in this install ({error}); "
            "expected gateway.compose.cli.main\n"
        )
        return 1
    return compose_main(argv)


if __name__ == "__main__":
    sys.exit(main())
