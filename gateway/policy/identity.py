"""Signed identity: how the gateway tells a subgraph who calls (issue 10).

Every subgraph request carries these headers (an anonymous caller's too):

    x-agora-user-id          the token's `sub`; empty for an anonymous caller
    x-agora-tenant-id        the token's `tenant`; empty when it has none
    x-agora-roles            the roles, sorted, comma-separated
    x-agora-scopes           the scopes, sorted, comma-separated
    x-agora-client-address   the caller's address as the gateway saw it, or empty
    x-agora-timestamp        unix seconds when the headers were signed
    x-agora-signature        v1=<hex HMAC-SHA256(secret, canonical string)>

Each value (each role and scope on its own) is percent-encoded UTF-8 (RFC 3986
unreserved characters, `:` and `@` kept), so no value holds a comma or a line
break. The canonical string is `v1` and the six values in the order above, joined
by line feeds: every header is signed, none can be swapped or moved into another.
The subgraph (subgraphs/kit/context.py) recomputes it from the headers it got,
compares in constant time and accepts a timestamp within its replay window.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .tokens import Identity

__all__ = [
    "CLIENT_ADDRESS_HEADER",
    "IDENTITY_HEADERS",
    "ROLES_HEADER",
    "SCOPES_HEADER",
    "SIGNATURE_HEADER",
    "SIGNATURE_VERSION",
    "TENANT_ID_HEADER",
    "TIMESTAMP_HEADER",
    "USER_ID_HEADER",
    "sign_identity",
]

USER_ID_HEADER = "x-agora-user-id"
TENANT_ID_HEADER = "x-agora-tenant-id"
ROLES_HEADER = "x-agora-roles"
SCOPES_HEADER = "x-agora-scopes"
CLIENT_ADDRESS_HEADER = "x-agora-client-address"
TIMESTAMP_HEADER = "x-agora-timestamp"
SIGNATURE_HEADER = "x-agora-signature"
SIGNATURE_VERSION = "v1"
# The headers sign_identity owns, in canonical order: the gateway drops any a
# client sends and sends its own.
IDENTITY_HEADERS = (
    USER_ID_HEADER,
    TENANT_ID_HEADER,
    ROLES_HEADER,
    SCOPES_HEADER,
    CLIENT_ADDRESS_HEADER,
    TIMESTAMP_HEADER,
    SIGNATURE_HEADER,
)

_PLAIN = re.compile(r"[A-Za-z0-9_.~:@-]*").fullmatch


def _encode(value: str | None) -> str:
    if not value:
        return ""
    # Most values (ids, role names, addresses) need no escaping: skip quote().
    return value if _PLAIN(value) else quote(value, safe=":@")


def _encode_all(values: Iterable[str]) -> str:
    return ",".join(_encode(value) for value in sorted(values))


def sign_identity(
    identity: Identity | None,
    client_address: str | None,
    secret: bytes | str,
    *,
    now: float,
) -> dict[str, str]:
    """The signed identity headers of one subgraph request, signed at `now`.

    `identity` None is an anonymous caller (empty user, tenant, roles, scopes);
    `client_address` None or empty is an unknown address. Call it when the request
    is sent (each fetch, each subscription opened), so the timestamp is fresh.
    """
    key = secret.encode() if isinstance(secret, str) else secret
    if identity is None:
        user = tenant = roles = scopes = ""
    else:
        user = _encode(identity.user_id)
        tenant = _encode(identity.tenant_id)
        roles = _encode_all(identity.roles)
        scopes = _encode_all(identity.scopes)
    values = (user, tenant, roles, scopes, _encode(client_address), str(int(now)))
    canonical = "\n".join((SIGNATURE_VERSION, *values)).encode()
    signature = hmac.new(key, canonical, hashlib.sha256).hexdigest()
    headers = dict(zip(IDENTITY_HEADERS, values, strict=False))
    headers[SIGNATURE_HEADER] = f"{SIGNATURE_VERSION}={signature}"
    return headers
