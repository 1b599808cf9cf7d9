"""Access tokens: who the caller is, verified once at the gateway.

`TokenVerifier` checks HS256/384/512 tokens against a shared secret and RS, PS, ES
and EdDSA tokens against the keys of a JWKS (file and/or URL, see jwks.py). The key
is chosen by the token's algorithm family, never by what the key looks like: an
HMAC token is checked with the configured secret only (and refused when there is
none), an asymmetric one only with a JWK whose `kty` (and `crv`, and `alg` when the
JWK names one) fits. So `alg: none` and the HS/RS confusion (an HS256 token whose
HMAC key is the issuer's RSA public key) have no key to pass.

One rule for the tokens accounts signs with the shared secret (HS*), the rule of
the kit's `decode_token` (tests/unit/test_token_contract.py runs both over the same
tokens): `sub`, `exp`, `iat`, `iss` and `type` are required, `type` is `access` (a
refresh token is refused) and `iss` is accounts' issuer (`JwtConfig.jwt_issuer`, its
JWT_ISSUER). Tokens of an identity provider (JWKS) need `sub` and `exp`, `type`
absent or `access`, and `iss` / `aud` only when configured. Both give `tenant`,
`roles`, `scopes` (or an OAuth `scope` string).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt as pyjwt

from .errors import TokenExpired, TokenInvalid
from .jwks import ASYMMETRIC_ALGORITHMS, JwksCache

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    from .jwks import VerificationKey

__all__ = [
    "ACCOUNTS_ISSUER",
    "DEV_JWT_SECRET",
    "HMAC_ALGORITHMS",
    "Identity",
    "JwtConfig",
    "TokenVerifier",
    "bearer_token",
    "jwt_secret_from_env",
    "verify_token",
]

# Same development default as subgraphs/kit/settings.py (the gateway never imports it).
DEV_JWT_SECRET = "agora-dev-secret-change-me-in-production-0123456789"
# The `iss` accounts puts in its tokens unless JWT_ISSUER says otherwise (kit Settings).
ACCOUNTS_ISSUER = "agora"
HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
_SUPPORTED = HMAC_ALGORITHMS | ASYMMETRIC_ALGORITHMS.keys()
_DEFAULT_ALGORITHMS = ("HS256", "RS256", "ES256", "PS256", "EdDSA")


@dataclass(frozen=True, slots=True)
class Identity:
    """A verified caller; `authorization` is the header value forwarded upstream."""

    user_id: str
    tenant_id: str | None
    roles: frozenset[str]
    scopes: frozenset[str]
    expires_at: int
    authorization: str
    # The token's `iss`, when it has one.
    issuer: str | None = None

    @property
    def scope_key(self) -> tuple[str, str | None, frozenset[str], frozenset[str]]:
        """What makes two callers see the same events (dedup key part)."""
        return (self.user_id, self.tenant_id, self.roles, self.scopes)


@dataclass(frozen=True, slots=True)
class JwtConfig:
    """How the gateway verifies access tokens.

    `secret`: the HMAC secret of HS* tokens; None refuses every HS* token.
    `jwks_file` / `jwks_url`: where RS/PS/ES/EdDSA public keys come from.
    `algorithms`: the `alg` values accepted at all (`none` never is).
    `issuer` / `audience`: required `iss` / `aud` values of JWKS tokens (and `aud` of
    HS* tokens), unchecked when None.
    `jwt_issuer`: the `iss` every HS* token must carry (accounts' JWT_ISSUER).
    `leeway`: seconds of clock skew allowed on `exp` and `nbf`.
    `jwks_ttl`: seconds a loaded key set is used before it is fetched again.
    `jwks_min_refetch_interval`: at most one fetch per this many seconds for
    tokens naming an unknown `kid` (and between retries of a source that is down).
    `jwks_timeout`: seconds one fetch of the JWKS URL may take.

    Raises ValueError naming the field for a value that cannot work.
    """

    secret: str | None = None
    jwks_file: Path | None = None
    jwks_url: str | None = None
    algorithms: tuple[str, ...] = _DEFAULT_ALGORITHMS
    issuer: str | None = None
    audience: str | None = None
    leeway: float = 0.0
    jwks_ttl: float = 300.0
    jwks_min_refetch_interval: float = 30.0
    jwks_timeout: float = 3.0
    jwt_issuer: str = ACCOUNTS_ISSUER

    def __post_init__(self) -> None:
        unknown = sorted(set(self.algorithms) - _SUPPORTED)
        if unknown or not self.algorithms:
            raise ValueError(
                f"algorithms: expected some of {', '.join(sorted(_SUPPORTED))}, "
                f"got {', '.join(unknown) or 'none'}"
            )
        if self.secret == "":
            raise ValueError("secret: expected a secret or nothing, got ''")
        if not self.jwt_issuer:
            raise ValueError("jwt_issuer: expected accounts' issuer, got ''")
        if self.jwks_url is not None and not self.jwks_url.startswith(
            ("https://", "http://")
        ):
            raise ValueError(
                f"jwks_url: expected an http(s) URL, got {self.jwks_url!r}"
            )
        for name in ("jwks_ttl", "jwks_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name}: expected a positive number of seconds")
        for name in ("leeway", "jwks_min_refetch_interval"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}: expected zero or more seconds")


class TokenVerifier:
    """Verifies access tokens by a JwtConfig; one per gateway (it caches JWKS keys).

    A verified token is remembered (at most `cache_size` of them) until its `exp`:
    a client sends the same token with every request, and checking a signature
    costs far more than a dictionary lookup. The memory is dropped whenever the
    JWKS is reloaded, so a key the issuer withdrew stops verifying within its TTL.
    `clock` is the monotonic clock of the JWKS cache (tests drive it).
    """

    def __init__(
        self,
        config: JwtConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        cache_size: int = 10_000,
    ) -> None:
        self.config = config
        self._options = _claim_options(config)
        self._verified: dict[str, Identity] = {}
        self._cache_size = cache_size
        self._generation = 0
        self._jwks: JwksCache | None = None
        if config.jwks_file is not None or config.jwks_url is not None:
            self._jwks = JwksCache(
                file=config.jwks_file,
                url=config.jwks_url,
                ttl=config.jwks_ttl,
                min_refetch_interval=config.jwks_min_refetch_interval,
                timeout=config.jwks_timeout,
                clock=clock,
            )

    async def load_keys(self) -> int:
        """Fetch the JWKS now (at start-up) so no request waits for it; the number
        of keys held (0 without a JWKS). A source that is down is logged, not raised."""
        return 0 if self._jwks is None else await self._jwks.load()

    async def verify(self, token: str, *, now: float | None = None) -> Identity:
        """Verify an access token's signature and claims; return who it names.

        Raises TokenExpired for a past `exp`, TokenInvalid for anything else wrong
        (both UNAUTHENTICATED). `now` is wall-clock seconds (default: the time).
        """
        now = time.time() if now is None else now
        if self._jwks is not None:
            await self._jwks.refresh_if_stale()
            if self._jwks.generation != self._generation:
                self._verified.clear()
                self._generation = self._jwks.generation
        identity = self._verified.get(token)
        if identity is None:
            identity = await self._verify(token, now)
            if self._cache_size > 0:
                if len(self._verified) >= self._cache_size:
                    # The oldest entry goes first (dicts keep insertion order).
                    del self._verified[next(iter(self._verified))]
                self._verified[token] = identity
        elif identity.expires_at <= now - self.config.leeway:
            del self._verified[token]
            raise TokenExpired
        return identity

    async def _verify(self, token: str, now: float) -> Identity:
        try:
            header = pyjwt.get_unverified_header(token)
        except pyjwt.PyJWTError:
            raise TokenInvalid("malformed") from None
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in self.config.algorithms:
            raise TokenInvalid(f"algorithm {algorithm!r} is not accepted")
        if algorithm in HMAC_ALGORITHMS:
            if self.config.secret is None:
                raise TokenInvalid(f"algorithm {algorithm} is not accepted")
            claims = self._decode(
                token, self.config.secret, algorithm, issued_by_accounts=True
            )
        else:
            claims = await self._decode_asymmetric(token, algorithm, header.get("kid"))
        return _identity(claims, token, now, self.config.leeway)

    async def _decode_asymmetric(
        self, token: str, algorithm: str, kid: object
    ) -> dict[str, Any]:
        if kid is not None and not isinstance(kid, str):
            raise TokenInvalid("kid is not a string")
        keys: tuple[VerificationKey, ...] = ()
        if self._jwks is not None:
            keys = await self._jwks.keys_for(algorithm, kid)
        if not keys:
            raise TokenInvalid(f"no {algorithm} key" + (f" {kid!r}" if kid else ""))
        # Without a `kid` every fitting key is tried; a JWKS holds a handful.
        for key in keys[:-1]:
            try:
                return self._decode(token, key.key, algorithm)
            except TokenInvalid as refused:
                if refused.reason != BAD_SIGNATURE:
                    raise
        return self._decode(token, keys[-1].key, algorithm)

    def _decode(
        self, token: str, key: Any, algorithm: str, *, issued_by_accounts: bool = False
    ) -> dict[str, Any]:
        options = self._options
        issuer = self.config.issuer
        if issued_by_accounts:
            options = {**_ACCOUNTS_OPTIONS, "verify_aud": options["verify_aud"]}
            issuer = self.config.jwt_issuer
        try:
            claims: dict[str, Any] = pyjwt.decode(
                token,
                key,
                algorithms=[algorithm],
                options=options,
                issuer=issuer,
                audience=self.config.audience,
            )
        except pyjwt.PyJWTError as error:
            raise TokenInvalid(_reason(error)) from None
        return claims


BAD_SIGNATURE = "the signature does not verify"
# In our words: a client (and a websocket close reason) never sees PyJWT's class
# names (issue 12). Subclasses before their bases.
_REASONS: tuple[tuple[type[pyjwt.PyJWTError], str], ...] = (
    (pyjwt.InvalidSignatureError, BAD_SIGNATURE),
    (pyjwt.DecodeError, "malformed"),
    (pyjwt.InvalidAlgorithmError, "algorithm not accepted"),
    (pyjwt.InvalidIssuerError, "issuer not accepted"),
    (pyjwt.InvalidAudienceError, "audience not accepted"),
    (pyjwt.MissingRequiredClaimError, "a required claim is missing"),
    (pyjwt.ImmatureSignatureError, "not valid yet"),
)


def _reason(error: pyjwt.PyJWTError) -> str:
    for kind, words in _REASONS:
        if isinstance(error, kind):
            return words
    return "it cannot be verified"


def _claim_options(config: JwtConfig | None) -> Any:
    # Time claims are checked by _identity against `now`, with the leeway.
    return {
        "require": ["sub", "exp"],
        "verify_exp": False,
        "verify_nbf": False,
        "verify_iat": False,
        "verify_aud": config is not None and config.audience is not None,
        "verify_iss": config is not None and config.issuer is not None,
    }


# Accounts' tokens (HS*): the claims the kit's decode_token requires, issuer checked.
_ACCOUNTS_OPTIONS: Any = {
    **_claim_options(None),
    "require": ["sub", "exp", "iat", "iss", "type"],
    "verify_iss": True,
}


def _strings(value: object, name: str) -> frozenset[str]:
    if value is None:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TokenInvalid(f"{name} must be a list of strings")
    return frozenset(value)


def _identity(
    claims: dict[str, Any], token: str, now: float, leeway: float
) -> Identity:
    expires_at = claims.get("exp")
    if not isinstance(expires_at, int | float) or isinstance(expires_at, bool):
        raise TokenInvalid("exp is not a number")
    if expires_at <= now - leeway:
        raise TokenExpired
    not_before = claims.get("nbf")
    if not_before is not None and (
        not isinstance(not_before, int | float) or not_before > now + leeway
    ):
        raise TokenInvalid("not valid yet")
    if claims.get("type", "access") != "access":
        raise TokenInvalid("not an access token")
    subject, tenant, issuer = claims["sub"], claims.get("tenant"), claims.get("iss")
    if not isinstance(subject, str) or not subject:
        raise TokenInvalid("sub must be a non-empty string")
    if not isinstance(tenant, str | None) or not isinstance(issuer, str | None):
        raise TokenInvalid("tenant and iss must be strings")
    scopes = claims.get("scopes")
    if scopes is None and isinstance(claims.get("scope"), str):
        # OAuth 2.0 (RFC 8693 section 4.2): one space-separated string.
        scopes = claims["scope"].split()
    return Identity(
        user_id=subject,
        tenant_id=tenant,
        roles=_strings(claims.get("roles"), "roles"),
        scopes=_strings(scopes, "scopes"),
        expires_at=int(expires_at),
        authorization=f"Bearer {token}",
        issuer=issuer,
    )


def jwt_secret_from_env(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return env.get("JWT_SECRET") or DEV_JWT_SECRET


def bearer_token(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` value, None for other schemes."""
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def verify_token(
    token: str,
    secret: str,
    *,
    now: float | None = None,
    issuer: str = ACCOUNTS_ISSUER,
) -> Identity:
    """Verify an HS256 access token of accounts synchronously (the same rule as
    `TokenVerifier` for HS* tokens).

    Raises TokenExpired for a past `exp`, TokenInvalid for anything else wrong.
    Prefer `TokenVerifier.verify`, which also takes JWKS keys.
    """
    try:
        claims: dict[str, Any] = pyjwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            options=_ACCOUNTS_OPTIONS,
            issuer=issuer,
        )
    except pyjwt.PyJWTError as error:
        raise TokenInvalid(_reason(error)) from None
    return _identity(claims, token, time.time() if now is None else now, 0.0)
