"""`python -m subgraphs.chat [--host H] [--port 4003]`."""

from __future__ import annotations

from subgraphs.chat.app import PORT, create_app
from subgraphs.kit.serve import serve

if __name__ == "__main__":
    serve(create_app, name="chat", default_port=PORT)
