"""Trusted documents: the operations a client registered ahead of time.

A manifest is a file in Apollo's persisted query manifest format

    {"format": "apollo-persisted-query-manifest", "version": 1,
     "operations": [{"id": "...", "name": "...", "type": "query", "body": "..."}]}

or the `{id: body}` map that GraphQL Code Generator and Relay emit. A client bound to
manifests (and not allowed free-form operations) may run only their operations, by
`documentId`, by APQ hash, or by sending the very text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
from graphql import GraphQLError, OperationDefinitionNode, parse, validate

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from graphql import GraphQLSchema

__all__ = [
    "ManifestError",
    "TrustedDocument",
    "TrustedDocuments",
    "check_documents",
    "load_manifest",
    "sha256_of",
]

APOLLO_FORMAT = "apollo-persisted-query-manifest"


class ManifestError(ValueError):
    """Raised when a manifest cannot be read or is not in a known format."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class TrustedDocument:
    """One registered operation document."""

    id: str
    body: str
    sha256: str
    name: str | None = None
    type: str | None = None
    manifest: str = ""


def sha256_of(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class TrustedDocuments:
    """The documents of one or more manifests, found by id or by SHA-256."""

    documents: tuple[TrustedDocument, ...] = ()
    _by_id: Mapping[str, TrustedDocument] = field(default_factory=dict, repr=False)
    _by_sha256: Mapping[str, TrustedDocument] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, documents: Iterable[TrustedDocument]) -> TrustedDocuments:
        listed = tuple(documents)
        return cls(
            listed,
            {document.id: document for document in listed},
            {document.sha256: document for document in listed},
        )

    @classmethod
    def load(cls, paths: Iterable[str | Path]) -> TrustedDocuments:
        """The documents of every manifest at `paths`; raises ManifestError."""
        return cls.of(document for path in paths for document in load_manifest(path))

    def find(self, document_id: str) -> TrustedDocument | None:
        """The document of a GraphQL-over-HTTP `documentId` (an id, or
        `sha256:<hex>` as the persisted documents proposal writes it)."""
        found = self._by_id.get(document_id)
        if found is not None:
            return found
        prefix, _, digest = document_id.partition(":")
        if prefix == "sha256" and digest:
            return self._by_sha256.get(digest.lower())
        return self._by_sha256.get(document_id.lower())

    def by_hash(self, sha256: str) -> TrustedDocument | None:
        return self._by_sha256.get(sha256.lower())

    def __len__(self) -> int:
        return len(self.documents)


def load_manifest(path: str | Path) -> tuple[TrustedDocument, ...]:
    """The documents of one manifest file; raises ManifestError naming the file."""
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise ManifestError(path, f"cannot be read ({error.strerror})") from None
    try:
        content = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ManifestError(path, "is not JSON") from None
    if not isinstance(content, dict):
        raise ManifestError(path, "must be a JSON object")
    if "format" in content or "operations" in content:
        return _apollo_manifest(path, content)
    documents = []
    for key, body in content.items():
        if not isinstance(body, str) or not body.strip():
            raise ManifestError(path, f"document {key!r} must be a non-empty string")
        documents.append(
            TrustedDocument(key, body, sha256_of(body), manifest=str(path))
        )
    return tuple(documents)


def _apollo_manifest(
    path: str | Path, content: dict[str, object]
) -> tuple[TrustedDocument, ...]:
    if content.get("format") != APOLLO_FORMAT or content.get("version") != 1:
        raise ManifestError(path, f"expected format {APOLLO_FORMAT!r} and version 1")
    operations = content.get("operations")
    if not isinstance(operations, list):
        raise ManifestError(path, "'operations' must be a list")
    documents = []
    for index, operation in enumerate(operations):
        if not isinstance(operation, dict):
            raise ManifestError(path, f"operations[{index}] must be an object")
        id, body = operation.get("id"), operation.get("body")
        if not isinstance(id, str) or not id or not isinstance(body, str):
            raise ManifestError(
                path, f"operations[{index}] needs a string 'id' and 'body'"
            )
        name, kind = operation.get("name"), operation.get("type")
        documents.append(
            TrustedDocument(
                id,
                body,
                sha256_of(body),
                name if isinstance(name, str) else None,
                kind if isinstance(kind, str) else None,
                str(path),
            )
        )
    return tuple(documents)


def check_documents(
    schema: GraphQLSchema, documents: Iterable[TrustedDocument]
) -> list[str]:
    """One line per document that no longer parses or validates against `schema`
    (or whose declared name or type is not its operation's)."""
    problems = []
    for document in documents:
        where = f"{document.manifest}: {document.id}"
        try:
            parsed = parse(document.body)
        except GraphQLError as error:
            problems.append(f"{where}: {error.message}")
            continue
        problems.extend(f"{where}: {e.message}" for e in validate(schema, parsed))
        operations = [
            d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)
        ]
        names = {d.name.value for d in operations if d.name is not None}
        if document.name is not None and document.name not in names:
            problems.append(f"{where}: no operation named {document.name!r}")
        if document.type is not None and not any(
            d.operation.value == document.type for d in operations
        ):
            problems.append(f"{where}: no {document.type} operation")
    return problems
