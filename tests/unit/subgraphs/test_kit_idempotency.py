"""Every subgraph's mutations go through the kit's IdempotentMutations; the
deadline header is read relative to when the request arrives."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from subgraphs.accounts.app import SPEC as ACCOUNTS
from subgraphs.chat.app import SPEC as CHAT
from subgraphs.directory.app import SPEC as DIRECTORY
from subgraphs.inventory.app import SPEC as INVENTORY
from subgraphs.kit.app import create_subgraph_app
from subgraphs.kit.context import MAX_DEADLINE_SECONDS, deadline_of
from subgraphs.kit.idempotency import KEY_ARGUMENT, IdempotentMutations
from subgraphs.kit.settings import Settings

if TYPE_CHECKING:
    from pathlib import Path

    from subgraphs.kit.app import SubgraphSpec


@pytest.mark.parametrize(
    "spec", [ACCOUNTS, CHAT, INVENTORY, DIRECTORY], ids=lambda s: s.name
)
def test_every_subgraph_runs_its_mutations_through_the_kit(
    spec: SubgraphSpec, tmp_path: Path
) -> None:
    # The app factory adds the extension (a subgraph without models would have no
    # database for its transactions).
    create_subgraph_app(spec, Settings(data_dir=tmp_path))
    assert IdempotentMutations in spec.schema.extensions
    assert spec.models


def test_chats_client_id_is_the_key_of_send_message() -> None:
    mutation = CHAT.schema.mutation
    assert mutation is not None
    fields = {
        field.python_name: field
        for field in mutation.__strawberry_definition__.fields  # type: ignore[attr-defined]
    }
    assert fields["send_message"].metadata[KEY_ARGUMENT] == ("input", "clientId")


def test_the_deadline_counts_from_arrival_and_is_bounded() -> None:
    assert deadline_of({"x-agora-deadline-ms": "1500"}, now=100.0) == 101.5
    assert deadline_of({"x-agora-deadline-ms": "99999999"}, now=0.0) == (
        MAX_DEADLINE_SECONDS
    )
    assert deadline_of({"x-agora-deadline-ms": "-5"}, now=0.0) is None
    assert deadline_of({"x-agora-deadline-ms": "soon"}, now=0.0) is None
    assert deadline_of({}, now=0.0) is None


async def test_a_disconnect_is_seen_without_waiting_for_the_next_message() -> None:
    """_abandoned's check of the caller's connection: a message ready at once is
    read (a disconnect, or a body part), a receive() that would wait is closed,
    and the waiter it left behind is gone."""
    import asyncio

    from starlette.requests import Request

    from subgraphs.kit.idempotency import _disconnected

    event = asyncio.Event()
    ready: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        if ready:
            return ready.pop()
        await event.wait()
        return {"type": "http.disconnect"}

    request = Request({"type": "http", "method": "POST", "headers": []}, receive)
    assert not await _disconnected(request)
    assert not event._waiters  # type: ignore[attr-defined]
    ready.append({"type": "http.request", "body": b"", "more_body": False})
    assert not await _disconnected(request)
    ready.append({"type": "http.disconnect"})
    assert await _disconnected(request)
    assert await request.is_disconnected() is False  # nothing ready: waits
