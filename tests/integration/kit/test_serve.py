"""`python -m subgraphs.<name>` in production: refuses to start with the
repository's secrets, and once started believes the gateway's signature only."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from subgraphs.kit.context import gateway_identity_headers
from subgraphs.kit.settings import DEV_JWT_SECRET, Settings
from subgraphs.kit.tokens import issue_token

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

ROOT = Path(__file__).resolve().parents[3]
JWT_SECRET = "production-jwt-secret-of-at-least-32-chars"
GATEWAY_SECRET = "production-gateway-secret-of-32-chars-plus"
ADMIN = "7d3c0a2e-0000-4000-8000-000000000102"


def environment(tmp_path: Path, **variables: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AGORA_", "JWT_", "DATABASE_URL", "REDIS_"))
    }
    return {**env, "AGORA_DATA_DIR": str(tmp_path), **variables}


async def run_to_exit(env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "subgraphs.accounts",
        "--port",
        "0",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(60):
        _, stderr = await process.communicate()
    assert process.returncode is not None
    return process.returncode, stderr.decode()


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        pytest.param({}, "JWT_SECRET", id="both-dev-secrets"),
        pytest.param(
            {"AGORA_GATEWAY_SECRET": GATEWAY_SECRET}, "JWT_SECRET", id="dev-jwt-secret"
        ),
        pytest.param(
            {"JWT_SECRET": JWT_SECRET}, "AGORA_GATEWAY_SECRET", id="dev-gateway-secret"
        ),
        pytest.param(
            {"JWT_SECRET": JWT_SECRET, "AGORA_GATEWAY_SECRET": "short"},
            "AGORA_GATEWAY_SECRET is shorter than 32",
            id="short-gateway-secret",
        ),
        pytest.param(
            {
                "JWT_SECRET": JWT_SECRET,
                "AGORA_GATEWAY_SECRET": GATEWAY_SECRET,
                "AGORA_SUBGRAPH_ACCEPT_BEARER": "1",
            },
            "AGORA_SUBGRAPH_ACCEPT_BEARER cannot be on",
            id="bearer-on",
        ),
    ],
)
async def test_production_refuses_to_start_with_development_secrets(
    tmp_path: Path, variables: dict[str, str], named: str
) -> None:
    env = environment(tmp_path, AGORA_ENV="production", **variables)
    code, stderr = await run_to_exit(env)
    assert code == 1
    assert "refusing to start" in stderr
    assert named in stderr
    assert "Traceback" not in stderr
    assert not list(tmp_path.iterdir()), "expected no database to be created"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def accounts_process(env: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "subgraphs.accounts",
        "--port",
        str(port),
        "--log-level",
        "info",
        cwd=ROOT,
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    try:
        async with asyncio.timeout(60):
            while b"Application startup complete" not in (
                line := await process.stderr.readline()
            ):
                assert line, "expected the subgraph to start, it exited"
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            yield client
    finally:
        process.terminate()
        await process.wait()


async def me(client: httpx.AsyncClient, headers: dict[str, str]) -> Any:
    response = await client.post(
        "/graphql", json={"query": "{ me { id roles } }"}, headers=headers
    )
    return response.json()


async def test_a_production_subgraph_believes_only_the_gateway_signature(
    tmp_path: Path,
) -> None:
    env = environment(
        tmp_path,
        AGORA_ENV="production",
        JWT_SECRET=JWT_SECRET,
        AGORA_GATEWAY_SECRET=GATEWAY_SECRET,
    )
    production = Settings(jwt_secret=JWT_SECRET)
    dev_admin = issue_token(
        Settings(),
        user_id=ADMIN,
        tenant_id=None,
        roles=["platform_admin"],
        scopes=[],
        type="access",
    )
    real_admin = issue_token(
        production,
        user_id=ADMIN,
        tenant_id=None,
        roles=["platform_admin"],
        scopes=[],
        type="access",
    )
    assert Settings().jwt_secret == DEV_JWT_SECRET
    async with accounts_process(env) as client:
        refused = [
            await me(client, {"Authorization": f"Bearer {dev_admin}"}),
            await me(client, {"Authorization": f"Bearer {real_admin}"}),
            await me(
                client,
                {
                    "x-agora-gateway-secret": "agora-dev-gateway-secret",
                    "x-agora-user-id": ADMIN,
                    "x-agora-roles": "platform_admin",
                },
            ),
            await me(
                client,
                gateway_identity_headers(
                    "agora-dev-gateway-secret", user_id=ADMIN, roles=["platform_admin"]
                ),
            ),
        ]
        signed = await me(
            client,
            gateway_identity_headers(
                GATEWAY_SECRET, user_id=ADMIN, roles=["platform_admin"]
            ),
        )
        service = (
            await client.post("/graphql", json={"query": "{ _service { sdl } }"})
        ).json()
    codes = [result["errors"][0]["extensions"]["code"] for result in refused]
    assert codes == ["UNAUTHENTICATED"] * 4
    assert signed["data"]["me"]["id"] == ADMIN
    assert service["errors"][0]["extensions"]["code"] == "FORBIDDEN"


LOGIN = """
mutation ($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken }
}
"""


async def test_a_rotating_x_forwarded_for_does_not_reset_the_login_throttle(
    tmp_path: Path,
) -> None:
    # Issue 12, finding 4: uvicorn took X-Forwarded-For from 127.0.0.1 as the
    # client, so every guess came from a "new" address.
    async def attempt(n: int, password: str) -> str:
        response = await client.post(
            "/graphql",
            json={
                "query": LOGIN,
                "variables": {"email": "agent@agora.dev", "password": password},
            },
            headers={
                "x-forwarded-for": f"198.51.100.{n}",
                "forwarded": f"for=198.51.100.{n}",
                "x-real-ip": f"198.51.100.{n}",
            },
        )
        body = response.json()
        return "OK" if "errors" not in body else body["errors"][0]["extensions"]["code"]

    async with accounts_process(environment(tmp_path)) as client:
        guesses = [await attempt(n, "wrong-password") for n in range(10)]
        more = await attempt(10, "wrong-password")
        right = await attempt(11, "agora-demo-password")
    assert guesses == ["UNAUTHENTICATED"] * 10
    assert (more, right) == ("RATE_LIMITED", "RATE_LIMITED")
