"""Message limits, checked before anything is stored."""

from __future__ import annotations

import pytest

from subgraphs.chat.errors import InvalidEmoji, InvalidMessage
from subgraphs.chat.models import AttachmentKind
from subgraphs.chat.validation import (
    MAX_FILE_BYTES,
    MAX_IMAGE_BYTES,
    MAX_TEXT_LENGTH,
    Attachment,
    validate_attachment,
    validate_emoji,
    validate_text,
)


def test_text_of_exactly_the_limit_is_accepted() -> None:
    assert validate_text("x" * MAX_TEXT_LENGTH) == "x" * MAX_TEXT_LENGTH


def test_blank_text_is_accepted_only_with_an_attachment() -> None:
    assert validate_text("", has_attachment=True) == ""
    with pytest.raises(InvalidMessage) as raised:
        validate_text("  ")
    assert raised.value.extensions == {"field": "text", "code": "BAD_USER_INPUT"}


@pytest.mark.parametrize(
    "attachment",
    [
        Attachment(
            AttachmentKind.IMAGE, "https://c/x.png", MAX_IMAGE_BYTES, "image/png"
        ),
        Attachment(AttachmentKind.VOICE, "https://c/v.m4a", 10, "audio/mp4", 120.0),
        Attachment(
            AttachmentKind.FILE, "https://c/f.pdf", MAX_FILE_BYTES, "application/pdf"
        ),
    ],
    ids=["image-at-5MB", "voice-at-2-minutes", "file-at-25MB"],
)
def test_attachments_at_their_limits_are_accepted(attachment: Attachment) -> None:
    assert validate_attachment(attachment) is attachment


@pytest.mark.parametrize(
    "attachment",
    [
        Attachment(AttachmentKind.IMAGE, "https://c/x.png", 10, "application/pdf"),
        Attachment(AttachmentKind.VOICE, "https://c/v.m4a", 10, "audio/mp4"),
        Attachment(AttachmentKind.VOICE, "https://c/v.m4a", 10, "video/mp4", 3.0),
        Attachment(AttachmentKind.FILE, "https://c/f.bin", 0, "application/pdf"),
        Attachment(AttachmentKind.FILE, "https://c/f.bin", MAX_FILE_BYTES + 1, "a/b"),
        Attachment(AttachmentKind.FILE, "javascript:alert(1)", 10, "text/html"),
    ],
    ids=[
        "image-not-an-image",
        "voice-without-duration",
        "voice-not-audio",
        "empty-file",
        "file-over-25MB",
        "not-http",
    ],
)
def test_bad_attachments_are_refused(attachment: Attachment) -> None:
    with pytest.raises(InvalidMessage):
        validate_attachment(attachment)


@pytest.mark.parametrize("emoji", ["👍", "👍🏽", "❤️", "👨‍👩‍👧", "🇧🇩"])
def test_emoji_including_skin_tones_sequences_and_flags_are_accepted(
    emoji: str,
) -> None:
    assert validate_emoji(emoji) == emoji


@pytest.mark.parametrize("text", ["", "a", ":)", "👍👍", "👍 ", "<b>"])
def test_anything_but_one_emoji_is_refused(text: str) -> None:
    with pytest.raises(InvalidEmoji):
        validate_emoji(text)
