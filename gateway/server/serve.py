"""Serve an app under the server limits of a GatewayConfig (blocking)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..telemetry import configure_logging
from .connections import ServerLimits, run_server

if TYPE_CHECKING:
    from ..config import GatewayConfig

__all__ = ["serve", "server_limits"]


def server_limits(config: GatewayConfig) -> ServerLimits:
    """The socket-level limits `config.server` sets."""
    server = config.server
    return ServerLimits(
        max_connections=server.max_connections,
        header_timeout=server.header_timeout,
        body_timeout=server.body_timeout,
        keepalive_timeout=server.keepalive_timeout,
        max_header_bytes=server.max_header_bytes,
        # A websocket message is a request too: the body limit holds for it.
        max_websocket_message_bytes=config.max_body_bytes,
        backlog=server.backlog,
        shutdown_timeout=server.shutdown_timeout,
    )


def serve(app: Any, config: GatewayConfig) -> None:
    """Serve `app` on `config.server.host:port` until SIGINT or SIGTERM, logging
    as `log_format` says (uvicorn's own lines included)."""
    server = config.server
    configure_logging(server.log_level, config.log_format)
    run_server(
        app,
        host=server.host,
        port=server.port,
        log_level=server.log_level.lower(),
        limits=server_limits(config),
        log_config=None,
    )
