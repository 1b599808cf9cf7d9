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
