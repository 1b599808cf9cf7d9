"""Forged and misused access tokens: `alg: none`, the wrong key (the repository's
development secret among them), HS/RS confusion against a gateway that verifies
RS256 from a JWKS served over HTTP, keys smuggled in the token's header, expired,
refresh and malformed tokens. Each is refused as UNAUTHENTICATED on every transport
(401 over HTTP and SSE, 4403 at a websocket's connection_init) before any subgraph
sees a request."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import TYPE_CHECKING, Any

import jwt
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.config import DEV_JWT_SECRET

from ._clients import EVERY, Via, ask, unauthenticated
from .conftest import ADMIN_USER, DEMO_USER, JWT_SECRET, mint, open_gateway, serve

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.requests import Request

    from .conftest import Gateway, Graph, RequestLog

pytestmark = pytest.mark.asyncio(loop_scope="module")

ME = "{ me { id email } }"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ATTACKER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
KID = "agora-signing-1"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "sub": ADMIN_USER,
        "tenant": None,
        "roles": ["platform_admin"],
        "scopes": [],
        "type": "access",
        "iat": now,
        "exp": now + 600,
        "iss": "agora",
    }
    base.update(changes)
    return base


def unsigned(
    header: dict[str, Any], body: dict[str, Any], signature: bytes = b""
) -> str:
    parts = (json.dumps(header).encode(), json.dumps(body).encode(), signature)
    return ".".join(b64(part) for part in parts)


def hmac_with(key: bytes, header: dict[str, Any]) -> str:
    """An HS256 token keyed with any bytes (pyjwt refuses PEM keys as HMAC keys)."""
    signing_input = (
        f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims()).encode())}"
    )
    mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())
    )
    document.update(kid=kid, use="sig", alg="RS256")
    return document


PUBLIC_PEM = RSA_KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def jwks_url() -> AsyncIterator[str]:
    """The issuer's JWKS, served over HTTP."""

    async def keys(request: Request) -> JSONResponse:
        return JSONResponse({"keys": [public_jwk(RSA_KEY, KID)]})

    app = Starlette(routes=[Route("/.well-known/jwks.json", keys)])
    async with serve(app) as url:
        yield url + "/.well-known/jwks.json"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def jwks_gateway(graph: Graph, jwks_url: str) -> AsyncIterator[Gateway]:
    """Verifies RS256 tokens by the JWKS, and HS256 by its secret as well."""
    async with open_gateway(graph, {"auth": {"jwks_url": jwks_url}}) as opened:
        yield opened


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def jwks_gateways(
    jwks_gateway: Gateway, graph: Graph, jwks_url: str
) -> AsyncIterator[dict[str, Gateway]]:
    """The JWKS gateway, and one that has no HMAC secret at all."""
    values = {"auth": {"jwks_url": jwks_url, "jwt_secret": None}}
    async with open_gateway(graph, values) as jwks_only:
        yield {"with-hs256-secret": jwks_gateway, "jwks-only": jwks_only}


async def assert_refused(
    gateway: Gateway, log: RequestLog, via: Via, token: str
) -> None:
    answer = await ask(gateway, via, ME, token=token)
    unauthenticated(answer)
    assert not log


@pytest.mark.parametrize("via", EVERY)
@pytest.mark.parametrize("algorithm", ["none", "None", "NONE", "nOnE"])
async def test_an_unsigned_alg_none_token_is_refused(
    gateway: Gateway, log: RequestLog, via: Via, algorithm: str
) -> None:
    token = unsigned({"alg": algorithm, "typ": "JWT"}, claims())
    await assert_refused(gateway, log, via, token)


@pytest.mark.parametrize("via", EVERY)
async def test_an_hs256_token_with_its_signature_stripped_is_refused(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    genuine = mint(ADMIN_USER, tenant=None, roles=("platform_admin",))
    header, body, _ = genuine.split(".")
    await assert_refused(gateway, log, via, f"{header}.{body}.")


@pytest.mark.parametrize("via", EVERY)
async def test_a_token_signed_with_the_repository_development_secret_is_refused(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    # The platform_admin token: the development secret is public.
    token = mint(
        ADMIN_USER, tenant=None, roles=("platform_admin",), secret=DEV_JWT_SECRET
    )
    await assert_refused(gateway, log, via, token)


@pytest.mark.parametrize("via", EVERY)
async def test_a_token_signed_with_a_guessed_secret_is_refused(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    token = mint(
        ADMIN_USER, tenant=None, roles=("platform_admin",), secret="secret" * 8
    )
    await assert_refused(gateway, log, via, token)


@pytest.mark.parametrize("via", EVERY)
async def test_a_token_whose_claims_were_edited_after_signing_is_refused(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    header, _, signature = mint().split(".")
    body = b64(json.dumps(claims()).encode())  # the member's token made admin
    await assert_refused(gateway, log, via, f"{header}.{body}.{signature}")


@pytest.mark.parametrize("via", EVERY)
@pytest.mark.parametrize("which", ["with-hs256-secret", "jwks-only"])
async def test_an_hs256_token_keyed_with_the_issuer_rsa_public_key_is_refused(
    jwks_gateways: dict[str, Gateway], log: RequestLog, via: Via, which: str
) -> None:
    gateway = jwks_gateways[which]
    # Control: the issuer's own RS256 token verifies on this gateway.
    genuine = jwt.encode(
        claims(sub=DEMO_USER), RSA_KEY, algorithm="RS256", headers={"kid": KID}
    )
    served = await ask(gateway, via, "{ me { id } }", token=genuine)
    assert served.body == {"data": {"me": {"id": DEMO_USER}}}, served
    log.clear()

    for key in (PUBLIC_PEM, json.dumps(public_jwk(RSA_KEY, KID)).encode()):
        token = hmac_with(key, {"alg": "HS256", "typ": "JWT", "kid": KID})
        await assert_refused(gateway, log, via, token)


@pytest.mark.parametrize("via", EVERY)
async def test_an_rs256_token_signed_by_another_key_under_the_issuer_kid_is_refused(
    jwks_gateway: Gateway, log: RequestLog, via: Via
) -> None:
    token = jwt.encode(claims(), ATTACKER_KEY, algorithm="RS256", headers={"kid": KID})
    await assert_refused(jwks_gateway, log, via, token)


@pytest.mark.parametrize("via", EVERY)
@pytest.mark.parametrize(
    "smuggled",
    [
        pytest.param(lambda: {"jwk": public_jwk(ATTACKER_KEY, "mine")}, id="jwk"),
        pytest.param(
            lambda: {"jku": "http://127.0.0.1:9/jwks.json", "kid": "mine"}, id="jku"
        ),
        pytest.param(
            lambda: {"x5u": "http://127.0.0.1:9/cert.pem", "kid": "mine"}, id="x5u"
        ),
        pytest.param(lambda: {"kid": "../../../../dev/null"}, id="kid-path"),
        pytest.param(lambda: {"kid": "' OR '1'='1"}, id="kid-sql"),
    ],
)
async def test_an_rs256_token_carrying_its_own_key_is_refused(
    jwks_gateway: Gateway, log: RequestLog, via: Via, smuggled: Any
) -> None:
    token = jwt.encode(claims(), ATTACKER_KEY, algorithm="RS256", headers=smuggled())
    await assert_refused(jwks_gateway, log, via, token)


@pytest.mark.parametrize("via", EVERY)
async def test_an_expired_token_is_refused(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    await assert_refused(gateway, log, via, mint(expires_in=-5))


@pytest.mark.parametrize("via", EVERY)
async def test_a_token_not_valid_yet_is_refused(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    await assert_refused(gateway, log, via, mint(nbf=int(time.time()) + 3600))


@pytest.mark.parametrize("via", EVERY)
async def test_a_refresh_token_used_as_an_access_token_is_refused(
    gateway: Gateway, log: RequestLog, via: Via
) -> None:
    await assert_refused(gateway, log, via, mint(type="refresh", expires_in=30 * 86400))


@pytest.mark.parametrize("via", EVERY)
@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"exp": None}, id="no-exp"),
        pytest.param({"sub": None}, id="no-sub"),
        pytest.param({"sub": ""}, id="empty-sub"),
        pytest.param({"sub": 101}, id="number-sub"),
        pytest.param({"roles": "platform_admin"}, id="roles-string"),
        pytest.param({"exp": "never"}, id="exp-string"),
        pytest.param({"tenant": ["a", "b"]}, id="tenant-list"),
    ],
)
async def test_a_token_with_unusable_claims_is_refused(
    gateway: Gateway, log: RequestLog, via: Via, changes: dict[str, Any]
) -> None:
    body = {key: value for key, value in claims(**changes).items() if value is not None}
    token = jwt.encode(body, JWT_SECRET, algorithm="HS256")
    await assert_refused(gateway, log, via, token)


@pytest.mark.parametrize("via", EVERY)
@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "a.b.c",
        "....",
        "e30.e30.e30",
        "x" * 8000,
        "\u00e9\u00e9.\u00e9.\u00e9",
    ],
    ids=["word", "three-parts", "dots", "empty-objects", "8000-chars", "non-ascii"],
)
async def test_a_garbage_token_is_refused(
    gateway: Gateway, log: RequestLog, via: Via, token: str
) -> None:
    if token.isascii() or via in (Via.WS, Via.LEGACY):
        answer = await ask(gateway, via, ME, token=token)
    else:
        # An HTTP header carries bytes: the token's UTF-8, as a client could send it.
        raw = {"authorization": f"Bearer {token}".encode()}
        answer = await ask(gateway, via, ME, headers=raw)

    unauthenticated(answer)
    assert not log


@pytest.mark.parametrize("via", EVERY)
@pytest.mark.parametrize(
    "authorization",
    ["Basic YWRtaW46YWRtaW4=", "Bearer", "Token abc", "bearer", "Bearer a b"],
)
async def test_an_authorization_that_is_not_a_bearer_token_is_refused(
    gateway: Gateway, log: RequestLog, via: Via, authorization: str
) -> None:
    if via in (Via.WS, Via.LEGACY):
        answer = await ask(gateway, via, ME, init={"Authorization": authorization})
    else:
        answer = await ask(gateway, via, ME, headers={"authorization": authorization})

    unauthenticated(answer)
    assert not log
