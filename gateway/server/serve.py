"""Serve an app under the server limits of a GatewayConfig (blocking).

Websockets are served by the subscription layer's WireProtocol (frames written
straight to the socket; subscriptions told before uvicorn's shutdown closes them).
With `server.workers` above 1, the process binds the port once and forks that many
workers, each with its own event loop, app state and upstream subscriptions; the
kernel spreads accepted connections among them. SIGTERM / SIGINT are passed on, and
the parent exits once every worker has.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import signal
import sys
from typing import TYPE_CHECKING, Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

from ..subscriptions import WireProtocol
from ..telemetry import configure_logging
from .connections import ServerLimits, server_config

if TYPE_CHECKING:
    import socket
    from types import FrameType

    from ..config import GatewayConfig

__all__ = ["serve", "server_limits"]

logger = logging.getLogger("agora.gateway")


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
    as `log_format` says (uvicorn's own lines included, its access lines not), in
    `server.workers` processes; once started, the garbage collector is tuned
    (`_tune_gc`)."""
    server = config.server
    configure_logging(server.log_level, config.log_format)
    # The gateway logs one line per request itself (operation, client, outcome,
    # request id); uvicorn's access line would say less, formatted per request.
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    uvicorn_config = server_config(
        app,
        host=server.host,
        port=server.port,
        log_level=server.log_level.lower(),
        limits=server_limits(config),
        log_config=None,
    )
    uvicorn_config.ws = WireProtocol
    if server.workers <= 1:
        _run(uvicorn_config, None)
        return
    sock = uvicorn_config.bind_socket()
    children: set[int] = set()
    for _ in range(server.workers):
        pid = os.fork()
        if pid == 0:  # a worker: its own loop and app state from here on
            try:
                _run(uvicorn_config, sock)
            finally:
                os._exit(0)
        children.add(pid)
    sock.close()
    logger.info("gateway serving with %d workers", len(children))

    def pass_on(signum: int, frame: FrameType | None) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signum)

    signal.signal(signal.SIGTERM, pass_on)
    signal.signal(signal.SIGINT, pass_on)
    failed = False
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        children.discard(pid)
        if os.waitstatus_to_exitcode(status) not in (0, -signal.SIGTERM):
            failed = True
    if failed:
        sys.exit(STARTUP_FAILURE)


class _Server(uvicorn.Server):
    """uvicorn's server, the garbage collector tuned once the app has started."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        _tune_gc()


# Young-generation threshold while serving (CPython's default is 700): a request
# allocates thousands of dicts and lists (subgraph JSON, merged and projected
# data), nearly all freed when it ends; collecting every 700 allocations scans the
# same young objects many times over, and each tenth young collection scans the
# older ones as well.
GC_GEN0_THRESHOLD = 20_000


def _tune_gc() -> None:
    """After start-up: move every object alive now (modules, the schema, the
    supergraph, the app) out of the collector's sight (`gc.freeze`: they live as
    long as the process, and a full collection no longer scans them) and collect
    young objects less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_GEN0_THRESHOLD, *gc.get_threshold()[1:])


def _run(config: uvicorn.Config, sock: socket.socket | None) -> None:
    server = _Server(config)
    # uvicorn re-raises a captured SIGINT once it has shut down cleanly.
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock] if sock is not None else None)
    if not server.started:
        sys.exit(STARTUP_FAILURE)
