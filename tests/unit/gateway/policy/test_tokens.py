"""The gateway verifies access tokens: HS256 by its secret, RS/ES/PS/EdDSA by a JWKS,
and refuses every forgery as UNAUTHENTICATED."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import TYPE_CHECKING, Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from gateway.policy import JwtConfig, TokenExpired, TokenInvalid, TokenVerifier
from gateway.policy.tokens import verify_token

if TYPE_CHECKING:
    from pathlib import Path

SECRET = "unit-test-secret-that-is-long-enough-for-hs256"
NOW = 1_800_000_000
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ATTACKER_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
ED_KEY = ed25519.Ed25519PrivateKey.generate()


def claims(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "sub": "u1",
        "tenant": "t1",
        "roles": ["support_agent"],
        "scopes": ["chat:read"],
        "type": "access",
        "iss": "agora",
        "iat": NOW - 60,
        "exp": NOW + 60,
    }
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


def sign(key: Any, algorithm: str, kid: str | None = None, **changes: object) -> str:
    headers = {"kid": kid} if kid else None
    return jwt.encode(claims(**changes), key, algorithm=algorithm, headers=headers)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge_hmac(header: dict[str, object], key: bytes) -> str:
    """A token HMAC-signed with any bytes (pyjwt refuses PEM keys as HMAC secrets)."""
    signing_input = (
        f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims()).encode())}"
    )
    mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


def jwk(public_key: Any, kid: str, **members: object) -> dict[str, object]:
    document: dict[str, object] = json.loads(_to_jwk(public_key))
    document.update(kid=kid, use="sig", **members)
    return document


def _to_jwk(public_key: Any) -> str:
    if isinstance(public_key, rsa.RSAPublicKey):
        return jwt.algorithms.RSAAlgorithm.to_jwk(public_key)
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return jwt.algorithms.ECAlgorithm.to_jwk(public_key)
    return jwt.algorithms.OKPAlgorithm.to_jwk(public_key)


def jwks_file(tmp_path: Path, *keys: dict[str, object]) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": list(keys)}))
    return path


def verifier(tmp_path: Path, *keys: dict[str, object], **config: Any) -> TokenVerifier:
    if keys:
        config.setdefault("jwks_file", jwks_file(tmp_path, *keys))
    return TokenVerifier(JwtConfig(**config))


RSA_JWK = jwk(RSA_KEY.public_key(), "rsa-1")
EC_JWK = jwk(EC_KEY.public_key(), "ec-1")
ED_JWK = jwk(ED_KEY.public_key(), "ed-1")


async def test_an_hs256_token_names_the_caller() -> None:
    token = sign(SECRET, "HS256")
    identity = await TokenVerifier(JwtConfig(secret=SECRET)).verify(token, now=NOW)
    assert identity.user_id == "u1"
    assert identity.tenant_id == "t1"
    assert identity.roles == frozenset({"support_agent"})
    assert identity.scopes == frozenset({"chat:read"})
    assert identity.expires_at == NOW + 60
    assert identity.issuer == "agora"
    assert identity.authorization == f"Bearer {token}"


@pytest.mark.parametrize(
    ("key", "algorithm", "kid"),
    [
        pytest.param(RSA_KEY, "RS256", "rsa-1", id="RS256"),
        pytest.param(RSA_KEY, "PS256", "rsa-1", id="PS256"),
        pytest.param(EC_KEY, "ES256", "ec-1", id="ES256"),
        pytest.param(ED_KEY, "EdDSA", "ed-1", id="EdDSA"),
    ],
)
async def test_an_asymmetric_token_is_verified_by_the_jwks_key_it_names(
    tmp_path: Path, key: Any, algorithm: str, kid: str
) -> None:
    check = verifier(tmp_path, RSA_JWK, EC_JWK, ED_JWK)
    identity = await check.verify(sign(key, algorithm, kid), now=NOW)
    assert (identity.user_id, identity.tenant_id) == ("u1", "t1")


async def test_a_token_without_kid_is_tried_against_every_fitting_key(
    tmp_path: Path,
) -> None:
    other = jwk(ATTACKER_RSA_KEY.public_key(), "rsa-0")
    check = verifier(tmp_path, other, RSA_JWK, EC_JWK)
    identity = await check.verify(sign(RSA_KEY, "RS256"), now=NOW)
    assert identity.user_id == "u1"


async def test_an_oauth_scope_string_gives_the_scopes() -> None:
    token = sign(SECRET, "HS256", scopes=None, scope="chat:read chat:write")
    identity = await TokenVerifier(JwtConfig(secret=SECRET)).verify(token, now=NOW)
    assert identity.scopes == frozenset({"chat:read", "chat:write"})


def _alg_none(algorithm: str) -> str:
    header = b64(json.dumps({"alg": algorithm, "typ": "JWT"}).encode())
    return f"{header}.{b64(json.dumps(claims(roles=['platform_admin'])).encode())}."


@pytest.mark.parametrize("algorithm", ["none", "None", "NONE", ""])
async def test_an_unsigned_token_is_refused(tmp_path: Path, algorithm: str) -> None:
    check = verifier(tmp_path, RSA_JWK, secret=SECRET)
    with pytest.raises(TokenInvalid) as refused:
        await check.verify(_alg_none(algorithm), now=NOW)
    assert refused.value.code == "UNAUTHENTICATED"


def test_none_cannot_be_configured_as_an_algorithm() -> None:
    with pytest.raises(ValueError, match="algorithms"):
        JwtConfig(secret=SECRET, algorithms=("HS256", "none"))


async def test_an_hs256_token_is_refused_when_no_hmac_secret_is_configured(
    tmp_path: Path,
) -> None:
    check = verifier(tmp_path, RSA_JWK)
    with pytest.raises(TokenInvalid, match="HS256 is not accepted"):
        await check.verify(sign(SECRET, "HS256"), now=NOW)


def _public_pem() -> bytes:
    return RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.mark.parametrize(
    "hmac_key",
    [
        pytest.param(_public_pem(), id="public-key-pem"),
        pytest.param(json.dumps(RSA_JWK).encode(), id="public-jwk-json"),
        pytest.param(str(RSA_JWK["n"]).encode(), id="modulus"),
    ],
)
@pytest.mark.parametrize("secret", [None, SECRET], ids=["no-secret", "secret"])
async def test_an_hs256_token_keyed_with_the_rsa_public_key_is_refused(
    tmp_path: Path, hmac_key: bytes, secret: str | None
) -> None:
    check = verifier(tmp_path, RSA_JWK, secret=secret)
    forged = forge_hmac({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}, hmac_key)
    with pytest.raises(TokenInvalid) as refused:
        await check.verify(forged, now=NOW)
    assert refused.value.code == "UNAUTHENTICATED"


async def test_a_symmetric_key_in_the_jwks_is_never_used(tmp_path: Path) -> None:
    octet: dict[str, object] = {
        "kty": "oct",
        "kid": "hs-1",
        "k": b64(SECRET.encode()),
        "alg": "HS256",
    }
    check = verifier(tmp_path, octet)
    with pytest.raises(TokenInvalid, match="HS256 is not accepted"):
        await check.verify(sign(SECRET, "HS256", "hs-1"), now=NOW)


@pytest.mark.parametrize(
    ("key", "algorithm", "kid"),
    [
        pytest.param(ATTACKER_RSA_KEY, "RS256", "rsa-1", id="other-rsa-key"),
        pytest.param(ec.generate_private_key(ec.SECP256R1()), "ES256", "ec-1", id="ec"),
        pytest.param(SECRET + "-other", "HS256", None, id="other-secret"),
    ],
)
async def test_a_token_signed_with_the_wrong_key_is_refused(
    tmp_path: Path, key: Any, algorithm: str, kid: str | None
) -> None:
    check = verifier(tmp_path, RSA_JWK, EC_JWK, secret=SECRET)
    with pytest.raises(TokenInvalid, match="the signature does not verify"):
        await check.verify(sign(key, algorithm, kid), now=NOW)


@pytest.mark.parametrize(
    ("key", "algorithm", "kid"),
    [
        pytest.param(EC_KEY, "ES256", "rsa-1", id="ec-token-names-rsa-key"),
        pytest.param(RSA_KEY, "PS256", "rsa-pinned", id="jwk-pinned-to-RS256"),
        pytest.param(
            ec.generate_private_key(ec.SECP384R1()), "ES384", "ec-1", id="wrong-curve"
        ),
    ],
)
async def test_a_key_is_used_only_for_the_algorithm_it_fits(
    tmp_path: Path, key: Any, algorithm: str, kid: str
) -> None:
    pinned = jwk(RSA_KEY.public_key(), "rsa-pinned", alg="RS256")
    check = verifier(
        tmp_path,
        RSA_JWK,
        EC_JWK,
        pinned,
        algorithms=("RS256", "PS256", "ES256", "ES384"),
    )
    with pytest.raises(TokenInvalid, match=f"no {algorithm} key"):
        await check.verify(sign(key, algorithm, kid), now=NOW)


async def test_an_algorithm_outside_the_configured_list_is_refused(
    tmp_path: Path,
) -> None:
    check = verifier(tmp_path, RSA_JWK, algorithms=("ES256",))
    with pytest.raises(TokenInvalid, match="'RS256' is not accepted"):
        await check.verify(sign(RSA_KEY, "RS256", "rsa-1"), now=NOW)


async def test_an_expired_token_is_refused_as_unauthenticated(tmp_path: Path) -> None:
    check = verifier(tmp_path, RSA_JWK)
    with pytest.raises(TokenExpired) as refused:
        await check.verify(sign(RSA_KEY, "RS256", "rsa-1", exp=NOW - 1), now=NOW)
    assert refused.value.code == "UNAUTHENTICATED"


@pytest.mark.parametrize("cache_size", [10, 1, 0])
async def test_a_remembered_token_still_expires(cache_size: int) -> None:
    check = TokenVerifier(JwtConfig(secret=SECRET), cache_size=cache_size)
    first, second = sign(SECRET, "HS256"), sign(SECRET, "HS256", sub="u2")
    assert (await check.verify(first, now=NOW)).user_id == "u1"
    assert (await check.verify(second, now=NOW)).user_id == "u2"
    assert (await check.verify(first, now=NOW + 59)).user_id == "u1"
    with pytest.raises(TokenExpired):
        await check.verify(first, now=NOW + 60)
    with pytest.raises(TokenExpired):
        await check.verify(first, now=NOW + 61)


async def test_leeway_accepts_a_token_that_expired_within_it() -> None:
    token = sign(SECRET, "HS256", exp=NOW - 5)
    lenient = TokenVerifier(JwtConfig(secret=SECRET, leeway=10))
    strict = TokenVerifier(JwtConfig(secret=SECRET))
    assert (await lenient.verify(token, now=NOW)).user_id == "u1"
    with pytest.raises(TokenExpired):
        await strict.verify(token, now=NOW)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        pytest.param({"type": "refresh"}, "not an access token", id="refresh-token"),
        pytest.param({"sub": None}, "a required claim is missing", id="no-sub"),
        pytest.param({"exp": None}, "a required claim is missing", id="no-exp"),
        pytest.param({"sub": ""}, "sub must be", id="empty-sub"),
        pytest.param({"exp": "later"}, "exp is not a number", id="exp-not-a-number"),
        pytest.param({"nbf": NOW + 60}, "not valid yet", id="not-before"),
        pytest.param({"roles": "platform_admin"}, "roles must be", id="roles-string"),
        pytest.param({"tenant": 7}, "tenant and iss", id="tenant-number"),
    ],
)
async def test_a_token_with_unusable_claims_is_refused(
    tmp_path: Path, changes: dict[str, object], reason: str
) -> None:
    check = verifier(tmp_path, RSA_JWK)
    with pytest.raises(TokenInvalid, match=reason):
        await check.verify(sign(RSA_KEY, "RS256", "rsa-1", **changes), now=NOW)


async def test_issuer_and_audience_are_required_when_configured(
    tmp_path: Path,
) -> None:
    check = verifier(tmp_path, RSA_JWK, issuer="agora", audience="agora-gateway")
    good = sign(RSA_KEY, "RS256", "rsa-1", aud="agora-gateway")
    assert (await check.verify(good, now=NOW)).user_id == "u1"
    for token, reason in [
        (
            sign(RSA_KEY, "RS256", "rsa-1", aud="agora-gateway", iss="evil"),
            "issuer not accepted",
        ),
        (sign(RSA_KEY, "RS256", "rsa-1", aud="another-api"), "audience not accepted"),
        (sign(RSA_KEY, "RS256", "rsa-1"), "a required claim is missing"),
    ]:
        with pytest.raises(TokenInvalid, match=reason):
            await check.verify(token, now=NOW)


@pytest.mark.parametrize("token", ["not.a.jwt", "", "a.b", "x" * 40])
async def test_garbage_is_refused(token: str) -> None:
    with pytest.raises(TokenInvalid, match="malformed"):
        await TokenVerifier(JwtConfig(secret=SECRET)).verify(token, now=NOW)


@pytest.mark.parametrize(
    ("config", "field"),
    [
        pytest.param({"algorithms": ("HS1",)}, "algorithms", id="unknown-algorithm"),
        pytest.param({"algorithms": ()}, "algorithms", id="no-algorithm"),
        pytest.param({"secret": ""}, "secret", id="empty-secret"),
        pytest.param({"jwks_url": "file:///etc/jwks"}, "jwks_url", id="url-scheme"),
        pytest.param({"jwks_ttl": 0}, "jwks_ttl", id="ttl"),
        pytest.param({"leeway": -1}, "leeway", id="leeway"),
    ],
)
def test_a_config_that_cannot_work_names_its_field(
    config: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValueError, match=field):
        JwtConfig(**config)


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("not-a-token", id="garbage"),
        pytest.param(
            jwt.encode({"sub": "u", "exp": NOW + 60}, "x" * 40, algorithm="HS256"),
            id="wrong-secret",
        ),
        pytest.param(jwt.encode({"exp": NOW + 60}, SECRET, "HS256"), id="no-sub"),
    ],
)
def test_refusals_are_in_our_words_not_the_jwt_librarys(token: str) -> None:
    # Issue 12, finding 9: the reason reaches clients and websocket close frames.
    with pytest.raises(TokenInvalid) as refused:
        verify_token(token, SECRET, now=NOW)
    assert "Error" not in refused.value.message
    assert refused.value.message.startswith("Token is invalid: ")
