"""The gateway under uvicorn for the bench (websockets-sansio, a deep backlog).

Run: python gateway_server.py --supergraph PATH --port 43200
"""

from __future__ import annotations

import argparse
import cProfile
import signal
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
    parser.add_argument("--profile", type=Path, help="write cProfile stats here")
    args = parser.parse_args()
    app = create_app(args.supergraph.read_text())
    profiler = cProfile.Profile() if args.profile else None
    if profiler is not None:

        def dump(signum: int, frame: object) -> None:
            # uvicorn re-raises SIGTERM after its graceful shutdown: dump, then exit.
            profiler.disable()
            profiler.dump_stats(args.profile)
            sys.exit(0)

        signal.signal(signal.SIGTERM, dump)
        profiler.enable()
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        ws="websockets-sansio",
        backlog=4096,
        timeout_graceful_shutdown=3,
    )
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)


if __name__ == "__main__":
    main()
