"""Password rules and argon2 hashing, off the event loop."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.concurrency import run_in_threadpool

from subgraphs.kit.errors import BadUserInput

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256

_hasher = PasswordHasher()
# Verified when the email is unknown, so a miss costs as much time as a hit.
_DUMMY_HASH = _hasher.hash("agora-timing-equaliser")


def check_password_strength(password: str) -> None:
    """Raise BadUserInput unless `password` is 10-256 chars of 2+ character kinds."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadUserInput(
            f"Password must be at least {MIN_PASSWORD_LENGTH} characters.",
            field="password",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise BadUserInput(
            f"Password must be at most {MAX_PASSWORD_LENGTH} characters.",
            field="password",
        )
    kinds = (
        any(c.islower() for c in password)
        + any(c.isupper() for c in password)
        + any(c.isdigit() for c in password)
        + any(not c.isalnum() for c in password)
    )
    if kinds < 2 or len(set(password)) < 5:
        raise BadUserInput(
            "Password is too weak: mix letters with digits or symbols.",
            field="password",
        )


async def hash_password(password: str) -> str:
    """The argon2id hash of `password` (computed in a worker thread)."""
    return await run_in_threadpool(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; a None hash still spends the verify time."""

    def verify() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and (
                password_hash is not None
            )
        except (VerificationError, InvalidHashError):
            return False

    return await run_in_threadpool(verify)


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)
