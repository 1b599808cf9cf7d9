"""The chat subgraph schema: complaints, conversations, messages and their live streams.

Resolvers are thin: they build a Principal from the context and call the domain
functions (complaints, conversations, messages, search, subscriptions); every relation
goes through a per-request DataLoader of `loaders`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator  # noqa: TC003 - Strawberry reads it
from contextlib import aclosing
from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from subgraphs.chat import complaints as complaint_work
from subgraphs.chat import conversations as conversation_work
from subgraphs.chat import messages as message_work
from subgraphs.chat import subscriptions as streams
from subgraphs.chat.cursors import decode_cursor, encode_cursor
from subgraphs.chat.events import MessageEvent as MessageEventPayload
from subgraphs.chat.events import MessageSnapshot, ReceiptMoved
from subgraphs.chat.loaders import (
    PageKey,
    load_complaints,
    load_conversations,
    load_conversations_of_complaints,
    load_message_pages,
    load_messages,
    load_participants,
    load_reaction_counts,
    load_total_unread,
    load_unread_counts,
)
from subgraphs.chat.models import AttachmentKind as AttachmentKindModel
from subgraphs.chat.models import Complaint as ComplaintRow
from subgraphs.chat.models import ComplaintStatus as ComplaintStatusModel
from subgraphs.chat.models import Conversation as ConversationRow
from subgraphs.chat.models import ConversationKind as ConversationKindModel
from subgraphs.chat.models import Message as MessageRow
from subgraphs.chat.models import Participant as ParticipantRow
from subgraphs.chat.presence import connected
from subgraphs.chat.runtime import runtime_of
from subgraphs.chat.search import search_messages
from subgraphs.chat.typing_indicators import set_typing
from subgraphs.chat.validation import Attachment as AttachmentData
from subgraphs.kit import SubgraphSchema
from subgraphs.kit.context import RequestContext
from subgraphs.kit.entities import EntityReference
from subgraphs.kit.errors import Forbidden, NotFound
from subgraphs.kit.idempotency import key_argument
from subgraphs.kit.pagination import Connection
from subgraphs.kit.principal import Principal
from subgraphs.kit.users import directory_for

ChatInfo = Info[RequestContext, None]

strawberry.enum(ComplaintStatusModel, name="ComplaintStatus")
ComplaintStatus = ComplaintStatusModel
strawberry.enum(ConversationKindModel, name="ConversationKind")
ConversationKind = ConversationKindModel
strawberry.enum(AttachmentKindModel, name="AttachmentKind")
AttachmentKind = AttachmentKindModel


@strawberry.enum
class MessageEventKind(Enum):
    ADDED = "added"
    EDITED = "edited"
    DELETED = "deleted"
    REACTED = "reacted"
    UNREACTED = "unreacted"
    PINNED = "pinned"
    UNPINNED = "unpinned"


def _viewer(info: ChatInfo) -> Principal:
    return Principal.from_context(info.context)


@strawberry.federation.type(keys=["id"])
class User(EntityReference):
    """A person; the accounts subgraph owns the rest of its fields."""

    @strawberry.federation.field(
        description="The user's conversations; only the user may ask.",
        authenticated=True,
    )
    async def conversations(
        self,
        info: ChatInfo,
        first: int = conversation_work.DEFAULT_CONVERSATIONS_PAGE,
        after: str | None = None,
        filter: ConversationFilterInput | None = None,
    ) -> Connection[Conversation]:
        viewer = _viewer(info)
        if viewer.user_id != str(self.id):
            raise Forbidden("Only the user may list their conversations.")
        return await _conversations(viewer, first, after, filter)

    @strawberry.federation.field(
        description="Unread messages; null for anyone but the user.",
        authenticated=True,
    )
    async def unread_count(self, info: ChatInfo) -> int | None:
        if info.context.user_id != str(self.id):
            return None
        return await info.context.loader(load_total_unread).load(str(self.id))


@strawberry.type
class Attachment:
    kind: AttachmentKind
    url: str
    size: int
    content_type: str
    duration_seconds: float | None


@strawberry.type
class ReactionGroup:
    emoji: str
    count: int
    reacted_by_me: bool


@strawberry.federation.type(keys=["id"])
class Message:
    id: strawberry.ID
    conversation_id: strawberry.ID
    seq: int
    cursor: str
    client_id: str | None
    text: str
    attachment: Attachment | None
    edited: bool
    deleted: bool
    pinned: bool
    created_at: datetime
    edited_at: datetime | None
    sender_id: strawberry.Private[str]
    reply_to_id: strawberry.Private[str | None]

    @classmethod
    def from_row(cls, row: MessageRow) -> Message:
        return cls.from_snapshot(MessageSnapshot.of(row))

    @classmethod
    def from_snapshot(cls, snap: MessageSnapshot) -> Message:
        attachment = None
        if snap.attachment_kind is not None:
            attachment = Attachment(
                kind=AttachmentKindModel(snap.attachment_kind),
                url=snap.attachment_url or "",
                size=snap.attachment_size or 0,
                content_type=snap.attachment_content_type or "",
                duration_seconds=snap.attachment_duration,
            )
        return cls(
            id=strawberry.ID(snap.id),
            conversation_id=strawberry.ID(snap.conversation_id),
            seq=snap.seq,
            cursor=encode_cursor(snap.seq),
            client_id=snap.client_id,
            text=snap.text,
            attachment=attachment,
            edited=snap.edited,
            deleted=snap.deleted,
            pinned=snap.pinned,
            created_at=datetime.fromisoformat(snap.created_at),
            edited_at=datetime.fromisoformat(snap.edited_at)
            if snap.edited_at
            else None,
            sender_id=snap.sender_id,
            reply_to_id=snap.reply_to_id,
        )

    @classmethod
    async def resolve_reference(cls, id: strawberry.ID, info: ChatInfo) -> Message:
        return cls.from_row(await info.context.loader(load_messages).load(str(id)))

    @strawberry.field
    def sender(self) -> User:
        return User(id=strawberry.ID(self.sender_id))

    @strawberry.field
    async def reply_to(self, info: ChatInfo) -> Message | None:
        if self.reply_to_id is None:
            return None
        try:
            row = await info.context.loader(load_messages).load(self.reply_to_id)
        except NotFound:
            return None
        return Message.from_row(row)

    @strawberry.field
    async def reactions(self, info: ChatInfo) -> list[ReactionGroup]:
        counts = await info.context.loader(load_reaction_counts).load(str(self.id))
        return [
            ReactionGroup(emoji=c.emoji, count=c.count, reacted_by_me=c.reacted_by_me)
            for c in counts
        ]


@strawberry.type
class Participant:
    read_up_to: int = strawberry.field(description="Seq of the last message read.")
    delivered_up_to: int
    joined_at: datetime
    accepted: bool = strawberry.field(
        description="False while an invitation to a direct conversation waits."
    )
    user_id: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: ParticipantRow) -> Participant:
        return cls(
            read_up_to=row.read_seq,
            delivered_up_to=row.delivered_seq,
            joined_at=row.joined_at,
            accepted=row.accepted,
            user_id=row.user_id,
        )

    @strawberry.field
    def user(self) -> User:
        return User(id=strawberry.ID(self.user_id))


@strawberry.federation.type(keys=["id"])
class Complaint:
    id: strawberry.ID
    subject: str
    category: str
    status: ComplaintStatus
    city_corporation: str
    ward: str
    thana: str
    created_at: datetime
    updated_at: datetime
    owner_id: strawberry.Private[str]
    assigned_agent_id: strawberry.Private[str | None]

    @classmethod
    def from_row(cls, row: ComplaintRow) -> Complaint:
        return cls(
            id=strawberry.ID(str(row.id)),
            subject=row.subject,
            category=row.category,
            status=ComplaintStatusModel(row.status),
            city_corporation=row.city_corporation,
            ward=row.ward,
            thana=row.thana,
            created_at=row.created_at,
            updated_at=row.updated_at,
            owner_id=row.owner_id,
            assigned_agent_id=row.assigned_agent_id,
        )

    @classmethod
    async def resolve_reference(cls, id: strawberry.ID, info: ChatInfo) -> Complaint:
        return cls.from_row(await info.context.loader(load_complaints).load(str(id)))

    @strawberry.field
    def owner(self) -> User:
        return User(id=strawberry.ID(self.owner_id))

    @strawberry.field
    def assigned_agent(self) -> User | None:
        if self.assigned_agent_id is None:
            return None
        return User(id=strawberry.ID(self.assigned_agent_id))

    @strawberry.field
    async def conversation(self, info: ChatInfo) -> Conversation:
        loader = info.context.loader(load_conversations_of_complaints)
        return Conversation.from_row(await loader.load(str(self.id)))


@strawberry.federation.type(keys=["id"])
class Conversation:
    id: strawberry.ID
    kind: ConversationKind
    created_at: datetime
    last_message_at: datetime | None
    complaint_id: strawberry.Private[str | None]
    last_message_id: strawberry.Private[str | None]

    @classmethod
    def from_row(cls, row: ConversationRow) -> Conversation:
        complaint_id = row.complaint_id  # type: ignore[attr-defined]  # Tortoise FK id
        return cls(
            id=strawberry.ID(str(row.id)),
            kind=ConversationKindModel(row.kind),
            created_at=row.created_at,
            last_message_at=row.last_message_at,
            complaint_id=str(complaint_id) if complaint_id else None,
            last_message_id=str(row.last_message_id) if row.last_message_id else None,
        )

    @classmethod
    async def resolve_reference(cls, id: strawberry.ID, info: ChatInfo) -> Conversation:
        return cls.from_row(await info.context.loader(load_conversations).load(str(id)))

    @strawberry.field
    async def complaint(self, info: ChatInfo) -> Complaint | None:
        if self.complaint_id is None:
            return None
        row = await info.context.loader(load_complaints).load(self.complaint_id)
        return Complaint.from_row(row)

    @strawberry.field
    async def participants(self, info: ChatInfo) -> list[Participant]:
        rows = await info.context.loader(load_participants).load(str(self.id))
        return [Participant.from_row(row) for row in rows]

    @strawberry.field
    async def last_message(self, info: ChatInfo) -> Message | None:
        if self.last_message_id is None:
            return None
        row = await info.context.loader(load_messages).load(self.last_message_id)
        return Message.from_row(row)

    @strawberry.field(
        description="Messages from others after the caller's read cursor."
    )
    async def unread_count(self, info: ChatInfo) -> int:
        return await info.context.loader(load_unread_counts).load(str(self.id))

    @strawberry.field
    async def messages(
        self,
        info: ChatInfo,
        first: int = message_work.DEFAULT_MESSAGES_PAGE,
        before: str | None = None,
    ) -> Connection[Message]:
        # The conversation was loaded through the access filter: batch the pages.
        key = PageKey(str(self.id), first, decode_cursor(before) if before else None)
        page = await info.context.loader(load_message_pages).load(key)
        return _message_connection(page, bool(before))


@strawberry.input
class ConversationFilterInput:
    kind: ConversationKind | None = None
    complaint_status: ComplaintStatus | None = None


@strawberry.input
class ComplaintFilterInput:
    status: ComplaintStatus | None = None
    category: str | None = None
    city_corporation: str | None = None
    ward: str | None = None
    thana: str | None = None
    assigned_agent_id: strawberry.ID | None = None
    unassigned: bool = False


@strawberry.input
class AttachmentInput:
    kind: AttachmentKind
    url: str
    size: int = strawberry.field(description="Bytes.")
    content_type: str
    duration_seconds: float | None = None


@strawberry.input
class SendMessageInput:
    conversation_id: strawberry.ID
    text: str = ""
    client_id: str | None = strawberry.field(
        default=None, description="Chosen by the device; a retry is stored once."
    )
    attachment: AttachmentInput | None = None
    reply_to_id: strawberry.ID | None = None


@strawberry.input
class OpenComplaintInput:
    subject: str
    category: str
    city_corporation: str = ""
    ward: str = ""
    thana: str = ""


@strawberry.type
class MessageEvent:
    kind: MessageEventKind
    conversation_id: strawberry.ID
    message: Message
    emoji: str | None
    actor_id: strawberry.Private[str]

    @classmethod
    def from_payload(cls, event: MessageEventPayload) -> MessageEvent:
        return cls(
            kind=MessageEventKind(event.kind),
            conversation_id=strawberry.ID(event.conversation_id),
            message=Message.from_snapshot(event.snapshot),
            emoji=event.emoji,
            actor_id=event.actor_id,
        )

    @strawberry.field(description="Who caused the event (sender, editor, reactor).")
    def actor(self) -> User:
        return User(id=strawberry.ID(self.actor_id))


@strawberry.type
class TypingState:
    conversation_id: strawberry.ID
    user_ids: list[strawberry.ID]

    @strawberry.field
    def users(self) -> list[User]:
        return [User(id=user_id) for user_id in self.user_ids]


@strawberry.type
class Receipt:
    conversation_id: strawberry.ID
    read_up_to: int
    delivered_up_to: int
    user_id: strawberry.Private[str]

    @strawberry.field
    def user(self) -> User:
        return User(id=strawberry.ID(self.user_id))


@strawberry.type(name="Presence")
class PresenceState:
    user_id: strawberry.ID
    online: bool

    @strawberry.field
    def user(self) -> User:
        return User(id=self.user_id)


async def _messages(
    viewer: Principal, conversation_id: str, first: int, before: str | None
) -> Connection[Message]:
    page = await message_work.list_messages(
        viewer,
        conversation_id,
        first=first,
        before=decode_cursor(before) if before else None,
    )
    return _message_connection(page, bool(before))


def _message_connection(
    page: message_work.MessagePage, has_previous: bool
) -> Connection[Message]:
    nodes = [Message.from_row(row) for row in page.messages]
    return Connection.of(
        [(n, n.cursor) for n in nodes],
        has_next_page=page.has_older,
        has_previous_page=has_previous,
    )


async def _conversations(
    viewer: Principal,
    first: int,
    after: str | None,
    filter: ConversationFilterInput | None,
) -> Connection[Conversation]:
    page = await conversation_work.list_conversations(
        viewer,
        first=first,
        after=after,
        filter=conversation_work.ConversationFilter(
            kind=filter.kind, complaint_status=filter.complaint_status
        )
        if filter
        else None,
    )
    return Connection.of(
        [
            (Conversation.from_row(row), cursor)
            for row, cursor in zip(page.conversations, page.cursors, strict=True)
        ],
        has_next_page=page.has_next_page,
        has_previous_page=bool(after),
    )


def _receipt(row: ParticipantRow | ReceiptMoved) -> Receipt:
    if isinstance(row, ReceiptMoved):
        return Receipt(
            conversation_id=strawberry.ID(row.conversation_id),
            read_up_to=row.read_seq,
            delivered_up_to=row.delivered_seq,
            user_id=row.user_id,
        )
    conversation_id = row.conversation_id  # type: ignore[attr-defined]  # FK id
    return Receipt(
        conversation_id=strawberry.ID(str(conversation_id)),
        read_up_to=row.read_seq,
        delivered_up_to=row.delivered_seq,
        user_id=row.user_id,
    )


@strawberry.type
class Query:
    @strawberry.federation.field(
        description="A conversation the caller may see, else null.",
        authenticated=True,
    )
    async def conversation(
        self, info: ChatInfo, id: strawberry.ID
    ) -> Conversation | None:
        row = await conversation_work.get_conversation(_viewer(info), str(id))
        return Conversation.from_row(row) if row else None

    @strawberry.federation.field(
        description="The caller's conversations, most recent first.",
        authenticated=True,
    )
    async def conversations(
        self,
        info: ChatInfo,
        first: int = conversation_work.DEFAULT_CONVERSATIONS_PAGE,
        after: str | None = None,
        filter: ConversationFilterInput | None = None,
    ) -> Connection[Conversation]:
        return await _conversations(_viewer(info), first, after, filter)

    @strawberry.federation.field(
        description="A conversation's messages, newest first.",
        authenticated=True,
    )
    async def messages(
        self,
        info: ChatInfo,
        conversation_id: strawberry.ID,
        first: int = message_work.DEFAULT_MESSAGES_PAGE,
        before: str | None = None,
    ) -> Connection[Message]:
        return await _messages(_viewer(info), str(conversation_id), first, before)

    @strawberry.federation.field(
        description="Messages with every word of `query`, newest first.",
        authenticated=True,
    )
    async def search_messages(
        self,
        info: ChatInfo,
        query: str,
        conversation_id: strawberry.ID | None = None,
        first: int = 20,
    ) -> list[Message]:
        rows = await search_messages(
            _viewer(info),
            query,
            conversation_id=str(conversation_id) if conversation_id else None,
            first=first,
        )
        return [Message.from_row(row) for row in rows]

    @strawberry.federation.field(
        description="Complaints the caller may see, newest first.",
        authenticated=True,
    )
    async def complaints(
        self,
        info: ChatInfo,
        filter: ComplaintFilterInput | None = None,
        first: int = 50,
    ) -> list[Complaint]:
        f = filter or ComplaintFilterInput()
        rows = await complaint_work.list_complaints(
            _viewer(info),
            complaint_work.ComplaintFilter(
                status=f.status,
                category=f.category,
                city_corporation=f.city_corporation,
                ward=f.ward,
                thana=f.thana,
                assigned_agent_id=str(f.assigned_agent_id)
                if f.assigned_agent_id
                else None,
                unassigned=f.unassigned,
            ),
            first=first,
        )
        return [Complaint.from_row(row) for row in rows]

    @strawberry.federation.field(authenticated=True)
    async def complaint(self, info: ChatInfo, id: strawberry.ID) -> Complaint | None:
        try:
            row = await complaint_work.get_complaint(_viewer(info), str(id))
        except NotFound:
            return None
        return Complaint.from_row(row)


@strawberry.type
class Mutation:
    @strawberry.federation.mutation(
        description="Idempotent with `clientId`; RATE_LIMITED past limits.",
        authenticated=True,
        # clientId is the idempotency key of a client that cannot set headers.
        metadata=key_argument("input", "clientId"),
    )
    async def send_message(self, info: ChatInfo, input: SendMessageInput) -> Message:
        runtime = runtime_of(info.context)
        attachment = None
        if input.attachment is not None:
            a = input.attachment
            attachment = AttachmentData(
                kind=AttachmentKindModel(a.kind),
                url=a.url,
                size=a.size,
                content_type=a.content_type,
                duration=a.duration_seconds,
            )
        row = await message_work.send_message(
            _viewer(info),
            str(input.conversation_id),
            input.text,
            broker=runtime.broker,
            limiter=runtime.limiter,
            client_id=input.client_id,
            attachment=attachment,
            reply_to_id=str(input.reply_to_id) if input.reply_to_id else None,
        )
        return Message.from_row(row)

    @strawberry.federation.mutation(authenticated=True)
    async def edit_message(
        self, info: ChatInfo, id: strawberry.ID, text: str
    ) -> Message:
        runtime = runtime_of(info.context)
        row = await message_work.edit_message(
            _viewer(info),
            str(id),
            text,
            broker=runtime.broker,
            limiter=runtime.limiter,
            limits=runtime.limits,
        )
        return Message.from_row(row)

    @strawberry.federation.mutation(authenticated=True)
    async def delete_message(self, info: ChatInfo, id: strawberry.ID) -> Message:
        broker = runtime_of(info.context).broker
        row = await message_work.delete_message(_viewer(info), str(id), broker=broker)
        return Message.from_row(row)

    @strawberry.federation.mutation(authenticated=True)
    async def react(
        self, info: ChatInfo, message_id: strawberry.ID, emoji: str
    ) -> Message:
        runtime = runtime_of(info.context)
        row = await message_work.react(
            _viewer(info),
            str(message_id),
            emoji,
            broker=runtime.broker,
            limiter=runtime.limiter,
            limits=runtime.limits,
        )
        return Message.from_row(row)

    @strawberry.federation.mutation(authenticated=True)
    async def unreact(
        self, info: ChatInfo, message_id: strawberry.ID, emoji: str
    ) -> Message:
        broker = runtime_of(info.context).broker
        row = await message_work.unreact(
            _viewer(info), str(message_id), emoji, broker=broker
        )
        return Message.from_row(row)

    @strawberry.federation.mutation(authenticated=True)
    async def pin_message(
        self, info: ChatInfo, message_id: strawberry.ID, pinned: bool = True
    ) -> Message:
        runtime = runtime_of(info.context)
        row = await message_work.pin_message(
            _viewer(info),
            str(message_id),
            pinned,
            broker=runtime.broker,
            limiter=runtime.limiter,
            limits=runtime.limits,
        )
        return Message.from_row(row)

    @strawberry.federation.mutation(
        description="Move the caller's read cursor; never backwards.",
        authenticated=True,
    )
    async def mark_read(
        self,
        info: ChatInfo,
        conversation_id: strawberry.ID,
        up_to_message_id: strawberry.ID,
    ) -> Receipt:
        broker = runtime_of(info.context).broker
        row = await conversation_work.mark_read(
            _viewer(info), str(conversation_id), str(up_to_message_id), broker=broker
        )
        return _receipt(row)

    @strawberry.federation.mutation(
        description="The device received messages up to this one.",
        authenticated=True,
    )
    async def mark_delivered(
        self,
        info: ChatInfo,
        conversation_id: strawberry.ID,
        up_to_message_id: strawberry.ID,
    ) -> Receipt:
        broker = runtime_of(info.context).broker
        row = await conversation_work.mark_delivered(
            _viewer(info), str(conversation_id), str(up_to_message_id), broker=broker
        )
        return _receipt(row)

    @strawberry.federation.mutation(
        description="Expires by itself a few seconds after the last.",
        authenticated=True,
    )
    async def set_typing(
        self, info: ChatInfo, conversation_id: strawberry.ID, typing: bool
    ) -> bool:
        runtime = runtime_of(info.context)
        return await set_typing(
            _viewer(info),
            str(conversation_id),
            typing,
            broker=runtime.broker,
            ttl=runtime.typing_ttl,
            limiter=runtime.limiter,
        )

    @strawberry.federation.mutation(
        description="A new conversation of the caller with `userIds` (1 to 49). "
        "People of the caller's tenant take part at once; anyone else is invited "
        "and must `acceptConversation` before either side sees the other's "
        "presence. An id naming nobody gives a participant whose `user` the "
        "gateway resolves to null. Ids must have 1 to 64 characters and no "
        "whitespace (BAD_USER_INPUT).",
        authenticated=True,
    )
    async def start_direct_conversation(
        self, info: ChatInfo, user_ids: list[strawberry.ID]
    ) -> Conversation:
        ids = [str(u) for u in user_ids]
        directory = directory_for(info.context.broker)
        records = None if directory is None else await directory.lookup_many(ids)
        row = await conversation_work.start_direct_conversation(
            _viewer(info),
            ids,
            tenants=None
            if records is None
            else {u: r.tenant_id for u, r in records.items() if r is not None},
        )
        return Conversation.from_row(row)

    @strawberry.federation.mutation(
        description="Accept a direct conversation one was invited to (sending a "
        "message in it accepts it too); leave it with `removeParticipant` to "
        "decline.",
        authenticated=True,
    )
    async def accept_conversation(
        self, info: ChatInfo, conversation_id: strawberry.ID
    ) -> Conversation:
        row = await conversation_work.accept_conversation(
            _viewer(info), str(conversation_id)
        )
        return Conversation.from_row(row)

    @strawberry.federation.mutation(
        description="Take `userId` out of a conversation (oneself: leave); true when "
        "they were in it. Admins remove anyone, agents anyone but a complaint's "
        "owner, members only themselves. The removed user's open subscriptions of "
        "the conversation end with FORBIDDEN.",
        authenticated=True,
    )
    async def remove_participant(
        self, info: ChatInfo, conversation_id: strawberry.ID, user_id: strawberry.ID
    ) -> bool:
        broker = runtime_of(info.context).broker
        return await conversation_work.remove_participant(
            _viewer(info), str(conversation_id), str(user_id), broker=broker
        )

    @strawberry.federation.mutation(authenticated=True)
    async def open_complaint(
        self, info: ChatInfo, input: OpenComplaintInput
    ) -> Complaint:
        row = await complaint_work.open_complaint(
            _viewer(info),
            subject=input.subject,
            category=input.category,
            city_corporation=input.city_corporation,
            ward=input.ward,
            thana=input.thana,
        )
        return Complaint.from_row(row)

    @strawberry.federation.mutation(
        description="To the caller by default; admins pick anyone. The previous "
        "agent leaves the conversation; their open subscriptions of it end with "
        "FORBIDDEN.",
        authenticated=True,
        policy=[["complaint_staff"]],
    )
    async def assign_complaint(
        self,
        info: ChatInfo,
        complaint_id: strawberry.ID,
        agent_id: strawberry.ID | None = None,
    ) -> Complaint:
        row = await complaint_work.assign_complaint(
            _viewer(info),
            str(complaint_id),
            str(agent_id) if agent_id else None,
            broker=runtime_of(info.context).broker,
        )
        return Complaint.from_row(row)

    @strawberry.federation.mutation(authenticated=True)
    async def set_complaint_status(
        self, info: ChatInfo, complaint_id: strawberry.ID, status: ComplaintStatus
    ) -> Complaint:
        row = await complaint_work.set_complaint_status(
            _viewer(info), str(complaint_id), ComplaintStatusModel(status)
        )
        return Complaint.from_row(row)


@strawberry.type
class Subscription:
    @strawberry.federation.field(
        is_subscription=True,
        description="With `after` (a message cursor): every stored message after it "
        "first, then live events, with no gap and no duplicate.",
        authenticated=True,
    )
    async def message_events(
        self, info: ChatInfo, conversation_id: strawberry.ID, after: str | None = None
    ) -> AsyncGenerator[MessageEvent, None]:
        viewer = _viewer(info)
        runtime = runtime_of(info.context)
        after_seq = decode_cursor(after) if after is not None else None
        events = streams.message_events(
            viewer, str(conversation_id), broker=runtime.broker, after=after_seq
        )
        async with (
            connected(runtime.presence, runtime.broker, viewer.user_id),
            aclosing(events),
        ):
            async for event in events:
                yield MessageEvent.from_payload(event)

    @strawberry.federation.field(
        is_subscription=True,
        description="Who else is typing, as it changes.",
        authenticated=True,
    )
    async def typing(
        self, info: ChatInfo, conversation_id: strawberry.ID
    ) -> AsyncGenerator[TypingState, None]:
        viewer = _viewer(info)
        runtime = runtime_of(info.context)
        updates = streams.typing_updates(
            viewer, str(conversation_id), broker=runtime.broker
        )
        async with (
            connected(runtime.presence, runtime.broker, viewer.user_id),
            aclosing(updates),
        ):
            async for user_ids in updates:
                yield TypingState(
                    conversation_id=conversation_id,
                    user_ids=[strawberry.ID(u) for u in user_ids],
                )

    @strawberry.federation.field(
        is_subscription=True,
        description="Online or offline: now, then each change. Only users the caller "
        "shares an accepted conversation or a complaint with (agents: also the "
        "people of the complaints they handle); others are refused with FORBIDDEN, "
        "now or as soon as the caller loses sight of them.",
        authenticated=True,
    )
    async def presence(
        self, info: ChatInfo, user_ids: list[strawberry.ID]
    ) -> AsyncGenerator[PresenceState, None]:
        viewer = _viewer(info)
        runtime = runtime_of(info.context)
        changes = streams.presence_updates(
            viewer,
            [str(u) for u in user_ids],
            broker=runtime.broker,
            presence=runtime.presence,
        )
        async with (
            connected(runtime.presence, runtime.broker, viewer.user_id),
            aclosing(changes),
        ):
            async for change in changes:
                yield PresenceState(
                    user_id=strawberry.ID(change.user_id), online=change.online
                )

    @strawberry.federation.field(
        is_subscription=True,
        description="Read cursors: each now, then as they move.",
        authenticated=True,
    )
    async def receipts(
        self, info: ChatInfo, conversation_id: strawberry.ID
    ) -> AsyncGenerator[Receipt, None]:
        viewer = _viewer(info)
        runtime = runtime_of(info.context)
        moves = streams.receipt_updates(
            viewer, str(conversation_id), broker=runtime.broker
        )
        async with (
            connected(runtime.presence, runtime.broker, viewer.user_id),
            aclosing(moves),
        ):
            async for moved in moves:
                yield _receipt(moved)


schema = SubgraphSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[User, Message, Complaint, Conversation],
)
