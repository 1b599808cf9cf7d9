"""Start-up migrations: a new migration changes the tables and keeps the rows."""

from __future__ import annotations

import asyncio
import importlib
import sys
import textwrap
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from tortoise.connection import connections

from subgraphs.kit.database import (
    check_databases,
    close_databases,
    count_statements,
    detect_model_changes,
    init_databases,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from subgraphs.kit.settings import Settings

MODELS_V1 = """
from tortoise import fields
from tortoise.models import Model

class Note(Model):
    id = fields.IntField(primary_key=True)
    text = fields.CharField(max_length=100)

    class Meta:
        table = "notes_note"
        app = "notes"
"""

MODELS_V2 = MODELS_V1.replace(
    "    text = fields.CharField(max_length=100)\n",
    "    text = fields.CharField(max_length=100)\n"
    "    pinned = fields.BooleanField(default=False, db_default=False)\n",
)

INITIAL = """
from tortoise import fields, migrations
from tortoise.migrations import operations as ops

class Migration(migrations.Migration):
    initial = True
    operations = [
        ops.CreateModel(
            name="Note",
            fields=[
                ("id", fields.IntField(primary_key=True)),
                ("text", fields.CharField(max_length=100)),
            ],
            options={"table": "notes_note", "app": "notes", "pk_attr": "id"},
            bases=["Model"],
        ),
    ]
"""

ADD_PINNED = """
from tortoise import fields, migrations
from tortoise.migrations import operations as ops

class Migration(migrations.Migration):
    dependencies = [("notes", "0001_initial")]
    operations = [
        # db_default: rows already there need a value for the new NOT NULL column.
        ops.AddField(
            "Note", "pinned", fields.BooleanField(default=False, db_default=False)
        ),
    ]
"""


@dataclass(frozen=True)
class NotesSpec:
    name: str
    models: list[str] = field(default_factory=list)
    migrations: str | None = None


def write_package(root: Path, package: str, models: str, *migrations: str) -> None:
    (root / package / "migrations").mkdir(parents=True, exist_ok=True)
    (root / package / "__init__.py").write_text("")
    (root / package / "models.py").write_text(textwrap.dedent(models))
    (root / package / "migrations" / "__init__.py").write_text("")
    names = ("0001_initial", "0002_note_pinned")
    for name, source in zip(names, migrations, strict=False):
        (root / package / "migrations" / f"{name}.py").write_text(source)
    for module in [m for m in sys.modules if m.startswith(package)]:
        del sys.modules[module]
    importlib.invalidate_caches()


async def test_new_migration_adds_a_column_and_keeps_existing_rows(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = f"agora_notes_{uuid.uuid4().hex[:8]}"
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = NotesSpec(
        name="notes",
        models=[f"{package}.models"],
        migrations=f"{package}.migrations",
    )
    write_package(tmp_path, package, MODELS_V1, INITIAL)
    await init_databases([spec], settings)
    try:
        notes = importlib.import_module(f"{package}.models")
        await notes.Note.create(text="kept")
    finally:
        await close_databases()

    write_package(tmp_path, package, MODELS_V2, INITIAL, ADD_PINNED)
    await init_databases([spec], settings)
    try:
        notes = importlib.import_module(f"{package}.models")
        rows = await notes.Note.all().values("text", "pinned")
        _, applied = await connections.get("notes").execute_query(
            "SELECT name FROM tortoise_migrations ORDER BY name"
        )
        assert await check_databases()
    finally:
        await close_databases()
    assert rows == [{"text": "kept", "pinned": False}]
    assert [r["name"] for r in applied] == ["0001_initial", "0002_note_pinned"]
    assert not await check_databases()


@pytest.fixture
async def notes(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Any]:
    """A fresh models module (`Note`) with its database open and migrated."""
    package = f"agora_notes_{uuid.uuid4().hex[:8]}"
    monkeypatch.syspath_prepend(str(tmp_path))
    write_package(tmp_path, package, MODELS_V1, INITIAL)
    spec = NotesSpec("notes", [f"{package}.models"], f"{package}.migrations")
    await init_databases([spec], settings)
    try:
        yield importlib.import_module(f"{package}.models")
    finally:
        await close_databases()


async def test_count_statements_counts_each_kind(notes: Any) -> None:
    with count_statements() as counter:
        note = await notes.Note.create(text="a")
        await notes.Note.filter(id=note.id).update(text="b")
        await notes.Note.all()
        await notes.Note.filter(id=note.id).delete()
    outside = await notes.Note.all().count()
    assert (counter.inserts, counter.updates, counter.selects, counter.deletes) == (
        1,
        1,
        1,
        1,
    )
    assert counter.total == 4
    assert outside == 0


async def test_count_statements_leaves_out_tasks_started_before_the_block(
    notes: Any,
) -> None:
    # An app's background task (accounts' directory sync) querying while a test
    # counts a request's statements must not land in the count; a task the block
    # starts (a DataLoader's batch) must.
    go = asyncio.Event()

    async def background() -> None:
        await go.wait()
        await notes.Note.all().count()

    async def started() -> None:
        await notes.Note.all()

    earlier = asyncio.create_task(background())
    with count_statements() as counter:
        go.set()
        await notes.Note.create(text="mine")
        await asyncio.create_task(started())
        await earlier
    assert (counter.inserts, counter.selects, counter.total) == (1, 1, 2)


async def test_detect_model_changes_names_the_missing_migration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = f"agora_notes_{uuid.uuid4().hex[:8]}"
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = NotesSpec("notes", [f"{package}.models"], f"{package}.migrations")
    write_package(tmp_path, package, MODELS_V1, INITIAL)
    in_sync = await detect_model_changes([spec])
    write_package(tmp_path, package, MODELS_V2, INITIAL)
    drifted = await detect_model_changes([spec])
    assert in_sync == []
    assert len(drifted) == 1
    assert drifted[0].startswith("notes.0002_")
