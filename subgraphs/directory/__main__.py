"""`python -m subgraphs.directory [--host H] [--port 4002]`, or `... worker`."""

from __future__ import annotations

import sys

from subgraphs.directory.app import PORT, create_app
from subgraphs.kit.serve import serve

if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"]:
        from subgraphs.directory.worker import main

        main()
    else:
        serve(create_app, name="directory", default_port=PORT)
