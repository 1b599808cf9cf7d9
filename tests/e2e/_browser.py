"""Headless Chromium for the browser tests: Debian's /usr/bin/chromium, driven by
Playwright (no browser download). Without either the tests are skipped with the
reason, except under AGORA_REQUIRE_SERVICES=1 (CI), where they fail."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("AGORA_CHROMIUM") or shutil.which("chromium") or ""
ARTIFACTS = Path(os.environ.get("AGORA_TEST_ARTIFACTS", "/tmp/agora-artifacts"))
REQUIRE = os.environ.get("AGORA_REQUIRE_SERVICES") == "1"

# As python-svc.md starts Chromium here: no sandbox as root, and none of the
# background connections (updates, sync, safe browsing) the closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]


def playwright_or_reason() -> str:
    """Empty when a browser test can run here, else why not."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[dev]')"
    if not CHROMIUM or not Path(CHROMIUM).exists():
        return "Chromium not found (apt-get install -y chromium, or set AGORA_CHROMIUM)"
    return ""


def chromium_or_skip() -> str:
    reason = playwright_or_reason()
    if reason and REQUIRE:
        pytest.fail(f"AGORA_REQUIRE_SERVICES=1 but {reason}")
    if reason:
        pytest.skip(reason)
    return CHROMIUM
