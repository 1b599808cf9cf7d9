"""`python -m subgraphs.accounts [--host H] [--port 4001]`."""

from __future__ import annotations

from subgraphs.accounts.app import PORT, create_app
from subgraphs.kit.serve import serve

if __name__ == "__main__":
    serve(create_app, name="accounts", default_port=PORT)
