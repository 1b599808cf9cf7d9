"""Replicas starting at once on PostgreSQL apply each migration once, in turn."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg
import pytest

from subgraphs.kit.database import migration_lock, migration_lock_key

if TYPE_CHECKING:
    from subgraphs.kit.settings import Settings

ROOT = Path(__file__).resolve().parents[3]

# One replica: imports first, says "ready", then migrates when told to, so both
# replicas call init_databases within the same few milliseconds.
REPLICA = """
import asyncio, sys
from subgraphs.accounts.app import SPEC as ACCOUNTS
from subgraphs.inventory.app import SPEC as INVENTORY
from subgraphs.kit.database import close_databases, init_databases
from subgraphs.kit.settings import Settings

async def main() -> None:
    settings = Settings(database_url=sys.argv[1])
    sys.stdout.write("ready\\n")
    sys.stdout.flush()
    await asyncio.to_thread(sys.stdin.readline)
    await init_databases([ACCOUNTS, INVENTORY], settings)
    await close_databases()

asyncio.run(main())
"""


async def _start_replica(database_url: str) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        REPLICA,
        database_url,
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    async with asyncio.timeout(60):
        line = await process.stdout.readline()
    if line != b"ready\n":
        _, stderr = await process.communicate()
        raise AssertionError(f"replica did not start: {stderr.decode()[-2000:]}")
    return process


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
@pytest.mark.integration
async def test_two_replicas_migrating_one_fresh_database_at_once_both_succeed(
    settings: Settings,
) -> None:
    assert settings.database_url is not None
    replicas = [await _start_replica(settings.database_url) for _ in range(2)]
    for replica in replicas:
        assert replica.stdin is not None
        replica.stdin.write(b"go\n")
    async with asyncio.timeout(120):
        outcomes = await asyncio.gather(*(r.communicate() for r in replicas))
    failures = [
        stderr.decode()[-3000:]
        for replica, (_, stderr) in zip(replicas, outcomes, strict=True)
        if replica.returncode != 0
    ]
    assert failures == []
    connection = await asyncpg.connect(settings.database_url)
    try:
        rows = await connection.fetch(
            "SELECT app, name FROM accounts.tortoise_migrations UNION ALL "
            "SELECT app, name FROM inventory.tortoise_migrations ORDER BY 1, 2"
        )
    finally:
        await connection.close()
    assert [(r["app"], r["name"]) for r in rows] == [
        ("accounts", "0001_initial"),
        ("accounts", "0002_refresh_tokens"),
        ("inventory", "0001_initial"),
        ("inventory", "0002_row_level_security"),
        ("inventory", "0003_stock_version"),
    ]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
@pytest.mark.integration
async def test_the_migration_lock_is_held_for_the_block_and_released_after(
    settings: Settings,
) -> None:
    assert settings.database_url is not None
    url = settings.database_url + "?schema=accounts"
    key = migration_lock_key("accounts", "accounts")
    other = await asyncpg.connect(settings.database_url)
    try:
        async with migration_lock("accounts", url):
            held = await other.fetchval("SELECT pg_try_advisory_lock($1)", key)
        free = await other.fetchval("SELECT pg_try_advisory_lock($1)", key)
    finally:
        await other.close()
    assert (held, free) == (False, True)


def test_lock_keys_are_stable_and_distinct_per_subgraph_and_schema() -> None:
    keys = {
        migration_lock_key("accounts", "accounts"),
        migration_lock_key("inventory", "inventory"),
        migration_lock_key("accounts", "tenant_x"),
    }
    assert len(keys) == 3
    assert migration_lock_key("chat", "chat") == migration_lock_key("chat", "chat")
    assert all(-(2**63) <= key < 2**63 for key in keys)


async def test_sqlite_needs_no_lock(tmp_path: Path) -> None:
    async with migration_lock("accounts", f"sqlite://{tmp_path / 'a.sqlite3'}"):
        pass
