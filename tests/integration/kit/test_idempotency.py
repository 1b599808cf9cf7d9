"""Mutations safe to retry (issue 13): one transaction per root mutation field, the
caller's deadline, idempotency keys (header and argument), transient faults named.

A toy subgraph with one table (`notes_note`) on both backends; each test counts
what the client was told against the rows the database holds.
"""

from __future__ import annotations

import asyncio
import importlib
import itertools
import sys
import textwrap
import uuid
from typing import TYPE_CHECKING, Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no stubs
import pytest
import strawberry
from tortoise.connection import connections
from tortoise.transactions import in_transaction

from subgraphs.kit._postgres import CommitOutcomeUnknown
from subgraphs.kit.app import SubgraphSpec, create_subgraph_app
from subgraphs.kit.context import RequestContext  # noqa: TC001 - read by Strawberry
from subgraphs.kit.database import close_databases, init_databases
from subgraphs.kit.errors import BadUserInput
from subgraphs.kit.idempotency import TABLE, key_argument

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from subgraphs.kit.settings import Settings

MODELS = """
from tortoise import fields
from tortoise.models import Model

class Note(Model):
    id = fields.IntField(primary_key=True)
    text = fields.CharField(max_length=100)

    class Meta:
        table = "notes_note"
        app = "notes"
"""

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

# The models module of the running test (written to its tmp_path).
_models: dict[str, str] = {}


async def _create(text: str) -> int:
    note = await importlib.import_module(_models["module"]).Note.create(text=text)
    return int(note.id)


@strawberry.type
class Query:
    @strawberry.field
    def ping(self) -> str:
        return "pong"


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def add_note(self, text: str) -> int:
        return await _create(text)

    @strawberry.mutation(metadata=key_argument("clientId"))  # type: ignore[untyped-decorator]
    async def add_note_once(self, text: str, client_id: str) -> int:
        return await _create(text)

    @strawberry.mutation
    async def slow_note(self, text: str, seconds: float) -> int:
        note = await _create(text)
        await asyncio.sleep(seconds)
        return note

    @strawberry.mutation
    async def refused_note(self, text: str) -> int:
        await _create(text)
        raise BadUserInput("Refused after writing.", field="text")

    @strawberry.mutation
    async def broken_note(self, text: str) -> int:
        await _create(text)
        raise RuntimeError("a defect")

    @strawberry.mutation
    async def dropped_note(self, text: str) -> int:
        # The resolver's own connection dies under it (a failover).
        await _create(text)
        db = connections.get("notes")
        await db.execute_query("SELECT pg_terminate_backend(pg_backend_pid())")
        return 0

    @strawberry.mutation
    async def slow_commit(self, info: strawberry.Info[RequestContext, None]) -> int:
        # slow_commit's deferred trigger makes the COMMIT itself take 0.4 s.
        db = connections.get("notes")
        rows = await db.execute_query_dict(
            "INSERT INTO slow_commit DEFAULT VALUES RETURNING id"
        )
        broker = info.context.broker
        assert broker is not None
        await broker.publish("committed", {"id": rows[0]["id"]})
        return int(rows[0]["id"])


SLOW_COMMIT = """
CREATE TABLE slow_commit (id SERIAL PRIMARY KEY);
CREATE FUNCTION slow_commit_sleep() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN PERFORM pg_sleep(0.4); RETURN NULL; END $$;
CREATE CONSTRAINT TRIGGER slow_commit_sleep AFTER INSERT ON slow_commit
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit_sleep();
"""

SCHEMA = strawberry.federation.Schema(query=Query, mutation=Mutation)

ADD = "mutation($t: String!) { addNote(text: $t) }"


@pytest.fixture
def spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SubgraphSpec]:
    package = f"agora_idem_{uuid.uuid4().hex[:8]}"
    root = tmp_path / "pkg"
    (root / package / "migrations").mkdir(parents=True)
    (root / package / "__init__.py").write_text("")
    (root / package / "models.py").write_text(textwrap.dedent(MODELS))
    (root / package / "migrations" / "__init__.py").write_text("")
    (root / package / "migrations" / "0001_initial.py").write_text(INITIAL)
    monkeypatch.syspath_prepend(str(root))
    importlib.invalidate_caches()
    _models["module"] = f"{package}.models"
    yield SubgraphSpec(
        name="notes",
        schema=SCHEMA,
        models=[f"{package}.models"],
        migrations=f"{package}.migrations",
    )
    for module in [m for m in sys.modules if m.startswith(package)]:
        del sys.modules[module]


async def post(
    client: Any, query: str, variables: dict[str, Any], **headers: str
) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={k.replace("_", "-"): v for k, v in headers.items()},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def rows(*columns: str) -> list[str]:
    found = await connections.get("notes").execute_query_dict(
        "SELECT text FROM notes_note ORDER BY id"
    )
    return [row["text"] for row in found]


def code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


async def test_a_retry_with_the_same_key_returns_the_stored_result_once(
    settings: Settings, spec: SubgraphSpec, asgi_client: Any
) -> None:
    # Long enough that the stored hash (base64) cannot hold it by chance: with
    # "k1", a CI run failed on a stored hash that happened to contain it.
    key = "client-key-Ab3xQ9-not-stored"
    async with asgi_client(create_subgraph_app(spec, settings)) as client:
        first = await post(client, ADD, {"t": "a"}, Idempotency_Key=key)
        again = await post(client, ADD, {"t": "a"}, Idempotency_Key=key)
        other = await post(client, ADD, {"t": "b"}, Idempotency_Key=key)
        unkeyed = await post(client, ADD, {"t": "a"})
        stored = await rows()
        records = await connections.get("notes").execute_query_dict(
            f"SELECT * FROM {TABLE}"
        )
    assert first == again == {"data": {"addNote": first["data"]["addNote"]}}
    assert code(other) == "IDEMPOTENCY_KEY_REUSED"
    assert unkeyed["data"]["addNote"] != first["data"]["addNote"]
    assert stored == ["a", "a"]
    # The record holds neither the key nor the value in clear.
    assert len(records) == 1
    assert key not in str(records[0])
    assert records[0]["response"]
    assert "value" not in records[0]["response"]


async def test_the_key_argument_serves_clients_that_cannot_set_headers(
    settings: Settings, spec: SubgraphSpec, asgi_client: Any
) -> None:
    once = "mutation($t: String!, $c: String!) { addNoteOnce(text: $t, clientId: $c) }"
    async with asgi_client(create_subgraph_app(spec, settings)) as client:
        first = await post(client, once, {"t": "a", "c": "c1"})
        again = await post(client, once, {"t": "a", "c": "c1"})
        other = await post(client, once, {"t": "b", "c": "c1"})
        fresh = await post(client, once, {"t": "a", "c": "c2"})
        stored = await rows()
    assert first == again
    assert code(other) == "IDEMPOTENCY_KEY_REUSED"
    assert fresh["data"]["addNoteOnce"] != first["data"]["addNoteOnce"]
    assert stored == ["a", "a"]


async def test_an_expired_record_is_taken_over_by_the_next_request_of_its_key(
    settings: Settings, spec: SubgraphSpec, asgi_client: Any
) -> None:
    async with asgi_client(create_subgraph_app(spec, settings)) as client:
        first = await post(client, ADD, {"t": "a"}, Idempotency_Key="k9")
        live = await post(client, ADD, {"t": "b"}, Idempotency_Key="k9")
        await connections.get("notes").execute_query(
            f"UPDATE {TABLE} SET expires_at = 0"
        )
        # Past its expiry the key is new again: another request runs and is kept.
        other = await post(client, ADD, {"t": "b"}, Idempotency_Key="k9")
        again = await post(client, ADD, {"t": "b"}, Idempotency_Key="k9")
        stored = await rows()
        records = await connections.get("notes").execute_query_dict(
            f"SELECT expires_at FROM {TABLE}"
        )
    assert code(live) == "IDEMPOTENCY_KEY_REUSED"
    assert "errors" not in other
    assert other["data"]["addNote"] != first["data"]["addNote"]
    assert again == other
    assert stored == ["a", "b"]
    assert len(records) == 1
    assert records[0]["expires_at"] > 0


async def test_each_root_field_has_its_own_record_under_one_key(
    settings: Settings, spec: SubgraphSpec, asgi_client: Any
) -> None:
    two = 'mutation { a: addNote(text: "x") b: addNote(text: "y") }'
    async with asgi_client(create_subgraph_app(spec, settings)) as client:
        first = await post(client, two, {}, Idempotency_Key="k2")
        again = await post(client, two, {}, Idempotency_Key="k2")
        stored = await rows()
    assert "errors" not in first
    assert first == again
    assert stored == ["x", "y"]


async def test_a_refused_request_keeps_its_writes_and_gives_the_key_back(
    settings: Settings, spec: SubgraphSpec, asgi_client: Any
) -> None:
    refused = 'mutation { refusedNote(text: "r") }'
    async with asgi_client(create_subgraph_app(spec, settings)) as client:
        first = await post(client, refused, {}, Idempotency_Key="k3")
        # Judged again, not answered from a record.
        second = await post(client, refused, {}, Idempotency_Key="k3")
        reuse = await post(client, ADD, {"t": "after"}, Idempotency_Key="k3")
        stored = await rows()
    assert code(first) == code(second) == "BAD_USER_INPUT"
    assert "errors" not in reuse
    assert stored == ["r", "r", "after"]


async def test_a_defect_rolls_the_whole_field_back(
    settings: Settings, spec: SubgraphSpec, asgi_client: Any
) -> None:
    async with asgi_client(create_subgraph_app(spec, settings)) as client:
        # With a key (SQLite runs a keyed mutation in a transaction too).
        body = await post(
            client, 'mutation { brokenNote(text: "z") }', {}, Idempotency_Key="k8"
        )
        stored = await rows()
    assert code(body) == "INTERNAL_SERVER_ERROR"
    assert stored == []


async def test_past_the_deadline_the_write_is_rolled_back(
    settings: Settings, spec: SubgraphSpec, asgi_client: Any
) -> None:
    slow = 'mutation($s: Float!) { slowNote(text: "late", seconds: $s) }'
    async with asgi_client(create_subgraph_app(spec, settings)) as client:
        late = await post(
            client, slow, {"s": 0.5}, x_agora_deadline_ms="150", Idempotency_Key="k4"
        )
        in_time = await post(
            client, slow, {"s": 0.0}, x_agora_deadline_ms="5000", Idempotency_Key="k5"
        )
        # The late one stored no record: its retry runs (and now has the time).
        retried = await post(
            client, slow, {"s": 0.5}, x_agora_deadline_ms="5000", Idempotency_Key="k4"
        )
        stored = await rows()
    assert code(late) == "DEADLINE_EXCEEDED"
    assert "errors" not in in_time
    assert "errors" not in retried
    assert stored == ["late", "late"]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_concurrent_requests_under_one_key_write_once(
    settings: Settings, spec: SubgraphSpec, asgi_client: Any
) -> None:
    async with asgi_client(create_subgraph_app(spec, settings)) as client:
        bodies = await asyncio.gather(
            *(post(client, ADD, {"t": "once"}, Idempotency_Key="k6") for _ in range(6))
        )
        stored = await rows()
    assert len({body["data"]["addNote"] for body in bodies}) == 1, bodies
    assert stored == ["once"]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_dropped_connection_is_retryable_and_stores_nothing(
    settings: Settings, spec: SubgraphSpec, asgi_client: Any
) -> None:
    async with asgi_client(create_subgraph_app(spec, settings)) as client:
        body = await post(
            client, 'mutation { droppedNote(text: "d") }', {}, Idempotency_Key="k7"
        )
        stored = await rows()
        ok = await post(client, ADD, {"t": "next"})
    error = body["errors"][0]
    assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE", "retryable": True}
    assert stored == []
    assert "errors" not in ok


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_terminated_backends_never_make_a_stored_write_look_failed(
    settings: Settings, spec: SubgraphSpec
) -> None:
    # Writers commit one row each while every backend of the database is
    # terminated every 20 ms: a transaction reported failed must have stored
    # nothing, one reported done must be there (before the kit's engine, asyncpg's
    # pool failing its reset after COMMIT reported stored writes as failed).
    await init_databases([spec], settings)
    told: dict[str, str] = {}
    terminated = 0
    stop = asyncio.Event()

    async def kill() -> None:
        nonlocal terminated
        admin = await asyncpg.connect(settings.database_url)
        try:
            while not stop.is_set():
                terminated += len(
                    await admin.fetch(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid()"
                    )
                )
                await asyncio.sleep(0.02)
        finally:
            await admin.close()

    async def write(writer: int) -> None:
        for n in itertools.count():
            if stop.is_set():
                return
            text = f"{writer}-{n}"
            try:
                async with in_transaction("notes") as db:
                    await db.execute_query(
                        "INSERT INTO notes_note (text) VALUES ($1)", [text]
                    )
                told[text] = "stored"
            except CommitOutcomeUnknown:
                told[text] = "unknown"
            except Exception:
                told[text] = "failed"
            await asyncio.sleep(0.001)

    try:
        killer = asyncio.create_task(kill())
        writers = [asyncio.create_task(write(w)) for w in range(4)]
        await asyncio.sleep(2.0)
        stop.set()
        await asyncio.gather(killer, *writers)
        stored = set(await rows())
    finally:
        await close_databases()
    failed = {text for text, said in told.items() if said == "failed"}
    done = {text for text, said in told.items() if said == "stored"}
    summary = f"{len(done)} stored, {len(failed)} failed, {terminated} terminated"
    assert failed & stored == set(), summary
    assert done <= stored, summary
    assert terminated > 10, summary
    assert failed, summary
    # The pool recovers: writes go on being stored between the terminations.
    assert len(done) >= 20, summary


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_deadline_passing_during_the_commit_waits_for_it(
    settings: Settings, spec: SubgraphSpec, asgi_client: Any
) -> None:
    # The deadline (150 ms) passes while the COMMIT (0.4 s) is in flight: the
    # COMMIT is not cancelled half-way, so the write and its record are stored
    # and what it publishes goes out.
    app = create_subgraph_app(spec, settings)
    async with asgi_client(app) as client:
        await connections.get("notes").execute_script(SLOW_COMMIT)
        async with app.state.broker.subscribe("committed") as events:
            body = await post(
                client,
                "mutation { slowCommit }",
                {},
                x_agora_deadline_ms="150",
                Idempotency_Key="k9",
            )
            event = await asyncio.wait_for(events.get(), 2)
        stored = await connections.get("notes").execute_query_dict(
            "SELECT id FROM slow_commit"
        )
        retried = await post(
            client, "mutation { slowCommit }", {}, Idempotency_Key="k9"
        )
    assert [row["id"] for row in stored] == [event["id"]], body
    assert retried == {"data": {"slowCommit": event["id"]}}
