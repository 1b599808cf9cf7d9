"""`scripts/run` serves the whole graph: a real process, real HTTP, demo data seeded."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]
DEMO = {"email": "demo@agora.dev", "password": "agora-demo-password"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def graph_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL"}
    }
    env["AGORA_DATA_DIR"] = str(tmp_path_factory.mktemp("data"))
    process = subprocess.Popen(
        [sys.executable, "scripts/embedded.py", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"scripts/run exited early:\n{output}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("scripts/run did not answer /health within 60 s")
            time.sleep(0.2)
        yield f"{base}/graphql"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()


def _post(url: str, query: str, token: str | None = None, **variables: str) -> dict:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(
        url, json={"query": query, "variables": variables}, headers=headers, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()


LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken user { email } }
}
"""


def test_demo_user_logs_in_and_reads_me_through_the_gateway(graph_url: str) -> None:
    login = _post(graph_url, LOGIN, **DEMO)
    assert login["data"]["login"]["user"] == {"email": "demo@agora.dev"}
    token = login["data"]["login"]["accessToken"]

    me = _post(graph_url, "{ me { displayName tenant { name } } }", token)

    expected = {"displayName": "Demo Member", "tenant": {"name": "Demo Chamber"}}
    assert me == {"data": {"me": expected}}


def test_me_without_a_token_is_refused_at_the_gateway(graph_url: str) -> None:
    # `me` is @authenticated: the gateway removes it before planning.
    body = _post(graph_url, "{ me { id } }")

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"
    assert body["errors"][0]["path"] == ["me"]


def test_a_token_that_does_not_verify_is_unauthenticated(graph_url: str) -> None:
    response = httpx.post(
        graph_url,
        json={"query": "{ me { id } }"},
        headers={"authorization": "Bearer not-a-token"},
        timeout=10,
    )

    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_wrong_password_is_refused_without_a_stack_trace(graph_url: str) -> None:
    body = _post(graph_url, LOGIN, email="demo@agora.dev", password="not-it")

    error = body["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "Traceback" not in str(body)


def test_graphiql_is_served_to_a_browser(graph_url: str) -> None:
    response = httpx.get(graph_url, headers={"accept": "text/html"}, timeout=10)

    assert response.status_code == 200
    assert "graphiql" in response.text.lower()
