"""Trusted-document manifests: both formats, lookups, and `trusted check`."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from graphql import build_schema

from gateway.persisted import (
    ManifestError,
    TrustedDocuments,
    check_documents,
    load_manifest,
)

ROOT = Path(__file__).resolve().parents[4]
SCHEMA = build_schema("type Query { me: User } type User { id: ID! name: String }")
ME = "query Me { me { id } }"
ME_HASH = hashlib.sha256(ME.encode()).hexdigest()


def write(path: Path, content: object) -> Path:
    path.write_bytes(orjson.dumps(content))
    return path


def test_apollo_manifests_and_id_maps_both_load(tmp_path: Path) -> None:
    apollo = write(
        tmp_path / "apollo.json",
        {
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": [{"id": "a1", "name": "Me", "type": "query", "body": ME}],
        },
    )
    relay = write(tmp_path / "relay.json", {"r1": "{ me { name } }"})
    documents = TrustedDocuments.load([apollo, relay])
    assert len(documents) == 2
    found = documents.find("a1")
    assert found is not None
    assert (found.name, found.type, found.body) == ("Me", "query", ME)
    assert documents.find(f"sha256:{ME_HASH}") is found
    assert documents.by_hash(ME_HASH.upper()) is found
    assert documents.find("r1") is not None
    assert documents.find("nope") is None


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ([1], "must be a JSON object"),
        ({"format": "something-else", "version": 1, "operations": []}, "format"),
        ({"format": "apollo-persisted-query-manifest", "version": 2}, "version 1"),
        (
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{"id": 1}],
            },
            "needs a string 'id' and 'body'",
        ),
        ({"id": ""}, "non-empty string"),
    ],
)
def test_a_bad_manifest_is_refused_naming_the_file(
    tmp_path: Path, content: object, reason: str
) -> None:
    path = write(tmp_path / "bad.json", content)
    with pytest.raises(ManifestError, match=reason) as raised:
        load_manifest(path)
    assert str(path) in str(raised.value)
    with pytest.raises(ManifestError, match="cannot be read"):
        load_manifest(tmp_path / "missing.json")


def test_check_finds_what_no_longer_runs(tmp_path: Path) -> None:
    path = write(
        tmp_path / "m.json",
        {
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": [
                {"id": "ok", "name": "Me", "type": "query", "body": ME},
                {"id": "gone", "body": "{ me { email } }"},
                {"id": "broken", "body": "{ me {"},
                {"id": "misnamed", "name": "You", "type": "mutation", "body": ME},
            ],
        },
    )
    problems = check_documents(SCHEMA, load_manifest(path))
    assert [p.split(": ")[1] for p in problems] == [
        "gone",
        "broken",
        "misnamed",
        "misnamed",
    ]
    assert "Cannot query field 'email'" in problems[0]


def test_the_cli_check_passes_the_repositorys_manifests_and_fails_a_stale_one(
    tmp_path: Path,
) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "gateway", "trusted", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "0 problems" in ok.stdout
    stale = write(tmp_path / "stale.json", {"x": "{ nothingHere }"})
    failed = subprocess.run(
        [sys.executable, "-m", "gateway", "trusted", "check", str(stale)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert failed.returncode == 1
    assert "nothingHere" in failed.stderr
