"""Fixtures of the conformance suite; the harness itself is in harness.py."""

from __future__ import annotations

from tests.conformance.harness import gateway

__all__ = ["gateway"]
