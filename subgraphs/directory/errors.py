"""Errors the directory raises; each is a kit GraphQL error with `extensions.code`.

AgoraGraphQLError (subgraphs.kit.errors)
├── BadUserInput
│   ├── InvalidImportFile       not a CSV or XLSX, a missing column, broken text
│   └── EventFull               a registration over the event's capacity
├── Forbidden
│   └── NotChamberAdmin         chamber work by someone who does not administer it
└── NotFound                    (kit) no such chamber, member, business, event, job
"""

from __future__ import annotations

from subgraphs.kit.errors import BadUserInput, Forbidden

__all__ = ["EventFull", "InvalidImportFile", "NotChamberAdmin"]


class InvalidImportFile(BadUserInput):
    """Raised when an uploaded member file cannot be imported at all; no row is."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"The file cannot be imported: {reason}", field="file")
        self.reason = reason


class EventFull(BadUserInput):
    """Raised when every place of an event is taken."""

    def __init__(self, event_id: str, capacity: int) -> None:
        super().__init__(
            f"Event {event_id} is full ({capacity} places).",
            field="eventId",
            reason="EVENT_FULL",
        )


class NotChamberAdmin(Forbidden):
    """Raised when the caller does not administer the chamber."""

    def __init__(self) -> None:
        super().__init__("Only the chamber's admins may do this.")
