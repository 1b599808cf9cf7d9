"""The gateway under uvicorn for the bench (websockets-sansio, a deep backlog).

Run: python gateway_server.py --supergraph PATH --port 43200
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import uvicorn

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from gateway.server import create_app  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--supergraph", type=Path, required=True)
    parser.add_argument("--port", type=int, default=43200)
    args = parser.parse_args()
    app = create_app(args.supergraph.read_text())
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        ws="websockets-sansio",
        backlog=4096,
    )


if __name__ == "__main__":
    main()
