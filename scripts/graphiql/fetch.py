"""Fetch the pinned GraphiQL build and its peers into gateway/server/graphiql_assets/.

    python scripts/graphiql/fetch.py           # npm pack each pin, check it, write
    python scripts/graphiql/fetch.py --own     # re-hash only the page's own files
    python scripts/graphiql/fetch.py --verify  # npm pack again, compare, write nothing

Each pinned package is taken with `npm pack NAME@VERSION` (the npm registry, exact
versions), its tarball checked against the integrity pinned below (the registry's
`dist.integrity`), and the listed files copied byte for byte under versioned names.
The manifest (manifest.json) lists every file of the folder with its package,
version, license, source, sha256 and size; the gateway takes the page's
Subresource Integrity hashes from it, and tests/unit/gateway/server/test_graphiql.py
fails when a committed file no longer matches it. The page's own files
(agora-graphiql.js, agora-graphiql.css) are written by hand: after editing one, run
with --own.

To move to another version: change the pin (version, integrity from
`npm view NAME@VERSION dist.integrity`, the paths), run this script, update
PAGE_STYLES / PAGE_SCRIPTS in gateway/server/graphiql.py, delete the old files.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "gateway" / "server" / "graphiql_assets"
MANIFEST = ASSETS / "manifest.json"
OWN_FILES = ("agora-graphiql.css", "agora-graphiql.js")
OWN_PACKAGE = "agora"


@dataclass(frozen=True)
class Pin:
    """A package from the npm registry and the files taken from its tarball."""

    name: str
    version: str
    integrity: str  # the registry's dist.integrity of the tarball
    license: str
    files: tuple[tuple[str, str], ...]  # (path inside the tarball, file name here)


# React 18 is the last React with UMD builds; GraphiQL 4 is the last major with one
# (5 ships ES modules that expect a bundler or an import map from a CDN).
PINS = (
    Pin(
        "graphiql",
        "4.1.2",
        "sha512-rNlzQIAzm6i2KBXmVQWBgLvt0TloxFVB2d18bukvdsvjEuFDHsKx5IVOomL1W1o5WW+tE54+ioHb2AEKzO2cUg==",
        "MIT",
        (
            ("package/dist/index.umd.js", "graphiql-4.1.2.umd.js"),
            ("package/dist/style.css", "graphiql-4.1.2.css"),
            ("package/LICENSE", "graphiql-4.1.2.LICENSE"),
        ),
    ),
    Pin(
        "react",
        "18.3.1",
        "sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ==",
        "MIT",
        (
            ("package/umd/react.production.min.js", "react-18.3.1.production.min.js"),
            ("package/LICENSE", "react-18.3.1.LICENSE"),
        ),
    ),
    Pin(
        "react-dom",
        "18.3.1",
        "sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw==",
        "MIT",
        (
            (
                "package/umd/react-dom.production.min.js",
                "react-dom-18.3.1.production.min.js",
            ),
            ("package/LICENSE", "react-dom-18.3.1.LICENSE"),
        ),
    ),
)


@dataclass(frozen=True)
class Entry:
    """One file of the manifest (the fields of gateway.server.graphiql.Asset)."""

    file: str
    package: str
    version: str
    license: str
    source: str
    sha256: str
    size: int


def entry(
    file: str, data: bytes, package: str, version: str, license: str, source: str
) -> Entry:
    digest = hashlib.sha256(data).hexdigest()
    return Entry(file, package, version, license, source, digest, len(data))


def npm_pack(pin: Pin, into: Path) -> Path:
    """The tarball of `pin`, checked against its pinned integrity."""
    spec = f"{pin.name}@{pin.version}"
    done = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(into)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"npm pack {spec} failed:\n{done.stderr}")
    filename: str = json.loads(done.stdout)[0]["filename"]
    tarball = into / filename
    algorithm, _, expected = pin.integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest())
    if actual.decode() != expected:
        raise SystemExit(f"{spec}: tarball integrity {actual.decode()} != pinned")
    return tarball


def vendored(pin: Pin, tarball: Path) -> dict[str, bytes]:
    """The pinned files of the tarball, by their file name here."""
    files = {}
    with tarfile.open(tarball) as archive:
        for member, name in pin.files:
            extracted = archive.extractfile(member)
            if extracted is None:
                raise SystemExit(f"{pin.name}@{pin.version}: {member} is not a file")
            files[name] = extracted.read()
    return files


def own_entries() -> list[Entry]:
    return [
        entry(
            name,
            (ASSETS / name).read_bytes(),
            OWN_PACKAGE,
            "-",
            "as Agora",
            "hand-written (scripts/graphiql/fetch.py --own)",
        )
        for name in OWN_FILES
    ]


def write_manifest(entries: list[Entry]) -> None:
    files = [asdict(item) for item in sorted(entries, key=lambda item: item.file)]
    MANIFEST.write_text(json.dumps({"files": files}, indent=2) + "\n")


def fetch_all() -> None:
    entries = []
    with tempfile.TemporaryDirectory() as tmp:
        for pin in PINS:
            tarball = npm_pack(pin, Path(tmp))
            for name, data in vendored(pin, tarball).items():
                (ASSETS / name).write_bytes(data)
                source = f"npm:{pin.name}@{pin.version}:" + next(
                    member for member, here in pin.files if here == name
                )
                entries.append(
                    entry(name, data, pin.name, pin.version, pin.license, source)
                )
    write_manifest(entries + own_entries())


def rehash_own() -> None:
    data = json.loads(MANIFEST.read_text())
    kept = [Entry(**item) for item in data["files"] if item["package"] != OWN_PACKAGE]
    write_manifest(kept + own_entries())


def verify() -> int:
    """0 when every pinned file here is byte for byte the npm tarball's."""
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for pin in PINS:
            tarball = npm_pack(pin, Path(tmp))
            for name, data in vendored(pin, tarball).items():
                path = ASSETS / name
                same = path.is_file() and path.read_bytes() == data
                print(f"{'ok  ' if same else 'DIFF'} {name} ({pin.name}@{pin.version})")
                failures += not same
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--own", action="store_true", help="re-hash the page's files")
    mode.add_argument("--verify", action="store_true", help="compare with npm")
    args = parser.parse_args()
    if args.verify:
        return verify()
    ASSETS.mkdir(parents=True, exist_ok=True)
    if args.own:
        rehash_own()
    else:
        fetch_all()
    total = sum(path.stat().st_size for path in ASSETS.iterdir())
    print(f"wrote {MANIFEST.relative_to(ROOT)}: {total:,} bytes in {ASSETS.name}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
