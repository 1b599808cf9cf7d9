"""Member imports of 50,000 rows through the gateway, on PostgreSQL and Redis.

The directory runs in process behind a uvicorn-served gateway (AsgiTransport), with
DIRECTORY_IMPORT_WORKER=external: jobs are taken by real worker processes
(`python -m subgraphs.directory worker`), whose progress events reach the
gateway's websocket clients through Redis. Files are uploaded as GraphQL multipart
requests to the gateway, which streams them on to the subgraph.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import dataclasses
import io
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from openpyxl import Workbook
from websockets.asyncio.client import connect

from gateway.compose import SubgraphDefinition, compose
from gateway.config import load_config
from gateway.server import create_app as create_gateway
from gateway.transport import AsgiTransport
from subgraphs.directory.app import SPEC, create_app
from subgraphs.directory.events import IMPORT_PROGRESS
from subgraphs.directory.models import ImportJob, Membership
from subgraphs.kit.pubsub import Broker
from subgraphs.kit.tokens import issue_token

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from subgraphs.kit.settings import Settings

pytestmark = [
    pytest.mark.integration,
    pytest.mark.parametrize("database_url", ["postgres"], indirect=True),
]

logger = logging.getLogger("agora.tests")

ROOT = Path(__file__).resolve().parents[3]
ROWS = 50_000
SECRET = "directory-import-test-gateway-secret-0123456789"
JWT = "directory-import-test-jwt-secret-0123456789abcdef"
ADMIN = "7d3c0a2e-0000-4000-8000-000000000101"  # the Demo Chamber's admin
CHAMBER = "7d3c0a2e-0000-4000-8000-000000000201"
START = """
mutation($chamber: ID!, $file: Upload!) {
  startMemberImport(chamberId: $chamber, file: $file) { id status }
}
"""
PROGRESS = """
subscription($id: ID!) {
  importProgress(jobId: $id) { status processed created updated failed }
}
"""


def csv_bytes(rows: int, domain: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "name", "company", "tier"])
    for n in range(rows):
        writer.writerow(
            [f"member{n}@{domain}", f"Member {n}", f"Company {n % 997}", "gold"]
        )
    return out.getvalue().encode()


def xlsx_bytes(rows: int, domain: str) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["Email", "Name", "Company"])
    for n in range(rows):
        sheet.append([f"member{n}@{domain}", f"Member {n}", f"Company {n % 997}"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@dataclasses.dataclass
class Graph:
    settings: Settings
    gateway: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {
            "authorization": f"Bearer {self.token}",
            "apollo-require-preflight": "1",
        }


@contextlib.asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    import socket

    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            assert not task.done()
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest.fixture
async def graph(
    settings: Settings,
    redis_url: str,
    redis_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Graph]:
    monkeypatch.setenv("DIRECTORY_IMPORT_WORKER", "external")
    settings = dataclasses.replace(
        settings,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        gateway_secret=SECRET,
        jwt_secret=JWT,
    )
    directory = create_app(settings)
    service = await SPEC.schema.execute("{ _service { sdl } }")
    assert service.data is not None
    sdl = service.data["_service"]["sdl"]
    supergraph = compose(
        [SubgraphDefinition("directory", "http://directory/graphql", sdl)]
    ).supergraph_sdl
    assert supergraph is not None
    config = load_config(
        environ={},
        values={
            "secret": SECRET,
            "auth": {"jwt_secret": JWT},
            "subscription": {"keepalive": 0},
        },
    )
    gateway = create_gateway(
        supergraph,
        transports={"directory": AsgiTransport("directory", directory)},
        config=config,
    )
    token = issue_token(
        settings,
        user_id=ADMIN,
        tenant_id="7d3c0a2e-0000-4000-8000-000000000001",
        roles=["member"],
        scopes=[],
        type="access",
    )
    async with directory.router.lifespan_context(directory), served(gateway) as url:
        yield Graph(settings, url, token)


@contextlib.asynccontextmanager
async def worker(settings: Settings) -> AsyncIterator[asyncio.subprocess.Process]:
    """A worker process on the graph's database and Redis; killed at the end."""
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url or "",
        "REDIS_URL": settings.redis_url or "",
        "REDIS_PREFIX": settings.redis_prefix,
        "JWT_SECRET": settings.jwt_secret,
        "AGORA_GATEWAY_SECRET": settings.gateway_secret,
        "AGORA_DATA_DIR": str(settings.data_dir),
        "DIRECTORY_WORKER_STALLED_TIMEOUT": "2",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "subgraphs.directory", "worker", cwd=ROOT, env=env
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()


def memory_kib(process: asyncio.subprocess.Process) -> dict[str, int]:
    """VmRSS (now) and VmHWM (the peak) of a live process, in KiB."""
    status = Path(f"/proc/{process.pid}/status").read_text()
    return {
        line.split(":")[0]: int(line.split()[1])
        for line in status.splitlines()
        if line.startswith(("VmRSS", "VmHWM"))
    }


async def upload(graph: Graph, name: str, data: bytes) -> str:
    operations = {"query": START, "variables": {"chamber": CHAMBER, "file": None}}
    async with httpx.AsyncClient(timeout=120) as client:
        response = await client.post(
            graph.gateway + "/graphql",
            data={
                "operations": json.dumps(operations),
                "map": json.dumps({"0": ["variables.file"]}),
            },
            files={"0": (name, data, "application/octet-stream")},
            headers=graph.headers,
        )
    body = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body
    job_id: str = body["data"]["startMemberImport"]["id"]
    return job_id


async def watch(graph: Graph, job_id: str) -> list[dict[str, Any]]:
    """Every progress event a graphql-transport-ws client of the gateway sees."""
    url = graph.gateway.replace("http://", "ws://") + "/graphql"
    events: list[dict[str, Any]] = []
    async with connect(url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
        await socket.send(
            json.dumps(
                {
                    "type": "connection_init",
                    "payload": {"Authorization": f"Bearer {graph.token}"},
                }
            )
        )
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        await socket.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": PROGRESS, "variables": {"id": job_id}},
                }
            )
        )
        async for raw in socket:
            message = json.loads(raw)
            if message["type"] == "next":
                assert "errors" not in message["payload"], message
                events.append(message["payload"]["data"]["importProgress"])
            elif message["type"] == "complete":
                return events
            else:
                raise AssertionError(message)
    return events


def assert_increasing(events: list[dict[str, Any]]) -> None:
    """Counts only grow, each batch is seen once, and only the last event ends."""
    processed = [event["processed"] for event in events]
    assert processed == sorted(processed)
    running = [e["processed"] for e in events if e["status"] == "RUNNING"]
    assert len(set(running)) == len(running)
    assert {e["status"] for e in events[:-1]} <= {"QUEUED", "RUNNING"}


async def test_50000_row_csv_and_xlsx_imports_report_live_progress_in_flat_memory(
    graph: Graph,
) -> None:
    data = csv_bytes(ROWS, "csv.example")
    async with worker(graph.settings) as process:
        # Warm up (every module and code path loaded), then measure from there.
        for name, warm in (
            ("warm.csv", csv_bytes(10, "warm.example")),
            ("warm.xlsx", xlsx_bytes(10, "warm.example")),
        ):
            await asyncio.wait_for(watch(graph, await upload(graph, name, warm)), 60)
        idle = memory_kib(process)
        job = await upload(graph, "members.csv", data)
        events = await asyncio.wait_for(watch(graph, job), 300)
        after_csv = memory_kib(process)
        again = await upload(graph, "members.csv", data)
        repeat = await asyncio.wait_for(watch(graph, again), 300)
        sheet = await upload(graph, "members.xlsx", xlsx_bytes(ROWS, "xlsx.example"))
        xlsx_events = await asyncio.wait_for(watch(graph, sheet), 300)
        after_xlsx = memory_kib(process)
    members = await Membership.filter(chamber_id=CHAMBER).count()
    logger.warning(
        "worker memory KiB: warmed up %s, after 50,000 CSV rows (twice) %s, "
        "after 50,000 XLSX rows %s",
        idle,
        after_csv,
        after_xlsx,
    )
    assert_increasing(events)
    assert len(events) > 10  # live: one per committed batch of 500, and the end
    assert events[-1] == {
        "status": "SUCCEEDED",
        "processed": ROWS,
        "created": ROWS,
        "updated": 0,
        "failed": 0,
    }
    assert (repeat[-1]["created"], repeat[-1]["updated"]) == (0, ROWS)
    assert_increasing(xlsx_events)
    assert (xlsx_events[-1]["status"], xlsx_events[-1]["created"]) == (
        "SUCCEEDED",
        ROWS,
    )
    assert members == 2 * ROWS + 2 + 10
    # Flat: 50,000 rows held as Python objects would take well over 32 MiB.
    assert after_xlsx["VmHWM"] - idle["VmHWM"] < 32 * 1024


async def test_a_worker_killed_mid_import_is_replaced_and_the_counts_are_the_same(
    graph: Graph,
) -> None:
    broker = Broker(graph.settings.redis_url, prefix=graph.settings.redis_prefix)
    await broker.connect()
    try:
        async with worker(graph.settings) as first:
            job = await upload(graph, "members.csv", csv_bytes(ROWS, "kill.example"))
            async with broker.subscribe(IMPORT_PROGRESS.name(job)) as events:
                async for event in events:
                    if event["processed"] >= 10_000:
                        break
            first.kill()
            await first.wait()
        stopped = await ImportJob.get(id=job)
        async with worker(graph.settings):
            events_after = await asyncio.wait_for(watch(graph, job), 300)
    finally:
        await broker.disconnect()
    members = await Membership.filter(email__endswith="@kill.example").count()
    assert stopped.status.value == "RUNNING"
    assert 10_000 <= stopped.processed < ROWS
    assert events_after[-1] == {
        "status": "SUCCEEDED",
        "processed": ROWS,
        "created": ROWS,
        "updated": 0,
        "failed": 0,
    }
    assert members == ROWS
