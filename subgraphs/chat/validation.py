"""Limits on what a message may carry, checked before anything is stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import emoji as emoji_data

from subgraphs.chat.errors import InvalidEmoji, InvalidMessage
from subgraphs.chat.models import AttachmentKind

__all__ = [
    "MAX_CLIENT_ID_LENGTH",
    "MAX_FILE_BYTES",
    "MAX_IMAGE_BYTES",
    "MAX_TEXT_LENGTH",
    "MAX_VOICE_SECONDS",
    "Attachment",
    "attachment_columns",
    "validate_attachment",
    "validate_client_id",
    "validate_emoji",
    "validate_text",
]

MAX_TEXT_LENGTH = 5_000
# A device's id for one send (chat_message.client_id is VARCHAR(64)).
MAX_CLIENT_ID_LENGTH = 64
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_VOICE_SECONDS = 120.0
# The issue names no limit for files; 25 MB is what common mail and chat apps accept.
MAX_FILE_BYTES = 25 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Attachment:
    """Metadata of an uploaded file; the bytes live in object storage at `url`."""

    kind: AttachmentKind
    url: str
    size: int
    content_type: str
    duration: float | None = None


def attachment_columns(attachment: Attachment | None) -> dict[str, Any]:
    """A message's attachment columns, by name (all None without one)."""
    return {
        "attachment_kind": attachment.kind if attachment else None,
        "attachment_url": attachment.url if attachment else None,
        "attachment_size": attachment.size if attachment else None,
        "attachment_content_type": attachment.content_type if attachment else None,
        "attachment_duration": attachment.duration if attachment else None,
    }


def validate_text(text: str, *, has_attachment: bool = False) -> str:
    """The text to store; InvalidMessage when too long, or blank without attachment."""
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidMessage(
            f"text longer than {MAX_TEXT_LENGTH} characters", field="text"
        )
    if not text.strip() and not has_attachment:
        raise InvalidMessage("text is empty", field="text")
    return text


def validate_client_id(client_id: str | None) -> str | None:
    """The client id unchanged; InvalidMessage unless it has 1 to 64 characters
    (an empty one would make every later send of the sender a "retry" of the first,
    and a longer one does not fit its column)."""
    if client_id is not None and not 0 < len(client_id) <= MAX_CLIENT_ID_LENGTH:
        raise InvalidMessage(
            f"clientId must have 1 to {MAX_CLIENT_ID_LENGTH} characters",
            field="clientId",
        )
    return client_id


def validate_attachment(attachment: Attachment) -> Attachment:
    """The attachment unchanged; raises InvalidMessage when it breaks a limit."""
    scheme = urlsplit(attachment.url).scheme
    if scheme not in ("http", "https"):
        raise InvalidMessage("attachment url must be http or https", field="attachment")
    if attachment.size <= 0:
        raise InvalidMessage("attachment size must be positive", field="attachment")
    if attachment.kind is AttachmentKind.IMAGE:
        if attachment.size > MAX_IMAGE_BYTES:
            raise InvalidMessage("image larger than 5 MB", field="attachment")
        if not attachment.content_type.startswith("image/"):
            raise InvalidMessage(
                "image content type must be image/*", field="attachment"
            )
    elif attachment.kind is AttachmentKind.VOICE:
        if attachment.duration is None or attachment.duration <= 0:
            raise InvalidMessage(
                "voice message needs a positive duration", field="attachment"
            )
        if attachment.duration > MAX_VOICE_SECONDS:
            raise InvalidMessage(
                "voice message longer than 2 minutes", field="attachment"
            )
        if not attachment.content_type.startswith("audio/"):
            raise InvalidMessage(
                "voice content type must be audio/*", field="attachment"
            )
    elif attachment.size > MAX_FILE_BYTES:
        raise InvalidMessage("file larger than 25 MB", field="attachment")
    return attachment


def validate_emoji(value: str) -> str:
    """`value` when it is exactly one emoji (skin tones and ZWJ sequences included)."""
    if not emoji_data.is_emoji(value):
        raise InvalidEmoji(value)
    return value
