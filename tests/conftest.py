"""Suite-wide settings: which real services the integration tests may use.

Integration tests (marked `integration`) use the machine's PostgreSQL and Redis on
127.0.0.1. On a laptop without them they are skipped with a reason in the summary; with
AGORA_REQUIRE_SERVICES=1 (set by .ci/run) a missing service fails the run instead.
"""

from __future__ import annotations

import os
import socket

import pytest

POSTGRES_URL = os.environ.get(
    "AGORA_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("AGORA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUIRE_SERVICES = os.environ.get("AGORA_REQUIRE_SERVICES") == "1"


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def services_available() -> tuple[bool, str]:
    missing = [
        name
        for name, port in (("PostgreSQL", 5432), ("Redis", 6379))
        if not _reachable("127.0.0.1", port)
    ]
    if missing:
        return False, " and ".join(missing) + " not reachable on 127.0.0.1"
    return True, ""


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    if not any(item.get_closest_marker("integration") for item in items):
        return
    ok, reason = services_available()
    if ok:
        return
    if REQUIRE_SERVICES:
        raise pytest.UsageError(
            f"AGORA_REQUIRE_SERVICES=1 but {reason}: integration tests cannot run"
        )
    skip = pytest.mark.skip(reason=f"integration: {reason}")
    for item in items:
        if item.get_closest_marker("integration"):
            item.add_marker(skip)
