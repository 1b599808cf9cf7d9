"""Which document a request runs: its text, an APQ hash, or a trusted document id.

Automatic persisted queries (Apollo's protocol) for clients that may send free-form
operations; trusted documents for clients bound to manifests, which may run nothing
else (PERSISTED_QUERY_NOT_IN_LIST, before anything is parsed), or only be logged
while a safelist is rolled out.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import TYPE_CHECKING

from ..config import SafelistMode
from ..persisted import sha256_of
from .refusal import BAD_REQUEST, Refusal

if TYPE_CHECKING:
    from ..persisted import ApqStore
    from .caller import ClientPolicy
    from .params import GraphQLRequestData

__all__ = [
    "PERSISTED_QUERY_HASH_MISMATCH",
    "PERSISTED_QUERY_NOT_FOUND",
    "PERSISTED_QUERY_NOT_IN_LIST",
    "PERSISTED_QUERY_NOT_SUPPORTED",
    "resolve_document",
]

logger = logging.getLogger("agora.gateway")

PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
PERSISTED_QUERY_HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
PERSISTED_QUERY_NOT_IN_LIST = "PERSISTED_QUERY_NOT_IN_LIST"
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


async def resolve_document(
    data: GraphQLRequestData, client: ClientPolicy, store: ApqStore | None
) -> GraphQLRequestData | Refusal:
    """`data` with the text of the document it names (`query` filled in), or the
    refusal: a hash or id nobody registered, a hash that is not the text's, or a
    document outside a safelisted client's manifests."""
    if data.document_id is not None:
        return _by_id(data, client)
    persisted = (data.extensions or {}).get("persistedQuery")
    if persisted is not None:
        return await _by_hash(data, client, store, persisted)
    if not data.query:
        return Refusal.of("The request has no 'query' string.", BAD_REQUEST)
    if _restricted(client) and (
        client.trusted is None or client.trusted.by_hash(sha256_of(data.query)) is None
    ):
        return _not_in_list(data, client, "its text")
    return data


def _restricted(client: ClientPolicy) -> bool:
    return not client.free_form


def _by_id(
    data: GraphQLRequestData, client: ClientPolicy
) -> GraphQLRequestData | Refusal:
    document_id = data.document_id
    assert document_id is not None, "checked by the caller"
    found = client.trusted.find(document_id) if client.trusted else None
    if found is not None:
        return dataclasses.replace(data, query=found.body)
    if _restricted(client):
        refused = _not_in_list(data, client, f"id {document_id!r}")
        if isinstance(refused, Refusal):
            return refused
    # An id names no text to fall back on: unknown is unknown, safelist or not.
    return Refusal.of(
        "No trusted document has this id.",
        PERSISTED_QUERY_NOT_FOUND,
        http_level=False,
    )


async def _by_hash(
    data: GraphQLRequestData,
    client: ClientPolicy,
    store: ApqStore | None,
    persisted: object,
) -> GraphQLRequestData | Refusal:
    if (
        not isinstance(persisted, dict)
        or persisted.get("version") != 1
        or not isinstance(persisted.get("sha256Hash"), str)
        or not _SHA256.fullmatch(persisted["sha256Hash"])
    ):
        return Refusal.of(
            "Unsupported persisted query: expected version 1 and a sha256Hash.",
            PERSISTED_QUERY_NOT_SUPPORTED,
        )
    digest = persisted["sha256Hash"].lower()
    trusted = client.trusted.by_hash(digest) if client.trusted else None
    if data.query:
        if sha256_of(data.query) != digest:
            return Refusal.of(
                "The sha256Hash is not the SHA-256 of the query.",
                PERSISTED_QUERY_HASH_MISMATCH,
            )
        if trusted is None and _restricted(client):
            return _not_in_list(data, client, f"hash {digest}")
        if store is not None and trusted is None:
            await store.put(digest, data.query)
        return data
    if trusted is not None:
        return dataclasses.replace(data, query=trusted.body)
    if _restricted(client):
        refused = _not_in_list(data, client, f"hash {digest}")
        if isinstance(refused, Refusal):
            return refused
    if store is None:
        return Refusal.of(
            "Automatic persisted queries are not supported.",
            PERSISTED_QUERY_NOT_SUPPORTED,
            http_level=False,
        )
    document = await store.get(digest)
    if document is None:
        # Apollo's clients read the message as well as the code, then retry with
        # the document.
        return Refusal.of(
            "PersistedQueryNotFound", PERSISTED_QUERY_NOT_FOUND, http_level=False
        )
    return dataclasses.replace(data, query=document)


def _not_in_list(
    data: GraphQLRequestData, client: ClientPolicy, what: str
) -> GraphQLRequestData | Refusal:
    if client.safelist_mode is SafelistMode.LOG:
        logger.warning(
            "client %s sent an operation outside its trusted documents (%s, "
            "operation %s): allowed by safelist_mode log",
            client.name,
            what,
            data.operation_name or "(anonymous)",
        )
        return data
    return Refusal.of(
        "This operation is not in the client's trusted documents.",
        PERSISTED_QUERY_NOT_IN_LIST,
        http_level=False,
    )
