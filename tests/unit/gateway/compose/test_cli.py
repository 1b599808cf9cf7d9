"""`python -m gateway compose`: rover configs in, a supergraph file out, --check."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.compose import SupergraphConfigError, load_supergraph_config
from gateway.compose.cli import main

from ._cases import FIXTURES

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from starlette.requests import Request

CASE = FIXTURES / "entity_across_subgraphs"


def _config(tmp_path: Path, **schemas: str) -> Path:
    lines = ["subgraphs:"]
    for name, schema in schemas.items():
        lines += [
            f"  {name}:",
            f"    routing_url: http://{name}.example/graphql",
            f"    schema: {{{schema}}}",
        ]
    path = tmp_path / "supergraph.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _fixture_config(tmp_path: Path) -> Path:
    for name in ("accounts", "reviews"):
        (tmp_path / f"{name}.graphql").write_text(
            (CASE / f"{name}.graphql").read_text()
        )
    return _config(
        tmp_path, accounts="file: accounts.graphql", reviews="file: reviews.graphql"
    )


def test_compose_writes_the_supergraph_of_the_configured_files(tmp_path: Path) -> None:
    out = tmp_path / "out" / "supergraph.graphql"
    assert main(["--config", str(_fixture_config(tmp_path)), "--out", str(out)]) == 0
    assert '@join__graph(name: "reviews", url: "http://reviews.example/graphql")' in (
        out.read_text()
    )


def test_check_passes_on_a_fresh_file_and_fails_on_a_stale_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _fixture_config(tmp_path)
    out = tmp_path / "supergraph.graphql"
    assert main(["--config", str(config), "--out", str(out)]) == 0
    assert main(["--config", str(config), "--out", str(out), "--check"]) == 0
    (tmp_path / "reviews.graphql").write_text(
        (CASE / "reviews.graphql").read_text().replace("rating: Int", "stars: Int")
    )
    capsys.readouterr()
    assert main(["--config", str(config), "--out", str(out), "--check"]) == 1
    assert f"{out} is stale" in capsys.readouterr().err


def test_check_fails_when_the_output_file_is_missing(tmp_path: Path) -> None:
    config = _fixture_config(tmp_path)
    out = tmp_path / "missing.graphql"
    assert main(["--config", str(config), "--out", str(out), "--check"]) == 1


def test_a_subgraph_whose_schema_file_cannot_be_read_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "accounts.graphql").write_text((CASE / "accounts.graphql").read_text())
    config = _config(
        tmp_path, accounts="file: accounts.graphql", chat="file: chat.graphql"
    )
    out = tmp_path / "supergraph.graphql"
    assert main(["--config", str(config), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"error: subgraph chat: cannot read {tmp_path / 'chat.graphql'}" in err
    assert "1 subgraph(s) could not be read" in err
    assert not out.exists()


def test_composition_errors_are_reported_with_their_code_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    failing = FIXTURES / "error_invalid_field_sharing"
    for name in ("accounts", "profiles"):
        (tmp_path / f"{name}.graphql").write_text(
            (failing / f"{name}.graphql").read_text()
        )
    config = _config(
        tmp_path, accounts="file: accounts.graphql", profiles="file: profiles.graphql"
    )
    out = tmp_path / "supergraph.graphql"
    assert main(["--config", str(config), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "error: INVALID_FIELD_SHARING: Non-shareable field" in err
    assert "\n  at accounts:9:3\n  at profiles:5:3\n" in err
    assert not out.exists()


def test_a_config_without_subgraphs_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "supergraph.yaml"
    path.write_text("federation_version: =2.11.0\n")
    with pytest.raises(SupergraphConfigError, match="non-empty `subgraphs:` map"):
        load_supergraph_config(path)
    assert main(["--config", str(path), "--out", str(tmp_path / "x.graphql")]) == 1


def test_help_returns_zero_instead_of_exiting() -> None:
    assert main(["--help"]) == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_subgraph() -> Iterator[str]:
    """A real HTTP server answering `_service { sdl }` with a fixture subgraph's SDL."""
    sdl = (CASE / "reviews.graphql").read_text()

    async def graphql(request: Request) -> JSONResponse:
        body = await request.json()
        assert "_service" in body["query"]
        return JSONResponse({"data": {"_service": {"sdl": sdl}}})

    app = Starlette(routes=[Route("/graphql", graphql, methods=["POST"])])
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield f"http://127.0.0.1:{port}/graphql"
    server.should_exit = True
    thread.join(timeout=10)


def test_a_live_subgraph_is_introspected_through_service_sdl(
    tmp_path: Path, live_subgraph: str
) -> None:
    (tmp_path / "accounts.graphql").write_text((CASE / "accounts.graphql").read_text())
    config = _config(
        tmp_path,
        accounts="file: accounts.graphql",
        reviews=f"subgraph_url: {live_subgraph}",
    )
    out = tmp_path / "supergraph.graphql"
    assert main(["--config", str(config), "--out", str(out)]) == 0
    supergraph = out.read_text()
    assert "reviews: [Review!]! @join__field(graph: REVIEWS)" in supergraph


def test_an_unreachable_subgraph_url_is_a_config_error(tmp_path: Path) -> None:
    config = _config(
        tmp_path, reviews=f"subgraph_url: http://127.0.0.1:{_free_port()}/graphql"
    )
    out = tmp_path / "supergraph.graphql"
    assert main(["--config", str(config), "--out", str(out)]) == 1


def test_python_dash_m_gateway_compose_dispatches_here(tmp_path: Path) -> None:
    config = _fixture_config(tmp_path)
    out = tmp_path / "supergraph.graphql"
    command = [sys.executable, "-m", "gateway", "compose", "--config", str(config)]
    written = subprocess.run(
        [*command, "--out", str(out)], capture_output=True, text=True, check=False
    )
    assert written.returncode == 0, written.stderr
    checked = subprocess.run(
        [*command, "--out", str(out), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(
    ("entry", "complaint"),
    [
        ("    routing_url: http://a\n", "has no `schema:` map"),
        (
            "    routing_url: http://a\n"
            "    schema: {file: a.graphql, subgraph_url: x}\n",
            "exactly one of schema.file and schema.subgraph_url",
        ),
        ("    schema: {file: a.graphql}\n", "has no routing_url"),
    ],
)
def test_malformed_subgraph_entries_say_what_is_wrong(
    tmp_path: Path, entry: str, complaint: str
) -> None:
    path = tmp_path / "supergraph.yaml"
    path.write_text("subgraphs:\n  a:\n" + entry)
    with pytest.raises(SupergraphConfigError, match=complaint):
        load_supergraph_config(path)


def test_a_subgraph_url_doubles_as_routing_url(tmp_path: Path) -> None:
    path = tmp_path / "supergraph.yaml"
    path.write_text("subgraphs:\n  a:\n    schema: {subgraph_url: http://a/graphql}\n")
    (config,) = load_supergraph_config(path)
    assert (config.routing_url, config.schema_file) == ("http://a/graphql", None)
