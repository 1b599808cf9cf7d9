"""`python -m gateway`: serve a supergraph, print a query plan, compose, hash a key.

`serve` reads its settings from `--config gateway.yaml` (optional) and the
environment over it (gateway/config.py); `--supergraph`, `--host`, `--port` and
`--log-level` win over both. A configuration error is one line naming the key, and
exit code 2.
"""

from __future__ import annotations

import argparse
import os
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
        return _serve(options)
    if options.command == "hash-key":
        from .config import hash_api_key

        sys.stdout.write(f"{hash_api_key(options.key)}\n")
        return 0
    if options.command == "plan":
        return _plan(options.supergraph, options.query, options.operation_name)
    if options.command == "trusted":
        return _trusted_check(options)
    parser.print_help(sys.stderr)
    return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gateway", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser("serve", help="serve the supergraph's API on /graphql")
    serve.add_argument(
        "--config",
        type=Path,
        default=None,
        help="gateway.yaml (default: $AGORA_GATEWAY_CONFIG, else none)",
    )
    serve.add_argument(
        "--supergraph", type=Path, default=None, help="overrides `supergraph:`"
    )
    serve.add_argument("--host", default=None, help="overrides HOST / server.host")
    serve.add_argument(
        "--port", type=int, default=None, help="overrides PORT / server.port"
    )
    serve.add_argument(
        "--log-level", default=None, help="overrides LOG_LEVEL / server.log_level"
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help="overrides server.workers: processes serving the port",
    )
    hash_key = commands.add_parser(
        "hash-key", help="print the SHA-256 of an API key for clients[].api_key_sha256"
    )
    hash_key.add_argument("key")
    trusted = commands.add_parser(
        "trusted", help="check trusted-document manifests against the supergraph"
    )
    trusted.add_argument("action", choices=["check"])
    trusted.add_argument(
        "manifests",
        nargs="*",
        type=Path,
        help="manifest files (default: every clients[].manifests of the config and "
        "schema/trusted/*.json)",
    )
    trusted.add_argument("--config", type=Path, default=None)
    trusted.add_argument("--supergraph", type=Path, default=None)
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


def _serve(options: argparse.Namespace) -> int:
    from .config import ConfigError, load_config
    from .server import create_app
    from .server.serve import serve
    from .supergraph import SupergraphError
    from .telemetry import configure_logging

    config_path = options.config or os.environ.get("AGORA_GATEWAY_CONFIG") or None
    values: dict[str, object] = {}
    server: dict[str, object] = {}
    if options.supergraph is not None:
        values["supergraph"] = str(options.supergraph)
    for name in ("host", "port", "log_level", "workers"):
        if getattr(options, name) is not None:
            server[name] = getattr(options, name)
    if server:
        values["server"] = server
    try:
        config = load_config(config_path, overrides=values)
    except ConfigError as error:
        sys.stderr.write(f"gateway: {error}\n")
        return 2
    if config.supergraph is None:
        sys.stderr.write(
            "gateway: no supergraph: pass --supergraph or set supergraph:\n"
        )
        return 2
    sdl = _read(Path(config.supergraph), "supergraph")
    if sdl is None:
        return 1
    configure_logging(config.server.log_level, config.log_format)
    try:
        app = create_app(sdl, config=config)
    except SupergraphError as error:
        sys.stderr.write(f"invalid supergraph {config.supergraph}: {error}\n")
        return 1
    serve(app, config)
    return 0


def _trusted_check(options: argparse.Namespace) -> int:
    """Every operation of every manifest must still parse and validate against the
    supergraph; one line per problem, exit 1 when there is any."""
    from .config import ConfigError, load_config
    from .persisted import ManifestError, check_documents, load_manifest
    from .supergraph import SupergraphError, load_supergraph

    config_path = options.config or os.environ.get("AGORA_GATEWAY_CONFIG") or None
    try:
        config = load_config(config_path)
    except ConfigError as error:
        sys.stderr.write(f"gateway: {error}\n")
        return 2
    supergraph_path = options.supergraph or Path(
        config.supergraph or "schema/supergraph.graphql"
    )
    sdl = _read(supergraph_path, "supergraph")
    if sdl is None:
        return 1
    try:
        schema = load_supergraph(sdl).api_schema
    except SupergraphError as error:
        sys.stderr.write(f"invalid supergraph {supergraph_path}: {error}\n")
        return 1
    paths = list(options.manifests)
    if not paths:
        paths = [Path(p) for client in config.clients for p in client.manifests]
        paths += sorted(Path("schema/trusted").glob("*.json"))
    problems: list[str] = []
    count = 0
    for path in dict.fromkeys(paths):
        try:
            documents = load_manifest(path)
        except ManifestError as error:
            problems.append(str(error))
            continue
        count += len(documents)
        problems.extend(check_documents(schema, documents))
    for problem in problems:
        sys.stderr.write(f"{problem}\n")
    sys.stdout.write(
        f"{count} trusted documents in {len(set(paths))} manifests: "
        f"{len(problems)} problems\n"
    )
    return 1 if problems else 0


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
