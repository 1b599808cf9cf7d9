"""The hand-written send on PostgreSQL (subgraphs.chat.send_postgres, issue 14):
gap-free seq under concurrent senders, retries by client id, the participant row
of a first send, and the access rule it writes in SQL."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

import pytest
from tortoise.transactions import in_transaction

from subgraphs.chat.access import visible_conversations
from subgraphs.chat.complaints import assign_complaint, open_complaint
from subgraphs.chat.conversations import get_conversation, start_direct_conversation
from subgraphs.chat.errors import (
    ClientIdReused,
    ConversationNotFound,
    MessageNotFound,
    NotAParticipant,
)
from subgraphs.chat.events import MESSAGE_EVENTS
from subgraphs.chat.messages import send_message
from subgraphs.chat.models import Conversation, Message, Participant
from subgraphs.chat.ratelimit import MemoryRateLimiter, Window
from subgraphs.kit.database import count_statements
from subgraphs.kit.principal import Principal

from .conftest import OTHER_TENANT, on_postgres
from .test_messages import drain

if TYPE_CHECKING:
    from subgraphs.chat.ratelimit import RateLimiter
    from subgraphs.kit.pubsub import Broker
    from subgraphs.kit.settings import Settings


# The hand-written send is PostgreSQL's (SQLite keeps Tortoise's): no SQLite case.
pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


@pytest.fixture(autouse=True)
def _on_postgres(chat_db: Settings) -> None:
    assert on_postgres(chat_db)


def unlimited() -> RateLimiter:
    return MemoryRateLimiter((Window(100_000, 60),))


async def test_concurrent_senders_get_every_seq_once_and_the_rows_agree(
    citizen: Principal,
    agent: Principal,
    admin: Principal,
    conversation_id: str,
    broker: Broker,
) -> None:
    people = (citizen, agent, admin)
    limiter = unlimited()
    sent = await asyncio.gather(
        *(
            send_message(
                people[n % 3],
                conversation_id,
                f"m{n}",
                client_id=f"c{n}" if n % 2 else None,
                broker=broker,
                limiter=limiter,
            )
            for n in range(60)
        )
    )
    assert sorted(m.seq for m in sent) == list(range(1, 61))
    stored = await Message.filter(conversation_id=conversation_id).order_by("seq")
    assert [m.seq for m in stored] == list(range(1, 61))
    assert {m.id: m.text for m in stored} == {m.id: m.text for m in sent}
    conversation = await Conversation.get(id=conversation_id)
    last = stored[-1]
    assert (conversation.last_seq, conversation.last_message_id) == (60, last.id)
    assert conversation.last_message_at == last.created_at
    for person in people:
        own = max(m.seq for m in sent if m.sender_id == person.user_id)
        participant = await Participant.get(
            conversation_id=conversation_id, user_id=person.user_id
        )
        assert (participant.read_seq, participant.delivered_seq) == (own, own)
        assert participant.accepted


async def test_the_answer_is_the_stored_row(
    citizen: Principal, conversation_id: str, broker: Broker, limiter: RateLimiter
) -> None:
    first = await send_message(
        citizen, conversation_id, "first", broker=broker, limiter=limiter
    )
    reply = await send_message(
        citizen,
        conversation_id,
        "a reply",
        client_id="phone-7",
        reply_to_id=str(first.id),
        broker=broker,
        limiter=limiter,
    )
    stored = await Message.get(id=reply.id)
    fields = Message._meta.db_fields
    assert {f: getattr(reply, f) for f in fields} == {
        f: getattr(stored, f) for f in fields
    }
    assert (reply.seq, reply.reply_to_id, reply.client_id) == (2, first.id, "phone-7")


async def test_a_first_send_creates_the_senders_participant_row(
    citizen: Principal, agent: Principal, conversation_id: str, broker: Broker
) -> None:
    # An agent sees an unassigned complaint of their tenant without taking part.
    assert not await Participant.exists(
        conversation_id=conversation_id, user_id=agent.user_id
    )
    limiter = unlimited()
    await send_message(citizen, conversation_id, "help", broker=broker, limiter=limiter)
    sent = await send_message(
        agent, conversation_id, "on it", broker=broker, limiter=limiter
    )
    participant = await Participant.get(
        conversation_id=conversation_id, user_id=agent.user_id
    )
    assert (participant.read_seq, participant.delivered_seq) == (sent.seq, sent.seq)
    assert participant.accepted
    citizen_row = await Participant.get(
        conversation_id=conversation_id, user_id=citizen.user_id
    )
    assert citizen_row.read_seq == 1  # not moved by the agent's message


async def test_a_retry_returns_the_stored_message_and_publishes_it_again(
    citizen: Principal, conversation_id: str, broker: Broker, limiter: RateLimiter
) -> None:
    async with broker.subscribe(MESSAGE_EVENTS.name(conversation_id)) as events:
        first = await send_message(
            citizen,
            conversation_id,
            "once",
            client_id="k1",
            broker=broker,
            limiter=limiter,
        )
        again = await send_message(
            citizen,
            conversation_id,
            "once",
            client_id="k1",
            broker=broker,
            limiter=limiter,
        )
        published = await drain(events)
    assert (again.id, again.seq) == (first.id, first.seq)
    assert [e.seq for e in published] == [first.seq, first.seq]
    conversation = await Conversation.get(id=conversation_id)
    assert conversation.last_seq == 1


async def test_a_retry_racing_the_first_try_answers_its_message_without_a_gap(
    citizen: Principal, conversation_id: str, broker: Broker
) -> None:
    """Both tries pass the check before either stores: the second waits on the
    conversation's lock, finds the client id taken and answers the first's message;
    last_seq does not move for it."""
    limiter = unlimited()
    go = asyncio.Event()

    async def retry() -> Message:
        await go.wait()
        return await send_message(
            citizen,
            conversation_id,
            "racy",
            client_id="r1",
            broker=broker,
            limiter=limiter,
        )

    # Made before the transaction opens: the retry runs on a connection of its own.
    second = asyncio.create_task(retry())
    async with in_transaction("chat"):
        first = await send_message(
            citizen,
            conversation_id,
            "racy",
            client_id="r1",
            broker=broker,
            limiter=limiter,
        )
        go.set()
        # The retry cannot see `first` yet: it goes on to store and waits for the
        # conversation's row lock.
        await asyncio.sleep(0.5)
        assert not second.done()
    answered = await asyncio.wait_for(second, 10)
    assert (answered.id, answered.seq) == (first.id, 1)
    assert await Message.filter(conversation_id=conversation_id).count() == 1
    conversation = await Conversation.get(id=conversation_id)
    assert (conversation.last_seq, conversation.last_message_id) == (1, first.id)
    after = await send_message(
        citizen, conversation_id, "next", broker=broker, limiter=limiter
    )
    assert after.seq == 2


async def test_a_client_id_taken_in_another_conversation_racing_is_a_conflict(
    citizen: Principal, conversation_id: str, broker: Broker
) -> None:
    other = await start_direct_conversation(citizen, ["user-neighbour"])
    limiter = unlimited()
    await send_message(
        citizen, conversation_id, "a", client_id="x1", broker=broker, limiter=limiter
    )
    with pytest.raises(ClientIdReused):
        await send_message(
            citizen, str(other.id), "b", client_id="x1", broker=broker, limiter=limiter
        )
    assert (await Conversation.get(id=other.id)).last_seq == 0


async def test_refusals_store_nothing(
    citizen: Principal,
    neighbour: Principal,
    conversation_id: str,
    broker: Broker,
) -> None:
    limiter = unlimited()
    other = await start_direct_conversation(neighbour, ["user-friend"])
    elsewhere = await send_message(
        neighbour, str(other.id), "not yours", broker=broker, limiter=limiter
    )
    with pytest.raises(ConversationNotFound):
        await send_message(citizen, "nope", "x", broker=broker, limiter=limiter)
    with pytest.raises(ConversationNotFound):
        await send_message(
            citizen, str(uuid.uuid4()), "x", broker=broker, limiter=limiter
        )
    with pytest.raises(NotAParticipant):
        await send_message(citizen, str(other.id), "x", broker=broker, limiter=limiter)
    for reply_to in (str(elsewhere.id), "not-a-uuid", str(uuid.uuid4())):
        with pytest.raises(MessageNotFound):
            await send_message(
                citizen,
                conversation_id,
                "x",
                reply_to_id=reply_to,
                broker=broker,
                limiter=limiter,
            )
    assert await Message.filter(conversation_id=conversation_id).count() == 0
    assert (await Conversation.get(id=conversation_id)).last_seq == 0


async def test_a_send_costs_two_statements(
    citizen: Principal, conversation_id: str, broker: Broker
) -> None:
    limiter = unlimited()
    with count_statements() as counted:
        await send_message(
            citizen,
            conversation_id,
            "x",
            client_id="s1",
            broker=broker,
            limiter=limiter,
        )
    assert counted.total == 2


async def test_the_sql_access_rule_is_visible_conversations(
    chat_db: Settings,
    citizen: Principal,
    neighbour: Principal,
    agent: Principal,
    foreign_agent: Principal,
    admin: Principal,
    broker: Broker,
) -> None:
    """For every viewer and conversation: visible in SQL (the send's check and
    get_conversation) iff visible by the Q."""
    from subgraphs.chat.send_postgres import check_send

    await open_complaint(
        citizen, subject="s", category="c", city_corporation="", ward="", thana=""
    )
    assigned = await open_complaint(
        neighbour, subject="t", category="c", city_corporation="", ward="", thana=""
    )
    other_agent = Principal(
        "user-agent-2", agent.tenant_id, frozenset({"support_agent"})
    )
    await assign_complaint(other_agent, str(assigned.id), broker=broker)
    await open_complaint(
        Principal("user-foreign", OTHER_TENANT, frozenset({"member"})),
        subject="u",
        category="c",
        city_corporation="",
        ward="",
        thana="",
    )
    await start_direct_conversation(citizen, [neighbour.user_id])
    conversations = await Conversation.all()
    viewers = [
        citizen,
        neighbour,
        agent,
        other_agent,
        foreign_agent,
        admin,
        Principal("user-agent-nowhere", None, frozenset({"support_agent"})),
    ]
    db = Message._meta.db
    seen_any = False
    for viewer in viewers:
        by_q = set(
            await Conversation.filter(visible_conversations(viewer)).values_list(
                "id", flat=True
            )
        )
        for conversation in conversations:
            check = await check_send(db, viewer, conversation.id, None, None)
            assert check.found
            assert check.visible == (conversation.id in by_q), (viewer, conversation)
            seen_any |= check.visible and viewer is not admin
            # get_conversation's statement: the same rule, the whole row.
            row = await get_conversation(viewer, str(conversation.id))
            if conversation.id in by_q:
                assert row is not None
                fields = Conversation._meta.db_fields
                assert "complaint_id" in fields
                assert not row._partial
                assert {f: getattr(row, f) for f in fields} == {
                    f: getattr(conversation, f) for f in fields
                }
            else:
                assert row is None
    assert seen_any
