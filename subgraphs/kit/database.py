"""Tortoise setup for one or several subgraphs in one process, with migrations.

Each subgraph is a Tortoise app on its own connection named after the subgraph, so it
owns its tables: its own SQLite file, or its own PostgreSQL schema (`search_path`).
Start-up applies the subgraph's pending Tortoise migrations (the `migrations` package
next to its models); it never drops or regenerates tables, so data survives restarts.
On PostgreSQL each subgraph's migrations run under an advisory lock (migration_lock),
so replicas starting together apply them once, one after the other.

Write migrations with `tortoise makemigrations` (a config naming the app, its models
and its migrations package). A NOT NULL field added to a table that has rows needs
`db_default=...` (or `null=True`): Tortoise's AddField sets no SQL default otherwise,
and PostgreSQL and SQLite both refuse the ALTER TABLE.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qsl, urlsplit

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no stubs
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.context import TortoiseContext
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.migrations.executor import MigrationExecutor

from subgraphs.kit._postgres import ENGINE as POSTGRES_ENGINE
from subgraphs.kit._sqlite import ENGINE as SQLITE_ENGINE
from subgraphs.kit.idempotency import create_idempotency_table
from subgraphs.kit.settings import Settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator, Sequence


logger = logging.getLogger("agora.subgraphs")

_context: TortoiseContext | None = None
_names: tuple[str, ...] = ()
_initialized = False

_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class DatabaseSpec(Protocol):
    """What init_databases needs of a subgraph (SubgraphSpec satisfies it)."""

    @property
    def name(self) -> str: ...
    @property
    def models(self) -> list[str]: ...
    @property
    def migrations(self) -> str | None: ...


def tortoise_config(
    specs: Sequence[DatabaseSpec], settings: Settings
) -> dict[str, Any]:
    """The Tortoise config: one connection and one app per subgraph, same name.

    PostgreSQL connections use the kit's engine (subgraphs.kit._postgres), whose
    transactions survive a dropped connection without misreporting a commit;
    SQLite ones the kit's too (subgraphs.kit._sqlite). Both count each statement
    for the metrics and traces (subgraphs.kit.telemetry).
    """
    connections: dict[str, Any] = {}
    apps: dict[str, Any] = {}
    for spec in specs:
        url = settings.database_url_for(spec.name)
        if _postgres_target(url) is not None:
            connection = expand_db_url(url)
            connection["engine"] = POSTGRES_ENGINE
            connections[spec.name] = connection
        elif url.startswith("sqlite://"):
            connection = expand_db_url(url)
            connection["engine"] = SQLITE_ENGINE
            connections[spec.name] = connection
        else:
            connections[spec.name] = url
        app: dict[str, Any] = {
            "models": list(spec.models),
            "default_connection": spec.name,
        }
        if spec.migrations:
            app["migrations"] = spec.migrations
        apps[spec.name] = app
    return {"connections": connections, "apps": apps, "use_tz": True, "timezone": "UTC"}


async def init_databases(specs: Sequence[DatabaseSpec], settings: Settings) -> None:
    """Connect every subgraph's database and apply its pending migrations.

    Tortoise state is process-global (a global fallback context), so call this once
    per process with every subgraph that runs in it; close_databases() undoes it.
    """
    global _initialized
    if _initialized:
        raise RuntimeError("expected close_databases() before init_databases() again")
    # A subgraph without models (stateless) needs no connection at all.
    specs = [spec for spec in specs if spec.models]
    _initialized = True
    if not specs:
        return
    try:
        await _open(specs, settings)
    except BaseException:
        await close_databases()
        raise


async def _open(specs: Sequence[DatabaseSpec], settings: Settings) -> None:
    config = tortoise_config(specs, settings)
    async with contextlib.AsyncExitStack() as locks:
        # Sorted, so two processes starting several subgraphs cannot deadlock.
        for spec in sorted(specs, key=lambda spec: spec.name):
            url = settings.database_url_for(spec.name)
            await locks.enter_async_context(migration_lock(spec.name, url))
        for spec in specs:
            await _prepare(settings.database_url_for(spec.name))
        await _migrate(specs, config)


async def _migrate(specs: Sequence[DatabaseSpec], config: dict[str, Any]) -> None:
    global _context, _names
    # Tortoise caches compiled SQL by connection name whatever the backend; a name
    # may now point at another backend (tests switch SQLite <-> PostgreSQL).
    EXECUTOR_CACHE.clear()
    context = TortoiseContext()
    # Models resolve their connection while the apps load: the context must be current.
    with context:
        await context.init(config=config, _enable_global_fallback=True)
    _context = context
    _names = tuple(spec.name for spec in specs)
    for spec in specs:
        if not spec.migrations:
            continue
        executor = MigrationExecutor(
            context.connections.get(spec.name),
            {spec.name: config["apps"][spec.name]},
        )
        await executor.migrate()
        logger.info("database of %s migrated", spec.name)
    for spec in specs:
        # The kit's own table (issue 13), outside every subgraph's migrations.
        await create_idempotency_table(context.connections.get(spec.name))


async def close_databases() -> None:
    """Close every connection opened by init_databases()."""
    global _context, _names, _initialized
    context, _context, _names, _initialized = _context, None, (), False
    if context is not None:
        await context.close_connections()
        context._apps = None
        context._inited = False


async def check_databases() -> bool:
    """True when every subgraph database answers `SELECT 1` (used by /ready)."""
    if not _initialized:
        return False
    if _context is None:
        return True
    for name in _names:
        try:
            await _context.connections.get(name).execute_query("SELECT 1")
        except Exception:  # any failure means not ready
            logger.warning("database of %s is not ready", name, exc_info=True)
            return False
    return True


async def detect_model_changes(specs: Sequence[DatabaseSpec]) -> list[str]:
    """Migrations `tortoise makemigrations` would write for `specs` (empty when the
    models match their migrations). For tests; do not call while databases are open.
    """
    if _initialized:
        raise RuntimeError("expected no open databases while detecting model changes")
    specs = [spec for spec in specs if spec.models and spec.migrations]
    if not specs:
        return []
    config = tortoise_config(specs, Settings(database_url="sqlite://:memory:"))
    async with TortoiseContext() as context:
        await context.init(config=config)
        assert context.apps is not None  # set by init
        writers = await MigrationAutodetector(context.apps, config["apps"]).changes()
    return [f"{writer.app_label}.{writer.name}" for writer in writers]


def migration_lock_key(subgraph_name: str, schema: str | None) -> int:
    """The PostgreSQL advisory lock key (a signed 64-bit int) of one subgraph's
    migrations in one schema: the same in every process, distinct per subgraph."""
    digest = hashlib.sha256(f"agora.migrations:{subgraph_name}:{schema}".encode())
    return int.from_bytes(digest.digest()[:8], "big", signed=True)


@contextlib.asynccontextmanager
async def migration_lock(subgraph_name: str, url: str) -> AsyncIterator[None]:
    """Hold the subgraph's migration lock on PostgreSQL for the block.

    Replicas start at once: without it two processes both find a migration pending
    and both run its CREATE TABLE (or CREATE SCHEMA), and one crashes. The lock is a
    session-level `pg_advisory_lock` on a connection of its own, so it is released
    even when the process dies. SQLite needs none (one process owns the file).
    """
    target = _postgres_target(url)
    if target is None:
        yield
        return
    dsn, schema = target
    key = migration_lock_key(subgraph_name, schema)
    connection = await asyncpg.connect(dsn)
    try:
        if not await connection.fetchval("SELECT pg_try_advisory_lock($1)", key):
            logger.info("waiting for another process migrating %s", subgraph_name)
            await connection.execute("SELECT pg_advisory_lock($1)", key)
        try:
            yield
        finally:
            await connection.execute("SELECT pg_advisory_unlock($1)", key)
    finally:
        await connection.close()


def _postgres_target(url: str) -> tuple[str, str | None] | None:
    """(asyncpg DSN, schema) of a PostgreSQL URL; None for other databases."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "asyncpg"):
        return None
    schema = dict(parse_qsl(parts.query)).get("schema")
    if schema is not None and not _SCHEMA_NAME.match(schema):
        raise ValueError(f"expected a plain PostgreSQL schema name, got {schema!r}")
    return parts._replace(scheme="postgresql", query="").geturl(), schema


async def _prepare(url: str) -> None:
    """Create what Tortoise will not: the SQLite folder, the PostgreSQL schema."""
    if url.startswith("sqlite://"):
        path = url[len("sqlite://") :].split("?", 1)[0]
        if not path.startswith(":memory:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return
    target = _postgres_target(url)
    if target is None or target[1] is None:
        return
    dsn, schema = target
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    finally:
        await connection.close()


@dataclass
class StatementCounter:
    """SQL statements seen while counting, by kind."""

    statements: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.statements)

    @property
    def selects(self) -> int:
        return self._count("SELECT")

    @property
    def inserts(self) -> int:
        return self._count("INSERT")

    @property
    def updates(self) -> int:
        return self._count("UPDATE")

    @property
    def deletes(self) -> int:
        return self._count("DELETE")

    def _count(self, verb: str) -> int:
        return sum(1 for s in self.statements if s.lstrip().upper().startswith(verb))


_SQL_START = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|ALTER|DROP|PRAGMA)\b", re.I
)


# The counters whose block the running code is inside: a task started inside the
# block inherits them (asyncio copies the context), one started before does not.
_Counters = tuple[StatementCounter, ...]
_counting: contextvars.ContextVar[_Counters] = contextvars.ContextVar(
    "agora_statement_counters", default=()
)


class _StatementHandler(logging.Handler):
    def __init__(self, counter: StatementCounter) -> None:
        super().__init__(logging.DEBUG)
        self.counter = counter

    def emit(self, record: logging.LogRecord) -> None:
        # Logging calls its handlers in the thread and context of the statement.
        if self.counter not in _counting.get():
            return
        # Tortoise clients log every statement on tortoise.db_client at DEBUG, either
        # as ("%s: %s", query, values) or as the bare query.
        if record.msg == "%s: %s" and isinstance(record.args, tuple) and record.args:
            query = record.args[0]
        else:
            query = record.msg
        if isinstance(query, str) and _SQL_START.match(query):
            self.counter.statements.append(query)


@contextlib.contextmanager
def count_statements() -> Iterator[StatementCounter]:
    """Count the SQL statements Tortoise executes inside the block (any connection),
    by the code of the block and the tasks it starts: not by background tasks that
    were running already (an app's start-up sync, a sweeper), whose statements
    would land in the count whenever they happen to run at the same time."""
    db_logger = logging.getLogger("tortoise.db_client")
    counter = StatementCounter()
    handler = _StatementHandler(counter)
    level = db_logger.level
    token = _counting.set((*_counting.get(), counter))
    db_logger.addHandler(handler)
    db_logger.setLevel(logging.DEBUG)
    try:
        yield counter
    finally:
        db_logger.removeHandler(handler)
        db_logger.setLevel(level)
        _counting.reset(token)


def iter_connection_names() -> Iterator[str]:
    """Names of the connections opened by init_databases()."""
    yield from _names
