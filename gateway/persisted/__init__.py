"""Persisted operations: automatic persisted queries and trusted documents."""

from __future__ import annotations

from .apq import ApqStore, MemoryApqStore, RedisApqStore
from .trusted import (
    ManifestError,
    TrustedDocument,
    TrustedDocuments,
    check_documents,
    load_manifest,
    sha256_of,
)

__all__ = [
    "ApqStore",
    "ManifestError",
    "MemoryApqStore",
    "RedisApqStore",
    "TrustedDocument",
    "TrustedDocuments",
    "check_documents",
    "load_manifest",
    "sha256_of",
]
