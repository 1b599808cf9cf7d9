"""Directory events: channel names and payloads, published after their commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from subgraphs.kit.pubsub import Channel

__all__ = [
    "CHAMBER_REGISTERED",
    "IMPORT_PROGRESS",
    "INVITATION_ISSUED",
    "ChamberRegistered",
    "ImportProgress",
    "InvitationIssued",
]


@dataclass(frozen=True, slots=True)
class ChamberRegistered:
    """A chamber was set up: accounts creates the tenant it names (same id)."""

    chamber_id: str
    tenant_id: str
    name: str
    slug: str
    admin_user_id: str


# directory.chamber_registered (one channel: accounts hears every new tenant)
CHAMBER_REGISTERED = Channel("directory.chamber_registered", ChamberRegistered)


@dataclass(frozen=True, slots=True)
class InvitationIssued:
    """An invitation was stored; `token` is what `register` takes (no mail server:
    a mailer, or the admin, passes it on)."""

    invitation_id: str
    chamber_id: str
    tenant_id: str
    email: str
    role: str
    token: str
    expires_at: str


# directory.invitation_issued.<tenant id>
INVITATION_ISSUED = Channel("directory.invitation_issued", InvitationIssued)


@dataclass(frozen=True, slots=True)
class ImportProgress:
    """Where an import stands after a committed batch: the counts so far, and the
    row errors of that batch, which covers the file rows `since` < row <=
    `position`. `processed` only grows: it orders the events."""

    job_id: str
    status: str
    processed: int
    created: int
    updated: int
    failed: int
    errors: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    position: int = 0
    since: int = 0


# directory.import_progress.<job id>
IMPORT_PROGRESS = Channel("directory.import_progress", ImportProgress)
