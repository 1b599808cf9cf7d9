"""JSON Web Key Sets: the public keys that verify RS/PS/ES/EdDSA access tokens.

Keys come from a JWKS file and/or URL (RFC 7517 section 5). `JwksCache` loads them
on first use and keeps them `ttl` seconds; a token naming an unknown `kid` (the
issuer rotated its keys) refetches at once, at most once per `min_refetch_interval`
so made-up `kid`s cannot hammer the issuer, and concurrent misses share one fetch.
A source that fails (URL down, file unreadable, not a JWKS) keeps its last good keys.

Only asymmetric signing keys are taken: `oct` keys, keys for encryption
(`use: enc`) and keys carrying private material are skipped, so a JWKS can never
hand an HMAC secret (or a public key used as one) to the verifier.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import httpx
import jwt as pyjwt

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

__all__ = [
    "ASYMMETRIC_ALGORITHMS",
    "JwksCache",
    "JwksInvalid",
    "VerificationKey",
    "parse_jwks",
]

logger = logging.getLogger("agora.gateway")

# JWA algorithm -> (the JWK `kty` it needs, the `crv` it needs or None for any).
ASYMMETRIC_ALGORITHMS: dict[str, tuple[str, str | None]] = {
    "RS256": ("RSA", None),
    "RS384": ("RSA", None),
    "RS512": ("RSA", None),
    "PS256": ("RSA", None),
    "PS384": ("RSA", None),
    "PS512": ("RSA", None),
    "ES256": ("EC", "P-256"),
    "ES384": ("EC", "P-384"),
    "ES512": ("EC", "P-521"),
    "EdDSA": ("OKP", None),
}
# The algorithm pyjwt builds a key of each kind with (any of the family would do).
_LOADER: dict[tuple[str, str | None], str] = {
    ("EC", "P-256"): "ES256",
    ("EC", "P-384"): "ES384",
    ("EC", "P-521"): "ES512",
    ("OKP", "Ed25519"): "EdDSA",
    ("OKP", "Ed448"): "EdDSA",
}
# RFC 7518 section 6.2.2 / 6.3.2 / RFC 8037: members only a private key has.
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth"})
_MAX_JWKS_BYTES = 1_048_576
# What a source that is down or wrong raises (JSON too deeply nested included).
_LOAD_ERRORS = (OSError, httpx.HTTPError, httpx.InvalidURL, ValueError, RecursionError)


class JwksInvalid(ValueError):
    """Raised when a document is not a JWKS (no `keys` list)."""


@dataclass(frozen=True, slots=True)
class VerificationKey:
    """One public key of a JWKS and what it may verify."""

    kid: str | None
    kty: str
    curve: str | None
    # The JWK's own `alg`; when given, the key verifies that algorithm only.
    algorithm: str | None
    key: Any

    def fits(self, algorithm: str) -> bool:
        """True when a token signed with `algorithm` may be checked with this key."""
        family = ASYMMETRIC_ALGORITHMS.get(algorithm)
        if family is None:
            return False
        kty, curve = family
        if self.kty != kty or (curve is not None and self.curve != curve):
            return False
        return self.algorithm is None or self.algorithm == algorithm


def _verification_key(jwk: dict[str, Any]) -> VerificationKey | None:
    kty, curve, alg, kid = (jwk.get(name) for name in ("kty", "crv", "alg", "kid"))
    if kty not in ("RSA", "EC", "OKP") or not all(
        isinstance(member, str | None) for member in (curve, alg, kid)
    ):
        return None
    if jwk.get("use", "sig") != "sig" or not _PRIVATE_MEMBERS.isdisjoint(jwk):
        return None
    operations = jwk.get("key_ops")
    if operations is not None and (
        not isinstance(operations, list) or "verify" not in operations
    ):
        return None
    if alg is not None and ASYMMETRIC_ALGORITHMS.get(alg, ("", None))[0] != kty:
        return None
    loader = "RS256" if kty == "RSA" else _LOADER.get((kty, curve))
    if loader is None:
        return None
    try:
        key = pyjwt.PyJWK(jwk, algorithm=loader).key
    except (pyjwt.PyJWTError, ValueError, TypeError):
        return None
    return VerificationKey(kid=kid, kty=kty, curve=curve, algorithm=alg, key=key)


def parse_jwks(document: object) -> tuple[VerificationKey, ...]:
    """The usable verification keys of a JWKS document.

    Raises JwksInvalid when `document` is not an object with a `keys` list; keys
    that are not asymmetric public signing keys, or cannot be built, are skipped.
    """
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwksInvalid("expected a JWKS: an object with a `keys` list")
    keys = (_verification_key(jwk) for jwk in document["keys"] if isinstance(jwk, dict))
    return tuple(key for key in keys if key is not None)


def _read_file(path: Path) -> object:
    with path.open("rb") as file:
        body = file.read(_MAX_JWKS_BYTES + 1)
    if len(body) > _MAX_JWKS_BYTES:
        raise JwksInvalid(f"JWKS larger than {_MAX_JWKS_BYTES} bytes")
    return json.loads(body)


async def _fetch(url: str, seconds: float) -> object:
    # One deadline for the whole fetch: a server trickling bytes cannot stretch it.
    async with (
        asyncio.timeout(seconds),
        httpx.AsyncClient() as client,
        client.stream("GET", url, headers={"accept": "application/json"}) as response,
    ):
        response.raise_for_status()
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > _MAX_JWKS_BYTES:
                raise JwksInvalid(f"JWKS larger than {_MAX_JWKS_BYTES} bytes")
    return json.loads(body)


class JwksCache:
    """The keys of a JWKS file and/or URL, cached and refetched on key rotation.

    `keys_for` never raises for a source that is down: it answers with the keys it
    has. `clock` is monotonic seconds (a test may drive it).
    """

    def __init__(
        self,
        *,
        file: Path | None = None,
        url: str | None = None,
        ttl: float = 300.0,
        min_refetch_interval: float = 30.0,
        timeout: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        assert file is not None or url is not None, "expected a JWKS file or URL"
        self._file = file
        self._url = url
        self._ttl = ttl
        self._min_refetch_interval = min_refetch_interval
        self._timeout = timeout
        self._clock = clock
        # Last good keys of each source ("file", "url"); a failed load keeps them.
        self._by_source: dict[str, tuple[VerificationKey, ...]] = {}
        self._keys: tuple[VerificationKey, ...] = ()
        # When the set is stale: TTL after a good load, the refetch interval after
        # a failed one (so a source that is down is retried, not hammered).
        self._stale_at = float("-inf")
        self._attempted_at: float | None = None
        # The one load in flight; callers share it (single flight).
        self._loading: asyncio.Task[None] | None = None
        # Counts finished loads: what was verified with an older set is re-checked.
        self.generation = 0

    @property
    def keys(self) -> tuple[VerificationKey, ...]:
        return self._keys

    async def refresh_if_stale(self) -> None:
        """Reload the set when its TTL has passed (or a failed load may be retried)."""
        if self._clock() >= self._stale_at:
            await self._refresh("stale")

    async def keys_for(
        self, algorithm: str, kid: str | None
    ) -> tuple[VerificationKey, ...]:
        """The keys that may verify a token of `algorithm` naming `kid`.

        With no `kid`, every key fitting the algorithm. Empty when none is known,
        after the one refetch an unknown key allows.
        """
        await self.refresh_if_stale()
        found = self._lookup(algorithm, kid)
        if found or (kid is not None and any(k.kid == kid for k in self._keys)):
            return found
        await self._refresh("miss")
        return self._lookup(algorithm, kid)

    async def load(self) -> int:
        """Load the set now (at start-up, say); the number of keys held after it."""
        await self._refresh("forced")
        return len(self._keys)

    def _lookup(self, algorithm: str, kid: str | None) -> tuple[VerificationKey, ...]:
        return tuple(
            key
            for key in self._keys
            if (kid is None or key.kid == kid) and key.fits(algorithm)
        )

    async def _refresh(self, reason: Literal["stale", "miss", "forced"]) -> None:
        if self._loading is None:
            now = self._clock()
            if reason == "stale" and now < self._stale_at:
                return
            if (
                reason == "miss"
                and self._attempted_at is not None
                and now - self._attempted_at < self._min_refetch_interval
            ):
                return
            self._attempted_at = now
            self._loading = asyncio.get_running_loop().create_task(self._load())
        # Shielded: a caller that gives up (deadline, disconnect) must not cancel
        # the load the others wait for.
        await asyncio.shield(self._loading)

    async def _read(self, source: str) -> object:
        if source == "file":
            assert self._file is not None
            return await asyncio.to_thread(_read_file, self._file)
        assert self._url is not None
        return await _fetch(self._url, self._timeout)

    async def _load(self) -> None:
        try:
            failed = False
            for source, where in (("file", self._file), ("url", self._url)):
                if where is None:
                    continue
                try:
                    self._by_source[source] = parse_jwks(await self._read(source))
                except _LOAD_ERRORS as error:
                    failed = True
                    logger.warning(
                        "JWKS %s not loaded (%s: %s); keeping its %d previous keys",
                        where,
                        type(error).__name__,
                        error,
                        len(self._by_source.get(source, ())),
                    )
            self._keys = tuple(k for keys in self._by_source.values() for k in keys)
            self.generation += 1
            wait = self._min_refetch_interval if failed else self._ttl
            self._stale_at = self._clock() + wait
        finally:
            self._loading = None
