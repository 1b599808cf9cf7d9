"""Who sends a request: the verified user (if any), the client, the address.

Resolved once per HTTP request, and once per websocket at `connection_init` (again
when the client refreshes its token). The client is recognised by its API key
(`x-api-key`, compared by SHA-256 with the configured digests); a request without one
is the default client, with the gateway's own limits and switches.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..config import ConfigError, RateLimitsConfig, SafelistMode
from ..errors import PolicyRefused
from ..persisted import ManifestError, TrustedDocuments
from ..policy import bearer_token, sign_identity
from .refusal import Refusal

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from ..config import ClientConfig, GatewayConfig
    from ..policy import Identity, OperationLimits, TokenVerifier

__all__ = [
    "API_KEY_HEADER",
    "CLIENT_NAME_HEADER",
    "Caller",
    "ClientPolicy",
    "Clients",
    "identify",
]

API_KEY_HEADER = "x-api-key"
CLIENT_NAME_HEADER = "apollographql-client-name"
UNAUTHENTICATED = "UNAUTHENTICATED"


@dataclass(frozen=True, slots=True)
class ClientPolicy:
    """What one client may do: its limits and switches, defaults applied."""

    name: str
    limits: OperationLimits
    introspection: bool
    field_suggestions: bool
    explain: bool
    # Its trusted documents; with free_form False it may run nothing else.
    trusted: TrustedDocuments | None = None
    free_form: bool = True
    safelist_mode: SafelistMode = SafelistMode.ENFORCE
    rate_limits: RateLimitsConfig = field(default_factory=RateLimitsConfig)
    max_batch: int = 10


class Clients:
    """The configured clients by API key digest or name, and the default client.

    Raises ConfigError when a client's manifest cannot be loaded."""

    def __init__(self, config: GatewayConfig) -> None:
        self.default = ClientPolicy(
            name="",
            limits=config.limits,
            introspection=config.switch("introspection"),
            field_suggestions=config.switch("field_suggestions"),
            explain=config.switch("explain"),
            rate_limits=config.rate_limits,
            max_batch=config.batching.max_size,
        )
        self._by_digest: dict[str, ClientPolicy] = {}
        self._by_name: dict[str, ClientPolicy] = {}
        for index, client in enumerate(config.clients):
            policy = self._policy(config, client, index)
            for digest in client.api_key_sha256:
                self._by_digest[digest] = policy
            if client.by_name:
                self._by_name[client.name] = policy

    def _policy(
        self, config: GatewayConfig, client: ClientConfig, index: int
    ) -> ClientPolicy:
        default = self.default
        try:
            trusted = TrustedDocuments.load(client.manifests)
        except ManifestError as error:
            raise ConfigError(f"clients[{index}].manifests: {error}") from None
        return ClientPolicy(
            name=client.name,
            limits=client.limits or config.limits,
            introspection=_either(client.introspection, default.introspection),
            field_suggestions=_either(
                client.field_suggestions, default.field_suggestions
            ),
            explain=_either(client.explain, default.explain),
            trusted=trusted if client.manifests else None,
            free_form=client.free_form,
            safelist_mode=client.safelist_mode,
            rate_limits=client.rate_limits or config.rate_limits,
            max_batch=client.max_batch or config.batching.max_size,
        )

    def resolve(
        self, api_key: str | None, client_name: str | None = None
    ) -> ClientPolicy | Refusal:
        """The client of `api_key` (an unknown key is refused, 401), else of
        `client_name` when one is configured by name, else the default client."""
        if api_key:
            digest = hashlib.sha256(api_key.encode()).hexdigest()
            policy = self._by_digest.get(digest)
            if policy is None:
                return Refusal.of("Unknown API key.", UNAUTHENTICATED, 401)
            return policy
        if client_name:
            return self._by_name.get(client_name, self.default)
        return self.default


@dataclass(frozen=True, slots=True)
class Caller:
    """The sender of a request, as every policy and every subgraph request sees it."""

    identity: Identity | None
    client: ClientPolicy
    address: str | None
    # Configured client headers copied to every subgraph request.
    forwarded: Mapping[str, str]

    def identity_headers(self, secret: str) -> dict[str, str]:
        """The signed identity headers for one subgraph request, signed now (so a
        long subscription's later fetches stay inside the subgraphs' replay window)."""
        return sign_identity(self.identity, self.address, secret, now=time.time())

    def signer(self, secret: str) -> Callable[[], dict[str, str]]:
        """`identity_headers` for every fetch of one request or stream, signed at
        most once a second (the timestamp's unit): the fetches of one request share
        one HMAC, and a long stream's later ones are still signed fresh."""
        signed: dict[int, dict[str, str]] = {}

        def sign() -> dict[str, str]:
            now = time.time()
            second = int(now)
            headers = signed.get(second)
            if headers is None:
                signed.clear()
                headers = signed[second] = sign_identity(
                    self.identity, self.address, secret, now=now
                )
            return headers

        return sign


async def identify(
    config: GatewayConfig,
    verifier: TokenVerifier,
    clients: Clients,
    headers: Mapping[str, str],
    peer: str | None,
    *,
    authorization: str | None = None,
    api_key: str | None = None,
) -> Caller | Refusal:
    """The caller behind a request's `headers` (lower-case names) and TCP `peer`.

    `authorization` / `api_key` override the headers' (a websocket's
    `connection_init` payload carries them). A token that is present but not valid is
    refused (401, UNAUTHENTICATED), as is an unknown API key: a client that sends
    credentials learns at once that they are wrong.
    """
    client = clients.resolve(
        api_key or headers.get(API_KEY_HEADER), headers.get(CLIENT_NAME_HEADER)
    )
    if isinstance(client, Refusal):
        return client
    identity = None
    value = authorization if authorization is not None else headers.get("authorization")
    if value:
        token = bearer_token(value)
        if token is None:
            return Refusal.of(
                "The Authorization header must be 'Bearer <token>'.",
                UNAUTHENTICATED,
                401,
            )
        try:
            identity = await verifier.verify(token)
        except PolicyRefused as refused:
            return Refusal.of(refused.message, refused.code, 401)
    return Caller(
        identity=identity,
        client=client,
        address=_address(config, headers, peer),
        forwarded=_forwarded(config, headers),
    )


def _either(value: bool | None, default: bool) -> bool:
    return default if value is None else value


def _address(
    config: GatewayConfig, headers: Mapping[str, str], peer: str | None
) -> str | None:
    forwarded_for = headers.get("x-forwarded-for")
    if not (config.trust_forwarded_for and forwarded_for):
        return peer
    # Each proxy appends the address it saw: entries left of the one our nearest
    # `proxy_hops` proxies wrote are the client's own words.
    entries = [entry.strip() for entry in forwarded_for.split(",")]
    hops = config.proxy_hops
    if hops < 1 or len(entries) < hops:
        return peer
    return entries[-hops] or peer


def _forwarded(config: GatewayConfig, headers: Mapping[str, str]) -> dict[str, str]:
    # x-agora-* carry the signed identity between gateway and subgraphs: never a
    # client's own.
    return {
        name: headers[name]
        for name in config.forward_headers
        if name in headers and not name.startswith("x-agora-")
    }
