"""Accounts events: published after the transaction that stored them commits."""

from __future__ import annotations

from dataclasses import dataclass

from subgraphs.kit.pubsub import Channel


@dataclass(frozen=True, slots=True)
class UserRegistered:
    """A user account was created."""

    user_id: str
    tenant_id: str | None
    email: str
    display_name: str


# accounts.user_registered.<tenant id or "platform">
USER_REGISTERED = Channel("accounts.user_registered", UserRegistered)


@dataclass(frozen=True, slots=True)
class InvitationAccepted:
    """An invited user registered: directory marks the invitation accepted."""

    invitation_id: str
    user_id: str
    tenant_id: str


# accounts.invitation_accepted.<tenant id>
INVITATION_ACCEPTED = Channel("accounts.invitation_accepted", InvitationAccepted)
