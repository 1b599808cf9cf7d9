"""The whole graph in one process: every subgraph in process behind the gateway.

Run by `scripts/run`. Each subgraph is a Strawberry app reached through the gateway's
in-process ASGI transport (no network hop); the supergraph is composed at start-up from
the subgraphs' own `_service { sdl }`, so it always matches the code that runs. SQLite
files under AGORA_DATA_DIR (default ./data) and in-memory pub/sub unless DATABASE_URL or
REDIS_URL say otherwise. The gateway's /metrics includes the subgraphs' series.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.compose import compose  # noqa: E402
from gateway.config import ConfigError, GatewayConfig, load_config  # noqa: E402
from gateway.server import create_app  # noqa: E402
from gateway.server.serve import serve  # noqa: E402
from gateway.telemetry import configure_logging  # noqa: E402
from gateway.transport import AsgiTransport  # noqa: E402
from scripts._subgraphs import existing_subgraphs, subgraph_definition  # noqa: E402
from subgraphs.kit.embedded import create_embedded, metrics_registry  # noqa: E402
from subgraphs.kit.settings import Settings  # noqa: E402

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

logger = logging.getLogger("agora.run")


def compose_supergraph(subgraphs: list[tuple[Any, Any]]) -> str:
    """The supergraph of the subgraphs as they run now (URLs unused: in process)."""
    result = compose([subgraph_definition(entry, spec) for entry, spec in subgraphs])
    if result.supergraph_sdl is None:
        lines = [f"  {error.code}: {error.message}" for error in result.errors]
        raise SystemExit("composition failed:\n" + "\n".join(lines))
    return result.supergraph_sdl


class EmbeddedGraph:
    """The gateway app, with one lifespan that also starts every subgraph first."""

    def __init__(self, gateway: Any, subgraphs_lifespan: Any) -> None:
        self.gateway = gateway
        self.subgraphs_lifespan = subgraphs_lifespan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.gateway(scope, receive, send)
            return
        await receive()  # lifespan.startup
        try:
            async with contextlib.AsyncExitStack() as stack:
                await stack.enter_async_context(self.subgraphs_lifespan(self))
                context = self.gateway.router.lifespan_context(self.gateway)
                await stack.enter_async_context(context)
                await send({"type": "lifespan.startup.complete"})
                await receive()  # lifespan.shutdown
        # Reported to the server, which then exits with the message.
        except Exception as exc:
            logger.exception("start-up failed")
            await send({"type": "lifespan.startup.failed", "message": str(exc)})
            return
        await send({"type": "lifespan.shutdown.complete"})


def build(
    settings: Settings, config: GatewayConfig | None = None
) -> tuple[EmbeddedGraph, list[str]]:
    subgraphs = existing_subgraphs()
    specs = [spec for _, spec in subgraphs]
    apps, lifespan = create_embedded(specs, settings)
    transports = {name: AsgiTransport(name, app) for name, app in apps.items()}
    gateway = create_app(
        compose_supergraph(subgraphs), transports=transports, config=config
    )
    # One scrape for the process: the subgraphs' series in the gateway's /metrics.
    registry = metrics_registry(apps)
    metrics = gateway.state.telemetry.metrics
    if registry is not None and metrics is not None:
        metrics.registry.register(registry)
    return EmbeddedGraph(gateway, lifespan), [spec.name for spec in specs]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="scripts/run", description="Serve the whole Agora graph in one process."
    )
    parser.add_argument(
        "--config",
        default=os.environ.get("AGORA_GATEWAY_CONFIG") or str(ROOT / "gateway.yaml"),
        help="the gateway's settings (default: AGORA_GATEWAY_CONFIG or gateway.yaml; "
        "the environment wins over it)",
    )
    parser.add_argument("--host", default=None, help="default: HOST or 127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="default: PORT or 4000")
    parser.add_argument("--log-level", default=None, help="default: LOG_LEVEL or info")
    args = parser.parse_args(argv)
    server = {
        name: value
        for name, value in (
            ("host", args.host),
            ("port", args.port),
            ("log_level", args.log_level),
        )
        if value is not None
    }
    try:
        config = load_config(args.config, overrides={"server": server})
        settings = Settings.from_env()
    except (ConfigError, ValueError) as error:
        raise SystemExit(f"scripts/run: {error}") from None
    configure_logging(config.server.log_level, config.log_format)

    app, names = build(settings, config)
    host, port = config.server.host, config.server.port
    url = f"http://{host}:{port}/graphql"
    database = settings.database_url or f"SQLite under {settings.data_dir.resolve()}"
    pubsub = settings.redis_url or "in-memory pub/sub"
    sys.stdout.write(
        f"Agora: {', '.join(names)} behind the gateway\n"
        f"  database: {database}; {pubsub}\n"
        f"  serving on {url} (open it in a browser for GraphiQL)\n"
    )
    sys.stdout.flush()
    serve(app, config)


if __name__ == "__main__":
    main()
