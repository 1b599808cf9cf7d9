"""Parse and validate a document text once, not on every request.

A subgraph answers the same few documents over and over (the gateway's plans,
the apps' operations): graphql-core's validation of chat's one-field
`sendMessage` was ~60 % of chat's CPU under the subscription bench (issue 14).

Why not Strawberry's ParserCache/ValidationCache: ValidationCache sets
`pre_execution_errors` unconditionally, so it would overwrite the FORBIDDEN
that GatewayOnlyFields sets before validation (a client could then reach
`_entities`); and both cache whatever the call gave, errors included. Here only
documents that parsed, and (per schema and rule set) documents that validated
without error, are remembered; everything else takes Strawberry's ordinary
path and gets its coded errors as before. Both caches are LRUs of
DOCUMENT_CACHE_SIZE entries, so documents sent to fill them only evict.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Generic, TypeVar

from strawberry.extensions import SchemaExtension

if TYPE_CHECKING:
    from collections.abc import Iterator

    from graphql import DocumentNode

DOCUMENT_CACHE_SIZE = 512

K = TypeVar("K")
V = TypeVar("V")


class _LRU(Generic[K, V]):
    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.maxsize:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


# (text, parse options) -> its document.
TextKey = tuple[str, tuple[tuple[str, object], ...]]
# (schema, rules, text key) -> True: that text validated without error.
ValidKey = tuple[object, tuple[type, ...], TextKey]

_parsed: _LRU[TextKey, DocumentNode] = _LRU(DOCUMENT_CACHE_SIZE)
_valid: _LRU[ValidKey, bool] = _LRU(DOCUMENT_CACHE_SIZE)


def cached_document(text: str) -> DocumentNode | None:
    """The document of `text` if it parsed before with Strawberry's default parse
    options (subgraphs.kit.cache_control reads it after a successful execution)."""
    return _parsed.get((text, ()))


class DocumentCache(SchemaExtension):
    """Reuse the parsed document of a text seen before and skip validating a
    text that validated before against the same schema and rules."""

    _text_key: TextKey | None = None

    def on_parse(self) -> Iterator[None]:
        execution = self.execution_context
        key: TextKey | None = None
        if execution.query is not None and execution.graphql_document is None:
            key = (execution.query, tuple(sorted(execution.parse_options.items())))
            self._text_key = key
            execution.graphql_document = _parsed.get(key)
        yield
        if (
            key is not None
            and execution.graphql_document is not None
            and not execution.pre_execution_errors
        ):
            _parsed.put(key, execution.graphql_document)

    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        key: ValidKey | None = None
        if self._text_key is not None and execution.pre_execution_errors is None:
            key = (execution.schema, execution.validation_rules, self._text_key)
            if _valid.get(key):
                # Strawberry validates only while this is None.
                execution.pre_execution_errors = []
                key = None
        yield
        if key is not None and execution.pre_execution_errors == []:
            # Validated now, no errors, and no other extension refused it.
            _valid.put(key, True)
