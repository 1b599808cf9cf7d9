"""Member import: upload, validation, batches, upsert by email, resume, bad files."""

from __future__ import annotations

import asyncio
import io
import json
from typing import TYPE_CHECKING, Any

import pytest
from openpyxl import Workbook

from subgraphs.directory.app import create_app
from subgraphs.directory.events import IMPORT_PROGRESS
from subgraphs.directory.importing import run_import
from subgraphs.directory.models import ImportJob, ImportStatus, Membership

from .conftest import ADMIN, DEMO_CHAMBER, MEMBER, gql, headers_for

if TYPE_CHECKING:
    import httpx

    from subgraphs.kit.principal import Principal
    from subgraphs.kit.settings import Settings

START = """
mutation($chamber: ID!, $file: Upload!) {
  startMemberImport(chamberId: $chamber, file: $file) { id status filename }
}
"""
JOB = """
query($id: ID!) {
  importJob(id: $id) {
    status processed created updated failed error errorReportUrl
    errors { row email message }
  }
}
"""


def csv_file(rows: list[tuple[str, ...]], header: str = "email,name,company") -> bytes:
    lines = [header, *(",".join(row) for row in rows)]
    return ("\n".join(lines) + "\n").encode()


def xlsx_file(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


async def upload(
    client: httpx.AsyncClient,
    settings: Settings,
    caller: Principal,
    filename: str,
    content: bytes,
) -> dict[str, Any]:
    """A GraphQL multipart request (the spec's operations / map / file parts)."""
    operations = {"query": START, "variables": {"chamber": DEMO_CHAMBER, "file": None}}
    response = await client.post(
        "/graphql",
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.file"]}),
        },
        files={"0": (filename, content, "application/octet-stream")},
        headers=headers_for(caller, settings),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def finished(app: Any, job_id: str) -> None:
    """Wait for the job's terminal progress event (or its stored end)."""
    broker = app.state.broker
    async with broker.subscribe(IMPORT_PROGRESS.name(job_id)) as events:
        job = await ImportJob.get(id=job_id)
        if job.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED):
            return
        async for payload in events:
            if payload["status"] in ("SUCCEEDED", "FAILED"):
                return


async def import_and_wait(
    client: httpx.AsyncClient, app: Any, settings: Settings, name: str, data: bytes
) -> dict[str, Any]:
    started = await upload(client, settings, ADMIN, name, data)
    job_id = started["data"]["startMemberImport"]["id"]
    await asyncio.wait_for(finished(app, job_id), 30)
    result = await gql(client, settings, ADMIN, JOB, id=job_id)
    job: dict[str, Any] = result["data"]["importJob"]
    return job


ROWS = [
    ("ann@example.com", "Ann", "Ann's Bakery"),
    ("BOB@example.com", "Bob", ""),
    ("not-an-email", "Nobody", ""),
    ("ann@example.com", "Ann Again", ""),
    ("carl@example.com", "", ""),
    ("dora@example.com", "Dora", "Dora Legal"),
]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
async def test_an_import_validates_each_row_and_a_second_run_creates_nothing(
    directory_settings: Settings, asgi_client: Any, kind: str
) -> None:
    data = (
        csv_file(ROWS)
        if kind == "csv"
        else xlsx_file(ROWS, ("Email", "Name", "Company"))
    )
    app = create_app(directory_settings)
    async with asgi_client(app) as client:
        first = await import_and_wait(
            client, app, directory_settings, f"members.{kind}", data
        )
        second = await import_and_wait(
            client, app, directory_settings, f"members.{kind}", data
        )
        members = await Membership.filter(chamber_id=DEMO_CHAMBER).count()
    assert {
        k: first[k] for k in ("status", "processed", "created", "updated", "failed")
    } == {
        "status": "SUCCEEDED",
        "processed": 6,
        "created": 3,
        "updated": 0,
        "failed": 3,
    }
    assert [(e["row"], e["message"]) for e in first["errors"]] == [
        (4, "email is not valid"),
        (5, "email repeats an earlier row"),
        (6, "name is required"),
    ]
    assert first["errorReportUrl"].startswith("data:text/csv;base64,")
    assert (second["created"], second["updated"], second["failed"]) == (0, 3, 3)
    assert members == 2 + 3  # the seed's two, and three imported once


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("members.csv", b"email,company\na@b.io,X\n", "missing column(s): name"),
        ("members.csv", b"email,name\na@b.io,J\xfcrgen\n", "not UTF-8"),
        ("members.xlsx", b"PK\x03\x04 this is no zip", "not a spreadsheet"),
        ("members.pdf", b"%PDF-1.4 \x00\x01", "binary"),
        ("members.csv", b"", "empty"),
    ],
)
async def test_a_bad_file_is_refused_with_its_reason_and_creates_no_job(
    directory_settings: Settings,
    asgi_client: Any,
    name: str,
    data: bytes,
    reason: str,
) -> None:
    app = create_app(directory_settings)
    async with asgi_client(app) as client:
        answer = await upload(client, directory_settings, ADMIN, name, data)
        jobs = await ImportJob.all().count()
        members = await Membership.filter(chamber_id=DEMO_CHAMBER).count()
    error = answer["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert reason in error["message"]
    assert (jobs, members) == (0, 2)


async def test_a_file_over_the_size_limit_is_refused(
    directory_settings: Settings, asgi_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIRECTORY_IMPORT_MAX_BYTES", "100")
    app = create_app(directory_settings)
    async with asgi_client(app) as client:
        answer = await upload(
            client, directory_settings, ADMIN, "m.csv", csv_file(ROWS * 10)
        )
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "larger than 100 bytes" in answer["errors"][0]["message"]


async def test_only_a_chamber_admin_imports(
    directory_settings: Settings, asgi_client: Any
) -> None:
    app = create_app(directory_settings)
    async with asgi_client(app) as client:
        answer = await upload(
            client, directory_settings, MEMBER, "m.csv", csv_file(ROWS)
        )
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_job_restarted_after_a_committed_batch_resumes_after_it(
    directory_settings: Settings, asgi_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIRECTORY_IMPORT_WORKER", "external")
    rows = [(f"m{n}@example.com", f"M {n}", "") for n in range(25)]
    app = create_app(directory_settings)
    async with asgi_client(app) as client:
        started = await upload(
            client, directory_settings, ADMIN, "m.csv", csv_file(rows)
        )
        job_id = started["data"]["startMemberImport"]["id"]
        # A worker that committed two batches of 10 and died: its rows stay.
        job = await ImportJob.get(id=job_id)
        original = job.path
        partial = directory_settings.data_dir / "partial.csv"
        partial.write_bytes(csv_file(rows[:20]))
        job.path = str(partial)
        await job.save()
        await run_import(job_id, batch_size=10)
        await ImportJob.filter(id=job_id).update(
            status=ImportStatus.RUNNING, path=original, finished_at=None
        )
        resumed = await run_import(job_id, batch_size=10)
        members = await Membership.filter(email__startswith="m").count()
    assert (resumed.processed, resumed.created, resumed.updated) == (25, 25, 0)
    assert members == 25
