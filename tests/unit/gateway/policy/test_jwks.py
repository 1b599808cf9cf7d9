"""JWKS keys from a real HTTP server: fetched once, refetched on an unknown `kid`
(rotation) at most once per interval, expired after their TTL, kept while the URL
is down."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.policy import JwtConfig, TokenInvalid, TokenVerifier
from gateway.policy.jwks import JwksCache, JwksInvalid, parse_jwks

if TYPE_CHECKING:
    import contextlib
    from collections.abc import Callable
    from pathlib import Path

    from starlette.requests import Request

    ServeApp = Callable[[Any], contextlib.AbstractAsyncContextManager[str]]

NOW = 1_800_000_000
KEYS = {
    f"rsa-{n}": rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for n in (1, 2)
}
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def public_jwk(kid: str) -> dict[str, object]:
    document: dict[str, object] = json.loads(
        jwt.algorithms.RSAAlgorithm.to_jwk(KEYS[kid].public_key())
    )
    return {**document, "kid": kid, "alg": "RS256", "use": "sig"}


def token(kid: str, key: Any = None) -> str:
    claims = {"sub": "u1", "type": "access", "exp": NOW + 60}
    signer = key if key is not None else KEYS[kid]
    return jwt.encode(claims, signer, algorithm="RS256", headers={"kid": kid})


@dataclass
class Issuer:
    """The identity provider's JWKS endpoint: which keys it publishes, how often
    it was asked, and (when `hold` is set) a request that does not answer."""

    kids: list[str] = field(default_factory=lambda: ["rsa-1"])
    requests: int = 0
    status: int = 200
    hold: asyncio.Event | None = None
    asked: asyncio.Event = field(default_factory=asyncio.Event)

    def app(self) -> Starlette:
        async def jwks(request: Request) -> Response:
            self.requests += 1
            self.asked.set()
            if self.hold is not None:
                await self.hold.wait()
            if self.status != 200:
                return Response("unavailable", status_code=self.status)
            return JSONResponse({"keys": [public_jwk(kid) for kid in self.kids]})

        return Starlette(routes=[Route("/.well-known/jwks.json", jwks)])


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def verifier_for(base_url: str, clock: Clock, **config: Any) -> TokenVerifier:
    url = f"{base_url}/.well-known/jwks.json"
    return TokenVerifier(JwtConfig(jwks_url=url, **config), clock=clock)


async def test_keys_are_fetched_once_and_served_from_memory(
    uvicorn_server: ServeApp,
) -> None:
    issuer, clock = Issuer(), Clock()
    async with uvicorn_server(issuer.app()) as base_url:
        check = verifier_for(base_url, clock)
        for _ in range(5):
            assert (await check.verify(token("rsa-1"), now=NOW)).user_id == "u1"
            clock.now += 10
    assert issuer.requests == 1


async def test_a_rotated_key_is_fetched_when_a_token_names_it(
    uvicorn_server: ServeApp,
) -> None:
    issuer, clock = Issuer(), Clock()
    async with uvicorn_server(issuer.app()) as base_url:
        check = verifier_for(base_url, clock, jwks_min_refetch_interval=30)
        await check.verify(token("rsa-1"), now=NOW)
        issuer.kids = ["rsa-1", "rsa-2"]
        clock.now += 31
        rotated = await check.verify(token("rsa-2"), now=NOW)
    assert rotated.user_id == "u1"
    assert issuer.requests == 2


async def test_unknown_kids_refetch_at_most_once_per_interval(
    uvicorn_server: ServeApp,
) -> None:
    issuer, clock = Issuer(), Clock()
    async with uvicorn_server(issuer.app()) as base_url:
        check = verifier_for(base_url, clock, jwks_min_refetch_interval=30)
        await check.verify(token("rsa-1"), now=NOW)
        clock.now += 40
        refused = 0
        for n in range(6):
            with pytest.raises(TokenInvalid) as caught:
                await check.verify(token(f"made-up-{n}", KEYS["rsa-2"]), now=NOW)
            assert caught.value.code == "UNAUTHENTICATED"
            refused += 1
            clock.now += 1
        after_burst = issuer.requests
        clock.now += 30
        with pytest.raises(TokenInvalid):
            await check.verify(token("made-up-7", KEYS["rsa-2"]), now=NOW)
    assert refused == 6
    assert after_burst == 2
    assert issuer.requests == 3


async def test_concurrent_unknown_kids_share_one_fetch(
    uvicorn_server: ServeApp,
) -> None:
    issuer, clock = Issuer(), Clock()
    async with uvicorn_server(issuer.app()) as base_url:
        check = verifier_for(base_url, clock)
        await check.verify(token("rsa-1"), now=NOW)
        issuer.kids = ["rsa-2"]
        issuer.hold = asyncio.Event()
        issuer.asked.clear()
        clock.now += 60
        verifications = [
            asyncio.create_task(check.verify(token("rsa-2"), now=NOW))
            for _ in range(20)
        ]
        # Every verification has started (and waits) before the one fetch arrives.
        await asyncio.wait_for(issuer.asked.wait(), 5)
        issuer.hold.set()
        identities = await asyncio.gather(*verifications)
    assert {identity.user_id for identity in identities} == {"u1"}
    assert issuer.requests == 2


async def test_keys_expire_after_their_ttl(uvicorn_server: ServeApp) -> None:
    issuer, clock = Issuer(), Clock()
    async with uvicorn_server(issuer.app()) as base_url:
        check = verifier_for(base_url, clock, jwks_ttl=300)
        await check.verify(token("rsa-1"), now=NOW)
        issuer.kids = ["rsa-2"]
        clock.now += 299
        still_trusted = await check.verify(token("rsa-1"), now=NOW)
        clock.now += 2
        with pytest.raises(TokenInvalid, match="no RS256 key 'rsa-1'"):
            await check.verify(token("rsa-1"), now=NOW)
    assert still_trusted.user_id == "u1"
    assert issuer.requests == 2


async def test_a_url_that_is_down_keeps_the_last_good_keys(
    uvicorn_server: ServeApp, caplog: pytest.LogCaptureFixture
) -> None:
    issuer, clock = Issuer(), Clock()
    async with uvicorn_server(issuer.app()) as base_url:
        check = verifier_for(base_url, clock, jwks_ttl=60)
        await check.verify(token("rsa-1"), now=NOW)
    # The server is gone: its port refuses connections.
    clock.now += 600
    kept = await check.verify(token("rsa-1"), now=NOW)
    clock.now += 600
    with pytest.raises(TokenInvalid) as unknown:
        await check.verify(token("rsa-2"), now=NOW)
    assert kept.user_id == "u1"
    assert unknown.value.code == "UNAUTHENTICATED"
    assert any("JWKS" in r.getMessage() for r in caplog.records)


async def test_an_error_status_or_a_non_jwks_body_keeps_the_last_good_keys(
    uvicorn_server: ServeApp,
) -> None:
    issuer, clock = Issuer(), Clock()
    async with uvicorn_server(issuer.app()) as base_url:
        check = verifier_for(base_url, clock, jwks_ttl=60)
        await check.verify(token("rsa-1"), now=NOW)
        issuer.status = 503
        clock.now += 61
        during_outage = await check.verify(token("rsa-1"), now=NOW)
    assert during_outage.user_id == "u1"
    assert issuer.requests == 2


async def test_a_url_that_never_answers_fails_within_the_timeout(
    uvicorn_server: ServeApp,
) -> None:
    hold = asyncio.Event()
    issuer, clock = Issuer(hold=hold), Clock()
    async with uvicorn_server(issuer.app()) as base_url:
        check = verifier_for(base_url, clock, jwks_timeout=0.2)
        try:
            async with asyncio.timeout(5):
                with pytest.raises(TokenInvalid, match="no RS256 key"):
                    await check.verify(token("rsa-1"), now=NOW)
        finally:
            hold.set()


async def test_a_jwks_file_is_read_and_reread_for_an_unknown_kid(
    tmp_path: Path,
) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [public_jwk("rsa-1")]}))
    clock = Clock()
    check = TokenVerifier(JwtConfig(jwks_file=path), clock=clock)
    assert await check.load_keys() == 1
    path.write_text(json.dumps({"keys": [public_jwk("rsa-1"), public_jwk("rsa-2")]}))
    clock.now += 31
    assert (await check.verify(token("rsa-2"), now=NOW)).user_id == "u1"


def test_parse_jwks_keeps_only_public_signing_keys() -> None:
    private = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEYS["rsa-1"]))
    ec_public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(EC_KEY.public_key()))
    document = {
        "keys": [
            public_jwk("rsa-1"),
            {**public_jwk("rsa-2"), "use": "enc"},
            {**private, "kid": "leaked"},
            {"kty": "oct", "kid": "hs", "k": "c2VjcmV0"},
            {**ec_public, "kid": "ec-1"},
            {**ec_public, "kid": "ec-bad-alg", "alg": "RS256"},
            {"kty": "RSA", "kid": "broken", "n": "AQAB"},
            {**public_jwk("rsa-2"), "kid": 7},
            "not-a-key",
        ]
    }
    keys = parse_jwks(document)
    assert [(key.kid, key.kty) for key in keys] == [("rsa-1", "RSA"), ("ec-1", "EC")]


@pytest.mark.parametrize("document", [[], {"keys": {}}, {"key": []}, "jwks"])
def test_parse_jwks_refuses_what_is_not_a_jwks(document: object) -> None:
    with pytest.raises(JwksInvalid):
        parse_jwks(document)


async def test_a_cache_with_no_reachable_source_holds_no_keys(tmp_path: Path) -> None:
    cache = JwksCache(file=tmp_path / "missing.json")
    assert await cache.load() == 0
    assert await cache.keys_for("RS256", "rsa-1") == ()
