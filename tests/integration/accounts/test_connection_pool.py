"""Slow password work holds no pooled database connection.

A root mutation field runs in a transaction on one of the pool's connections
(subgraphs.kit.idempotency), five by default. login's and register's argon2 work
(~0.35 s of CPU each) runs in their `prepared_by` step, before the transaction
opens: with it inside, five logins at once held every connection, and every other
request of accounts (the gateway's user lookups for every chat event) waited.
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, Any

import pytest
from argon2 import PasswordHasher

from subgraphs.accounts import passwords
from subgraphs.accounts.app import create_app
from subgraphs.accounts.models import User

if TYPE_CHECKING:
    import httpx

    from subgraphs.kit.settings import Settings

ON_POSTGRES = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)

LOGIN = """
mutation ($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken }
}
"""
REGISTER = """
mutation ($email: String!) {
  register(input: {email: $email, password: "Correct-horse-9", displayName: "N"}) {
    email
  }
}
"""
LOOKUP = """
query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }
"""


class GatedHasher(PasswordHasher):
    """argon2 as configured, each hash and verification held until `gate` opens."""

    def __init__(self, gate: threading.Event) -> None:
        super().__init__()
        self.gate = gate
        self.waiting = 0
        self.lock = threading.Lock()

    def _hold(self) -> None:
        with self.lock:
            self.waiting += 1
        self.gate.wait(30)

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self._hold()
        return super().verify(hash, password)

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self._hold()
        return super().hash(password, salt=salt)


async def post(
    client: httpx.AsyncClient, query: str, **variables: Any
) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@ON_POSTGRES
@pytest.mark.integration
async def test_lookups_are_served_while_logins_and_registrations_hash(
    settings: Settings, asgi_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = threading.Event()
    hasher = GatedHasher(gate)
    async with asgi_client(create_app(settings)) as client:
        # Gated once the demo users are seeded (their hashes are made at start-up).
        monkeypatch.setattr(passwords, "_hasher", hasher)
        user_id = str(await User.all().first().values_list("id", flat=True))
        writes = [
            asyncio.create_task(
                post(client, LOGIN, email=f"nobody{n}@example.org", password="x" * 12)
            )
            for n in range(6)
        ] + [
            asyncio.create_task(post(client, REGISTER, email=f"new{n}@example.org"))
            for n in range(3)
        ]
        try:
            async with asyncio.timeout(20):
                while hasher.waiting < len(writes):
                    await asyncio.sleep(0.01)
            # Nine mutations are inside argon2 now; five connections in the pool.
            async with asyncio.timeout(10):
                found = await post(
                    client, LOOKUP, r=[{"__typename": "User", "id": user_id}]
                )
        finally:
            gate.set()
        answers = await asyncio.gather(*writes)
    assert found == {"data": {"_entities": [{"id": user_id}]}}
    codes = [a["errors"][0]["extensions"]["code"] for a in answers[:6]]
    assert codes == ["UNAUTHENTICATED"] * 6
    assert [a["data"]["register"]["email"] for a in answers[6:]] == [
        f"new{n}@example.org" for n in range(3)
    ]
