"""Mutations safe to retry: one transaction per root field, a deadline, keys.

Each root mutation field of a subgraph on PostgreSQL (and each one with an
idempotency key, on SQLite too) runs in one transaction on the subgraph's
connection, opened by `IdempotentMutations` (a schema extension the app factory
adds) around its resolver; the resolver's own `in_transaction` is a savepoint
inside it, and what it publishes waits for the commit (subgraphs.kit.after_commit).
The fields below it (relations, loaders) resolve after the commit. Before running
the resolver, and again before committing, the kit checks that the caller still
waits: past the request's
deadline (the gateway's `x-agora-deadline-ms`), or once the gateway has closed the
connection, the transaction is rolled back and the field fails with
DEADLINE_EXCEEDED, so a request the gateway abandoned (a subgraph stopped, a
timeout) is not committed later; once the COMMIT is sent the deadline's
cancellation waits for its answer (a COMMIT cancelled half-way has an unknown
outcome). A resolver that raises one of our errors
(AgoraGraphQLError) keeps what it wrote on purpose (a revoked session); any other
exception rolls the whole field back.

A field with an idempotency key (the `Idempotency-Key` header, which the gateway
sends with each mutation fetch, or the argument the field names with
`key_argument`, as chat's `sendMessage(input: {clientId})`) is recorded in that
same transaction: a hash of the key with the caller and the field's response key,
the field, a fingerprint of the request (an HMAC under the key of the field's name
and argument values) and the value the resolver returned. A retry with the same
key and request returns that value again (its relations resolved afresh, the
selection may differ) without running the resolver; the key with another request
is refused (IDEMPOTENCY_KEY_REUSED). Two at once: PostgreSQL makes the
second insert of the key wait for the first transaction, whose value it then
returns. Only a success is recorded: a request refused with an error stores no
record, so its retry is judged again. The value is encrypted with a key derived
from the client's idempotency key, which the table does not hold: the table alone
gives away neither the tokens `login` returned nor a message's text. Records are
kept `Settings.idempotency_ttl` seconds (AGORA_IDEMPOTENCY_TTL, 24 h).

A field's transaction holds one of the pool's connections (five by default) for as
long as its resolver runs. Slow work that needs no transaction (an argon2 hash or
verification: ~0.35 s of CPU each) goes in a `prepared_by` function, which runs
before the transaction opens and hands its result to the resolver (`prepared`):
otherwise five logins at once would hold every connection, and every other
request of the subgraph (the gateway's entity lookups) would wait for them. It
runs again on a retry with a key; it must not write to the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import inspect
import logging
import random
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from graphql import OperationType, value_from_ast_untyped
from strawberry.extensions import SchemaExtension
from tortoise.connection import get_connections
from tortoise.exceptions import ConfigurationError

from subgraphs.kit._snapshot import freeze, thaw
from subgraphs.kit.after_commit import HeldActions, holding_actions
from subgraphs.kit.context import RequestContext
from subgraphs.kit.errors import (
    AgoraGraphQLError,
    BadUserInput,
    IdempotencyKeyReused,
    OutcomeUnknown,
)
from subgraphs.kit.faults import translate_fault

if TYPE_CHECKING:
    from graphql import GraphQLResolveInfo
    from tortoise.backends.base.client import BaseDBAsyncClient, TransactionContext

__all__ = [
    "DEADLINE_EXCEEDED",
    "KEY_ARGUMENT",
    "MAX_KEY_LENGTH",
    "TABLE",
    "DeadlineExceeded",
    "IdempotentMutations",
    "create_idempotency_table",
    "key_argument",
    "prepared",
    "prepared_by",
    "purge_expired",
]

logger = logging.getLogger("agora.subgraphs")

TABLE = "agora_idempotency"
# Strawberry field metadata naming the argument that carries the key.
KEY_ARGUMENT = "agora.idempotency_key"
# Strawberry field metadata: the work a root mutation field does before its
# transaction (module docstring).
PREPARE = "agora.prepare"
MAX_KEY_LENGTH = 255
DEADLINE_EXCEEDED = "DEADLINE_EXCEEDED"
_HEX = re.compile(r"[0-9a-f]{64}")
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
# One claim in this many also deletes the expired records (after the commit).
_PURGE_EVERY = 100

_CREATE = {
    "postgres": f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    key_hash VARCHAR(64) PRIMARY KEY,
    caller VARCHAR(255) NOT NULL,
    operation VARCHAR(255) NOT NULL,
    fingerprint VARCHAR(64) NOT NULL,
    response TEXT,
    created_at DOUBLE PRECISION NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS {TABLE}_expires ON {TABLE} (expires_at);
""",
    "sqlite": f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    key_hash VARCHAR(64) PRIMARY KEY,
    caller VARCHAR(255) NOT NULL,
    operation VARCHAR(255) NOT NULL,
    fingerprint VARCHAR(64) NOT NULL,
    response TEXT,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS {TABLE}_expires ON {TABLE} (expires_at);
""",
}


Prepare = Callable[[RequestContext, Mapping[str, Any]], Awaitable[Any]]


def prepared_by(prepare: Prepare) -> dict[str, Prepare]:
    """Strawberry field `metadata`: `prepare(context, arguments)` (the field's
    arguments by their GraphQL names) runs before the field's transaction opens;
    the resolver takes its result with `prepared` (module docstring)."""
    return {PREPARE: prepare}


async def prepared(
    context: RequestContext,
    response_key: str | int,
    prepare: Prepare,
    arguments: Mapping[str, Any],
) -> Any:
    """What `prepare` gave for this field before its transaction, or, for a field
    run without one (no database open, not a root mutation field), `prepare` run
    now."""
    key = str(response_key)
    if key in context.prepared:
        return context.prepared.pop(key)
    return await prepare(context, arguments)


def key_argument(*path: str) -> dict[str, tuple[str, ...]]:
    """Strawberry field `metadata` naming the argument (and the path into it, in
    GraphQL names) that carries the mutation's idempotency key, for clients that
    cannot set headers: `metadata=key_argument("input", "clientId")`."""
    return {KEY_ARGUMENT: path}


async def create_idempotency_table(connection: BaseDBAsyncClient) -> None:
    """Create the records table on `connection` unless it exists (at start-up)."""
    dialect = connection.capabilities.dialect
    await connection.execute_script(_CREATE.get(dialect, _CREATE["sqlite"]))


def _sql(dialect: str, text: str) -> str:
    """`text` with its `?` placeholders in `dialect`'s style ($1... for asyncpg)."""
    if dialect != "postgres":
        return text
    parts = text.split("?")
    return "".join(
        part + (f"${index}" if index < len(parts) else "")
        for index, part in enumerate(parts, start=1)
    )


@dataclass(frozen=True, slots=True)
class _Key:
    """What is known of a request's key: never the key itself, stored."""

    key_hash: str
    caller: str
    operation: str
    fingerprint: str
    # AES-GCM key of the stored response, derived from the client's key.
    cipher_key: bytes

    @classmethod
    def of(cls, key: str, caller: str, operation: str, request: bytes) -> _Key:
        """`operation` is the root field's response key: one record per field."""
        secret = key.encode()
        scope = f"{caller}\n{operation}".encode()
        return cls(
            key_hash=hashlib.sha256(scope + b"\n" + secret).hexdigest(),
            caller=caller[:255],
            operation=operation[:255],
            fingerprint=hmac.new(secret, request, hashlib.sha256).hexdigest(),
            cipher_key=hmac.new(
                secret, b"agora-idempotency-response\n" + caller.encode(), "sha256"
            ).digest(),
        )

    def seal(self, response: Mapping[str, Any]) -> str:
        nonce = secrets.token_bytes(12)
        sealed = AESGCM(self.cipher_key).encrypt(nonce, orjson.dumps(response), None)
        return base64.b64encode(nonce + sealed).decode()

    def open(self, stored: str) -> dict[str, Any] | None:
        raw = base64.b64decode(stored)
        try:
            plain = AESGCM(self.cipher_key).decrypt(raw[:12], raw[12:], None)
        except InvalidTag:
            return None
        response: dict[str, Any] = orjson.loads(plain)
        return response


class _Reused(Exception):
    """The key's record holds another request."""


class _Rollback(Exception):
    """Leave the transaction without committing it."""


class _Store:
    """The records table, on the mutation's transaction connection."""

    def __init__(self, connection: BaseDBAsyncClient) -> None:
        self.connection = connection
        self.dialect = connection.capabilities.dialect

    async def claim(self, key: _Key, ttl: float) -> dict[str, Any] | None:
        """Claim `key` for this request: None when it is new (the record is now
        this transaction's), else the response stored for the same request.
        Raises _Reused for another request under the key."""
        now = time.time()
        # One statement: a new key is inserted, an expired record of the key is
        # taken over as if new (a live one is left alone: then it is read below).
        # RETURNING: Tortoise counts an INSERT's rows wrong on asyncpg (its OID).
        inserted = await self.connection.execute_query_dict(
            _sql(
                self.dialect,
                f"INSERT INTO {TABLE} (key_hash, caller, operation, fingerprint, "
                "response, created_at, expires_at) VALUES (?, ?, ?, ?, NULL, ?, ?) "
                "ON CONFLICT (key_hash) DO UPDATE SET caller = excluded.caller, "
                "operation = excluded.operation, "
                "fingerprint = excluded.fingerprint, response = NULL, "
                "created_at = excluded.created_at, expires_at = excluded.expires_at "
                f"WHERE {TABLE}.expires_at < excluded.created_at "
                "RETURNING key_hash",
            ),
            [key.key_hash, key.caller, key.operation, key.fingerprint, now, now + ttl],
        )
        if inserted:
            return None
        rows = await self.connection.execute_query_dict(
            _sql(
                self.dialect,
                f"SELECT fingerprint, response FROM {TABLE} WHERE key_hash = ?",
            ),
            [key.key_hash],
        )
        if not rows or rows[0]["fingerprint"] != key.fingerprint:
            raise _Reused
        stored = rows[0]["response"]
        response = key.open(stored) if stored else None
        if response is None:
            raise _Reused
        return response

    async def record(self, key: _Key, response: Mapping[str, Any]) -> None:
        """Keep `response` in the key's record (claimed by this transaction)."""
        sealed = key.seal(response)
        if self.dialect == "postgres":
            # RESET ROLE and the UPDATE in one round trip (a script cannot take
            # parameters; both values are checked to be hex and base64, which
            # hold no quote).
            if not (_HEX.fullmatch(key.key_hash) and _BASE64.fullmatch(sealed)):
                raise ValueError("an idempotency record that is not hex and base64")
            await self.connection.execute_script(
                f"RESET ROLE; UPDATE {TABLE} SET response = '{sealed}' "
                f"WHERE key_hash = '{key.key_hash}'"
            )
            return
        await self.connection.execute_query(
            _sql(self.dialect, f"UPDATE {TABLE} SET response = ? WHERE key_hash = ?"),
            [sealed, key.key_hash],
        )

    async def forget(self, key: _Key) -> None:
        """Give the key back (the request was refused: its retry is judged again)."""
        await self._as_owner()
        await self.connection.execute_query(
            _sql(self.dialect, f"DELETE FROM {TABLE} WHERE key_hash = ?"),
            [key.key_hash],
        )

    async def _as_owner(self) -> None:
        if self.dialect == "postgres":
            # A resolver may have taken a row-level-security role for the rest of
            # the transaction (inventory); the records belong to the subgraph.
            await self.connection.execute_script("RESET ROLE")


async def purge_expired(connection_name: str) -> None:
    """Delete the records past their expiry (outside any request's transaction)."""
    connection = get_connections().get(connection_name)
    dialect = connection.capabilities.dialect
    await connection.execute_query(
        _sql(dialect, f"DELETE FROM {TABLE} WHERE expires_at < ?"), [time.time()]
    )


class DeadlineExceeded(AgoraGraphQLError):
    """The caller stopped waiting before the write was committed: rolled back."""

    code = DEADLINE_EXCEEDED

    def __init__(self, why: str) -> None:
        super().__init__(
            f"The caller stopped waiting ({why}) before the write was committed; "
            "nothing was stored.",
            extensions={"retryable": True},
        )


def _transaction(name: str, *, keyed: bool) -> TransactionContext | None:
    """A transaction on connection `name`, or None when the field runs without
    one: its database is not open (an app run without it, in a unit test), or it
    is SQLite and the request has no key. SQLite is the embedded mode: one
    process, where the gateway's timeout cancels the resolver itself, and where a
    transaction holds the whole database, so only a key's record is worth one."""
    try:
        connection = get_connections().get(name)
    except (ConfigurationError, KeyError):
        return None
    if not keyed and connection.capabilities.dialect == "sqlite":
        return None
    return connection._in_transaction()


async def _leave(transaction: TransactionContext, exc: BaseException) -> None:
    """Roll the transaction back (a failing rollback is logged, not raised)."""
    try:
        await transaction.__aexit__(type(exc), exc, exc.__traceback__)
    except Exception:
        logger.warning("rolling a mutation back failed", exc_info=True)


async def _abandoned(context: RequestContext) -> str | None:
    """Why the caller no longer waits for this request, or None."""
    if context.deadline is not None and time.monotonic() >= context.deadline:
        return "its deadline passed"
    request = context.request
    if (
        request is not None
        and request.scope.get("type") == "http"
        and await _disconnected(request)
    ):
        return "it closed the connection"
    return None


async def _disconnected(request: Any) -> bool:
    """Starlette's `Request.is_disconnected()` without its anyio cancel scope,
    whose cancellation goes through the event loop (about a tenth of a small
    mutation's CPU, asked twice a mutation; issue 14): the ASGI `receive()` runs
    up to its first suspension; a message there at once is read as Starlette
    reads it (a disconnect, or a body part nobody waits for any more), and a
    suspension means the client still waits: it is closed, as the cancel would."""
    if getattr(request, "_is_disconnected", False):
        return True
    step = request.receive()
    if not inspect.iscoroutine(step):
        # Not a coroutine to step through: Starlette's way.
        return bool(await request.is_disconnected())
    try:
        step.send(None)
    except StopIteration as done:
        message = done.value or {}
        return bool(message.get("type") == "http.disconnect")
    step.close()
    return False


def _hold_off_deadline(context: RequestContext) -> bool:
    """Keep the deadline's cancellation off the COMMIT about to be sent (a COMMIT
    cancelled half-way leaves its outcome unknown); False when it has fired
    already: then the transaction is rolled back instead."""
    timer = context.deadline_timer
    if timer is None:
        return True
    if timer.expired():
        return False
    timer.reschedule(None)
    return True


def _rearm_deadline(context: RequestContext) -> None:
    timer = context.deadline_timer
    if timer is not None and context.deadline is not None and not timer.expired():
        timer.reschedule(context.deadline)


def _fault(exc: BaseException, keyed: bool) -> AgoraGraphQLError:
    """What the client is told when the transaction itself failed."""
    fault = translate_fault(exc, idempotency_key=keyed)
    if fault is not None:
        return fault
    logger.error("a mutation's transaction failed", exc_info=exc)
    return OutcomeUnknown(
        "The write failed in an unexpected way; it may or may not be stored.",
        retryable=keyed,
    )


def _opaque(value: object) -> str:
    # An uploaded file in the variables: its name stands for it.
    return f"<{type(value).__name__} {getattr(value, 'filename', '')}>"


def _request_of(info: GraphQLResolveInfo[Any], variables: Mapping[str, Any]) -> bytes:
    """What makes a root field's request the same request again: the field and
    the values of its arguments (not the selection: a retry may ask for more)."""
    arguments = {
        argument.name.value: value_from_ast_untyped(argument.value, dict(variables))
        for argument in info.field_nodes[0].arguments or ()
    }
    return orjson.dumps(
        [info.field_name, arguments], option=orjson.OPT_SORT_KEYS, default=_opaque
    )


def _metadata(info: GraphQLResolveInfo[Any]) -> Mapping[str, Any]:
    """The Strawberry field metadata of the field `info` resolves."""
    field = (info.parent_type.fields[info.field_name].extensions or {}).get(
        "strawberry-definition"
    )
    return getattr(field, "metadata", None) or {}


def _argument_key(
    info: GraphQLResolveInfo[Any],
    metadata: Mapping[str, Any],
    variables: Mapping[str, Any],
) -> str | None:
    """The key the field's declared argument (`key_argument`) carries, if any."""
    path = metadata.get(KEY_ARGUMENT)
    if not path:
        return None
    node = info.field_nodes[0]
    argument = next((a for a in node.arguments or () if a.name.value == path[0]), None)
    if argument is None:
        return None
    value: Any = value_from_ast_untyped(argument.value, dict(variables))
    for name in path[1:]:
        value = value.get(name) if isinstance(value, dict) else None
    return value if isinstance(value, str) and value else None


class IdempotentMutations(SchemaExtension):
    """Runs each root mutation field in one transaction, keeps its deadline and
    its idempotency key (module docstring)."""

    def resolve(
        self,
        _next: Callable[..., Any],
        root: Any,
        info: GraphQLResolveInfo[Any],
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        context = info.context
        if (
            info.path.prev is not None
            or info.operation.operation is not OperationType.MUTATION
            or not isinstance(context, RequestContext)
            or context.database is None
        ):
            return _next(root, info, *args, **kwargs)
        return self._root_field(context, _next, root, info, args, kwargs)

    async def _root_field(
        self,
        context: RequestContext,
        _next: Callable[..., Any],
        root: Any,
        info: GraphQLResolveInfo[Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        async def resolver() -> Any:
            value = _next(root, info, *args, **kwargs)
            return await value if inspect.isawaitable(value) else value

        execution = self.execution_context
        metadata = _metadata(info)
        variables = execution.variables or {}
        raw = context.idempotency_key or _argument_key(info, metadata, variables)
        if raw is not None and not 0 < len(raw) <= MAX_KEY_LENGTH:
            raise BadUserInput(
                f"An idempotency key has 1 to {MAX_KEY_LENGTH} characters.",
                field="idempotencyKey",
            )
        # A backlog the gateway gave up on (a subgraph resumed after a stop) is
        # dropped before any work, not only before its commit.
        abandoned = await _abandoned(context)
        if abandoned is not None:
            raise DeadlineExceeded(abandoned)
        prepare: Prepare | None = metadata.get(PREPARE)
        if prepare is not None:
            response_key = str(info.path.key)
            context.prepared[response_key] = await prepare(context, kwargs)
        transaction = _transaction(context.database or "", keyed=raw is not None)
        if transaction is None:
            return await resolver()
        key = None
        if raw is not None:
            request = _request_of(info, variables)
            key = _Key.of(raw, context.user_id or "", str(info.path.key), request)
        try:
            connection = await transaction.__aenter__()
        except Exception as exc:
            raise _fault(exc, key is not None) from exc
        store = _Store(connection)
        held = HeldActions()
        refused: AgoraGraphQLError | None = None
        try:
            stored = (
                await store.claim(key, context.settings.idempotency_ttl)
                if key
                else None
            )
            if stored is not None:
                await _leave(transaction, _Rollback())
                return thaw(stored["value"])
            try:
                with holding_actions(held):
                    value = await resolver()
            except AgoraGraphQLError as error:
                # Refused on purpose: keep what the resolver wrote regardless (a
                # session revoked), give the key back.
                refused = error
                if key is not None:
                    await store.forget(key)
            else:
                abandoned = await _abandoned(context)
                if abandoned is not None:
                    raise DeadlineExceeded(abandoned)
                if key is not None:
                    await store.record(key, {"value": freeze(value)})
            if not _hold_off_deadline(context):
                raise DeadlineExceeded("its deadline passed")
        except _Reused:
            await _leave(transaction, _Rollback())
            raise IdempotencyKeyReused() from None
        except BaseException as exc:
            # Anything else (a fault, a defect, the deadline's cancellation):
            # nothing of the field is committed.
            await _leave(transaction, exc)
            raise
        try:
            try:
                await transaction.__aexit__(None, None, None)
            except Exception as exc:
                held.drop()
                raise _fault(exc, key is not None) from exc
            # What the committed write publishes goes out even past the deadline.
            await held.run()
        finally:
            _rearm_deadline(context)
        if key is not None and random.randrange(_PURGE_EVERY) == 0:
            await _purge_quietly(context.database or "")
        if refused is not None:
            raise refused
        return value


async def _purge_quietly(connection_name: str) -> None:
    try:
        await purge_expired(connection_name)
    except Exception:
        logger.warning("purging expired idempotency records failed", exc_info=True)
