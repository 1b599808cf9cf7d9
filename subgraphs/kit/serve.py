"""Run one subgraph alone under uvicorn: `python -m subgraphs.<name>`."""

from __future__ import annotations

import argparse
import logging
import os
from typing import TYPE_CHECKING

import uvicorn

from subgraphs.kit.settings import Settings, SettingsError

logger = logging.getLogger("agora.subgraphs")

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from starlette.applications import Starlette


def serve(
    create_app: Callable[[], Starlette],
    *,
    name: str,
    default_port: int,
    argv: Sequence[str] | None = None,
) -> None:
    """Parse `--host`/`--port` (or HOST/PORT) and serve the app until interrupted.

    A setting that is malformed, or a development secret with AGORA_ENV=production,
    ends the process before it serves: exit status 1 and one line naming the
    variable on stderr, no traceback.
    """
    parser = argparse.ArgumentParser(prog=f"python -m subgraphs.{name}")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("PORT", default_port))
    )
    parser.add_argument("--log-level", default=os.environ.get("LOG_LEVEL", "info"))
    args = parser.parse_args(argv)
    try:
        app = create_app()
    except SettingsError as error:
        raise SystemExit(f"{parser.prog}: refusing to start: {error}") from None
    settings = getattr(app.state, "settings", None)
    if isinstance(settings, Settings) and settings.uses_dev_secrets:
        logger.warning(
            "%s runs with the development JWT/gateway secrets: set JWT_SECRET and "
            "AGORA_GATEWAY_SECRET outside local use",
            name,
        )
    # The client address is the one the gateway signs (subgraphs.kit.context),
    # never X-Forwarded-For: uvicorn would believe that header from 127.0.0.1 (its
    # default FORWARDED_ALLOW_IPS), so anyone on the host could rotate it to dodge
    # the login throttle (issue 12).
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        proxy_headers=False,
    )
