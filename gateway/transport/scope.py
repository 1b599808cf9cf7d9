"""What one client request gives every subgraph fetch it makes: its deadline and
its idempotency key.

`run_request` sets `current_scope` around a plan's execution; the fetches (and
the tasks a plan's Parallel nodes start, which copy the context) read it in
`ResilientTransport`, which sends the time left as `x-agora-deadline-ms` and a
mutation's key as `Idempotency-Key`.

The key reaches only the subgraph fetches of root mutation fields (never a
query's, never an entity fetch after a mutation). With one root mutation field
in the operation the subgraph gets the key as the client sent it; with several
(or in a batch, where one key covers several operations) each fetch gets a key
derived from the client's, the batch position and the fetch's root response keys
(`derived_key`): the same request sent again derives the same keys, and no two
fields share one.
"""

from __future__ import annotations

import functools
import hashlib
from contextvars import ContextVar
from dataclasses import dataclass

from graphql import FieldNode, OperationDefinitionNode, parse

__all__ = [
    "DEADLINE_HEADER",
    "IDEMPOTENCY_KEY_HEADER",
    "MAX_IDEMPOTENCY_KEY_LENGTH",
    "RequestScope",
    "current_scope",
    "derived_key",
    "idempotency_key_problem",
    "root_response_keys",
]

DEADLINE_HEADER = "x-agora-deadline-ms"
IDEMPOTENCY_KEY_HEADER = "idempotency-key"
# The IETF draft's key is a short string; the subgraphs' kit refuses longer ones.
MAX_IDEMPOTENCY_KEY_LENGTH = 255


@dataclass(frozen=True, slots=True)
class RequestScope:
    """The client request behind the fetches running in this context."""

    # `time.monotonic()` when the client's request ends (None: no deadline).
    deadline: float | None = None
    idempotency_key: str | None = None
    # One key per fetch is derived (several root mutation fields, a batch item).
    derive_keys: bool = False
    # The operation's position in a batch ("" outside one).
    batch_position: str = ""

    def key_for(self, query: str) -> str | None:
        """The Idempotency-Key for the mutation fetch `query`, if any."""
        key = self.idempotency_key
        if key is None or not self.derive_keys:
            return key
        return derived_key(key, self.batch_position, root_response_keys(query))


current_scope: ContextVar[RequestScope | None] = ContextVar(
    "agora_request_scope", default=None
)


def derived_key(key: str, batch_position: str, response_keys: tuple[str, ...]) -> str:
    """A fetch's key: hex SHA-256 of the client's key, the batch position and the
    fetch's root response keys (64 characters, whatever the client's key)."""
    material = "\n".join((key, batch_position, ",".join(response_keys)))
    return hashlib.sha256(material.encode()).hexdigest()


def idempotency_key_problem(key: str) -> str | None:
    """Why `key` cannot be an idempotency key, or None when it can."""
    if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        return f"longer than {MAX_IDEMPOTENCY_KEY_LENGTH} characters"
    if any(not " " <= char <= "~" for char in key):
        return "only printable ASCII characters are allowed"
    return None


@functools.lru_cache(maxsize=512)
def root_response_keys(query: str) -> tuple[str, ...]:
    """The response keys of the root fields of a subgraph operation's first
    operation (aliases win; `__typename` and the like left out)."""
    try:
        document = parse(query, no_location=True)
    except Exception:  # noqa: BLE001 - the planner wrote it; a bad one has no keys
        return ()
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            return tuple(
                (selection.alias or selection.name).value
                for selection in definition.selection_set.selections
                if isinstance(selection, FieldNode)
                and not selection.name.value.startswith("__")
            )
    return ()
