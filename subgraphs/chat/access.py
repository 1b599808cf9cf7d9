"""Who may see what, as SQL filters: access is decided in the query, not after it.

Members see the conversations they take part in and the complaints they opened.
Support agents also see complaints (and their conversations) of their tenant that are
assigned to them or to nobody. Platform admins see everything. Presence needs
consent: a caller may watch the people they share an accepted conversation or a
complaint with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise.expressions import Q, Subquery

from subgraphs.chat.errors import NotAContact
from subgraphs.chat.models import Conversation, ConversationKind, Participant

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from subgraphs.kit.principal import Principal


__all__ = [
    "require_visible_users",
    "visible_complaints",
    "visible_conversation_sql",
    "visible_conversations",
    "visible_users",
]


def visible_conversations(viewer: Principal) -> Q:
    """A filter on Conversation matching the conversations `viewer` may see."""
    if viewer.is_platform_admin:
        return Q()
    taking_part = Q(
        id__in=Subquery(
            Participant.filter(user_id=viewer.user_id).values("conversation_id")
        )
    )
    if viewer.is_support_agent and viewer.tenant_id is not None:
        return Q(
            taking_part,
            Q(
                complaint__tenant_id=viewer.tenant_id,
                complaint__assigned_agent_id=viewer.user_id,
            ),
            Q(
                complaint__tenant_id=viewer.tenant_id,
                complaint__assigned_agent_id__isnull=True,
            ),
            join_type=Q.OR,
        )
    return taking_part


def visible_conversation_sql(
    viewer: Principal, conversation: str, bind: Callable[[object], str]
) -> str:
    """`visible_conversations` as a PostgreSQL condition on the conversation row
    aliased `conversation`, for the hand-written statements of hot paths (a
    message's send, subgraphs.chat.send_postgres); `bind(value)` adds a parameter
    and answers its placeholder. Both forms must say the same
    (tests/unit/subgraphs/chat/test_access.py compares them)."""
    if viewer.is_platform_admin:
        return "TRUE"
    taking_part = (
        "EXISTS (SELECT 1 FROM chat_participant tp "
        f"WHERE tp.conversation_id = {conversation}.id "
        f"AND tp.user_id = {bind(viewer.user_id)})"
    )
    if viewer.is_support_agent and viewer.tenant_id is not None:
        handled = (
            "EXISTS (SELECT 1 FROM chat_complaint tc "
            f"WHERE tc.id = {conversation}.complaint_id "
            f"AND tc.tenant_id = {bind(viewer.tenant_id)} "
            f"AND (tc.assigned_agent_id = {bind(viewer.user_id)} "
            "OR tc.assigned_agent_id IS NULL))"
        )
        return f"({taking_part} OR {handled})"
    return taking_part


def visible_complaints(viewer: Principal) -> Q:
    """A filter on Complaint matching the complaints `viewer` may see."""
    if viewer.is_platform_admin:
        return Q()
    own = Q(owner_id=viewer.user_id)
    if viewer.is_support_agent and viewer.tenant_id is not None:
        return Q(
            own,
            Q(tenant_id=viewer.tenant_id, assigned_agent_id=viewer.user_id),
            Q(tenant_id=viewer.tenant_id, assigned_agent_id__isnull=True),
            join_type=Q.OR,
        )
    return own


def _shared_complaint_conversations(viewer: Principal) -> Q:
    """Complaint conversations the viewer takes part in or handles as an agent of
    the complaint's tenant; being a platform admin shares nothing by itself."""
    taking_part = Q(
        id__in=Subquery(
            Participant.filter(user_id=viewer.user_id).values("conversation_id")
        )
    )
    shared = taking_part
    if viewer.is_support_agent and viewer.tenant_id is not None:
        shared = Q(
            taking_part,
            Q(
                complaint__tenant_id=viewer.tenant_id,
                complaint__assigned_agent_id=viewer.user_id,
            ),
            Q(
                complaint__tenant_id=viewer.tenant_id,
                complaint__assigned_agent_id__isnull=True,
            ),
            join_type=Q.OR,
        )
    return Q(shared, kind=ConversationKind.COMPLAINT)


async def visible_users(viewer: Principal, user_ids: Iterable[str]) -> set[str]:
    """Those of `user_ids` whose presence `viewer` may watch, in one SQL statement.

    The caller themselves, and the people who share with the caller an accepted
    conversation (a direct one both sides accepted) or a complaint (its owner and
    agent; an agent also the people of the complaints they handle). Nobody else,
    platform admins included (issue 12: presence only with consent).
    """
    wanted = set(user_ids)
    others = wanted - {viewer.user_id}
    seen = wanted - others
    if others:
        accepted_direct = Subquery(
            Participant.filter(
                user_id=viewer.user_id,
                accepted=True,
                conversation__kind=ConversationKind.DIRECT,
            ).values("conversation_id")
        )
        complaints = Subquery(
            Conversation.filter(_shared_complaint_conversations(viewer)).values("id")
        )
        rows = await (
            Participant.filter(user_id__in=others, accepted=True)
            .filter(
                Q(conversation_id__in=accepted_direct)
                | Q(conversation_id__in=complaints)
            )
            .distinct()
            .values_list("user_id", flat=True)
        )
        seen |= {str(row) for row in rows}
    return seen


async def require_visible_users(viewer: Principal, user_ids: Iterable[str]) -> None:
    """Raise NotAContact (FORBIDDEN) unless `viewer` may watch all of `user_ids`."""
    wanted = set(user_ids)
    hidden = wanted - await visible_users(viewer, wanted)
    if hidden:
        raise NotAContact(sorted(hidden))
