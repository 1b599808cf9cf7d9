"""The gateway's HTTP server: create_app(supergraph_sdl) -> Starlette."""

from __future__ import annotations

from .app import build_app, create_app

__all__ = ["build_app", "create_app"]
