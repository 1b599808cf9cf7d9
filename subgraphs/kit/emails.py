"""One spelling per email address, shared by accounts and directory (issue 12).

Fullwidth letters and case variants of an address are the same address: the
address is NFKC-normalised and casefolded. A local part or domain label that mixes
scripts (`d\u0435mo`, a Cyrillic `e`) is refused: it is a lookalike of another
address, never a real one.
"""

from __future__ import annotations

import re
import unicodedata

from subgraphs.kit.errors import BadUserInput

__all__ = ["MAX_EMAIL_LENGTH", "normalise_email"]

MAX_EMAIL_LENGTH = 320
_SHAPE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+").fullmatch
# Scripts written together in one word (Japanese mixes these three).
_SAME_SCRIPT = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "HANGUL": "CJK"}


def _script(character: str) -> str | None:
    """The script of a letter (the first word of its Unicode name); None for
    digits, punctuation and symbols, which every script shares."""
    if not unicodedata.category(character).startswith("L"):
        return None
    name = unicodedata.name(character, "")
    word = name.split(" ", 1)[0] if name else "UNKNOWN"
    return _SAME_SCRIPT.get(word, word)


def _mixes_scripts(part: str) -> bool:
    scripts = {_script(c) for c in part} - {None}
    return len(scripts) > 1


def normalise_email(email: str) -> str:
    """`email` trimmed, NFKC-normalised and casefolded.

    Raises BadUserInput (field "email") for anything that is not an address: no
    `@` or dot, control characters (NUL included), more than 320 characters, or a
    local part or domain label mixing scripts.
    """
    invalid = BadUserInput("Email address is not valid.", field="email")
    if len(email) > 4 * MAX_EMAIL_LENGTH:
        raise invalid
    normalised = unicodedata.normalize("NFKC", email.strip()).casefold()
    if (
        len(normalised) > MAX_EMAIL_LENGTH
        or not _SHAPE(normalised)
        or any(unicodedata.category(c).startswith("C") for c in normalised)
    ):
        raise invalid
    local, _, domain = normalised.rpartition("@")
    if _mixes_scripts(local) or any(_mixes_scripts(x) for x in domain.split(".")):
        raise invalid
    return normalised
