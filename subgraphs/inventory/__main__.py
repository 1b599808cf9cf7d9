"""`python -m subgraphs.inventory [--host H] [--port 4004]`."""

from __future__ import annotations

from subgraphs.inventory.app import PORT, create_app
from subgraphs.kit.serve import serve

if __name__ == "__main__":
    serve(create_app, name="inventory", default_port=PORT)
