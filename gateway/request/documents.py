"""Documents parsed and validated once, keyed so that comments and spacing do not
matter beyond the first parse.

A document's text is hashed and looked up first (the hot path: one dict lookup). A
new text is parsed with the caller's token limit, printed back without comments or
spacing, and hashed again: that *normalised key* is what validity, operations and
plans are cached by, so a changed comment costs one parse, never a plan.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from graphql import (
    FragmentDefinitionNode,
    GraphQLError,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
    TokenKind,
    Visitor,
    parse,
    print_ast,
    recommended_rules,
    specified_rules,
    validate,
    visit,
)

from .._lru import LRU
from ..policy import parse_with_limit
from .refusal import with_code

if TYPE_CHECKING:
    from graphql import DocumentNode, FragmentSpreadNode, GraphQLSchema, Node

__all__ = [
    "CACHE_TEXT_BYTES",
    "COMPACT_ABOVE",
    "LRU",
    "DocumentCache",
    "ParsedDocument",
    "normalised_key",
    "validate_unused_fragments",
]

GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"

_RULES = (*specified_rules, *recommended_rules)


# The most document text one cache may keep alive (a parsed document holds its
# text through its locations): entries alone would let 1,024 texts padded to the
# body limit hold a gigabyte.
CACHE_TEXT_BYTES = 64 * 1024 * 1024
# A first text of a normalised document longer than this is not kept as the shared
# document: the shared one is parsed again from its printed form (no comments or
# padding), so plans and operations never hold a client's padding.
COMPACT_ABOVE = 16 * 1024


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """A document parsed from one text, and the key of its normalised form; or the
    errors that stop it (syntax, the token limit)."""

    document: DocumentNode | None
    # SHA-256 of the text, and of the normalised document (comments, spacing gone).
    digest: str
    key: str
    errors: tuple[GraphQLError, ...] = ()
    # The text's length, the weight of what holds on to it.
    size: int = 0


class DocumentCache:
    """Parse and validate documents against one API schema, once each.

    `canonical` gives every text of one normalised key the same DocumentNode, so
    what is built from it (operations, plans, projections) is shared.
    """

    def __init__(
        self,
        schema: GraphQLSchema,
        size: int = 1024,
        max_text_bytes: int = CACHE_TEXT_BYTES,
    ) -> None:
        self.schema = schema
        # The two caches whose entries hold a client's text (its document, or
        # errors pointing into it) are bounded by the bytes of text as well.
        self._texts: LRU[tuple[str, int | None], ParsedDocument] = LRU(
            size, max_text_bytes
        )
        self._canonical: LRU[str, DocumentNode] = LRU(size)
        self._valid: LRU[tuple[str, bool, bool], bool] = LRU(size)
        self._invalid: LRU[tuple[str, bool, bool], tuple[GraphQLError, ...]] = LRU(
            size, max_text_bytes
        )
        self.parsed = 0  # how many texts were actually parsed (tests, metrics)

    def parse(self, text: str, max_tokens: int | None) -> ParsedDocument:
        """`text` parsed with at most `max_tokens` tokens (cached per text)."""
        digest = hashlib.sha256(text.encode()).hexdigest()
        parsed = self._texts.get((digest, max_tokens))
        if parsed is None:
            parsed = self._parse(text, digest, max_tokens)
            self._texts.put((digest, max_tokens), parsed, len(text))
        return parsed

    def canonical(self, parsed: ParsedDocument) -> DocumentNode:
        """The one document shared by every text of `parsed.key`."""
        assert parsed.document is not None, "parsed without errors"
        shared = self._canonical.get(parsed.key)
        if shared is None:
            shared = parsed.document
            if parsed.size > COMPACT_ABOVE:
                # What is built from it (operations, plans) lives long and must
                # not keep this text's comments and padding alive.
                shared = parse(print_ast(shared))
            self._canonical.put(parsed.key, shared)
        return shared

    def validate(
        self, parsed: ParsedDocument, *, introspection: bool, suggestions: bool
    ) -> tuple[GraphQLError, ...]:
        """The validation errors of `parsed` (cached: per normalised key when valid,
        per text when not, so error locations are this text's)."""
        assert parsed.document is not None, "parsed without errors"
        if self._valid.get((parsed.key, introspection, suggestions)):
            return ()
        text_key = (parsed.digest, introspection, suggestions)
        errors = self._invalid.get(text_key)
        if errors is None:
            errors = self._validate(parsed.document, introspection, suggestions)
            if not errors:
                self._valid.put((parsed.key, introspection, suggestions), True)
                return ()
            self._invalid.put(text_key, errors, parsed.size)
        return errors

    def _parse(self, text: str, digest: str, max_tokens: int | None) -> ParsedDocument:
        self.parsed += 1
        try:
            document = parse_with_limit(text, max_tokens)
        except RecursionError:
            nested = GraphQLError("The document is nested too deeply to parse.")
            return ParsedDocument(
                None,
                digest,
                "",
                (with_code(nested, GRAPHQL_PARSE_FAILED),),
                len(text),
            )
        if isinstance(document, GraphQLError):
            return ParsedDocument(None, digest, "", (document,), len(text))
        return ParsedDocument(
            document, digest, normalised_key(document), size=len(text)
        )

    def _validate(
        self, document: DocumentNode, introspection: bool, suggestions: bool
    ) -> tuple[GraphQLError, ...]:
        errors = validate(
            self.schema,
            document,
            _RULES,
            max_errors=50,
            hide_suggestions=not suggestions,
        )
        if errors:
            return tuple(with_code(e, GRAPHQL_VALIDATION_FAILED) for e in errors)
        if introspection:
            return ()
        refused = validate(self.schema, document, (NoSchemaIntrospectionCustomRule,))
        return tuple(with_code(e, INTROSPECTION_DISABLED) for e in refused)


def normalised_key(document: DocumentNode) -> str:
    """SHA-256 of the document's tokens without its comments: equal for texts that
    differ only in comments, spacing and commas (ten times cheaper than printing)."""
    parts: list[str] = []
    token = document.loc.start_token if document.loc else None
    while token is not None:
        kind = token.kind
        if kind is not TokenKind.COMMENT:
            value = token.value
            if value is None:
                parts.append(kind.value)
            else:
                # 1 and "1" differ; a block string and a string of one value do not.
                kind = TokenKind.STRING if kind is TokenKind.BLOCK_STRING else kind
                parts.append(f"{kind.value}{value}")
        token = token.next
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def validate_unused_fragments(document: DocumentNode) -> tuple[GraphQLError, ...]:
    """The fragments no operation of `document` reaches (GraphQL spec 5.5.1.4,
    "Fragments Must Be Used"), found in one linear walk, as validation errors."""
    spreads: dict[str, set[str]] = {}
    operations: list[OperationDefinitionNode] = []
    fragments: dict[str, FragmentDefinitionNode] = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            operations.append(definition)
        elif isinstance(definition, FragmentDefinitionNode):
            fragments[definition.name.value] = definition
    for name, fragment in fragments.items():
        spreads[name] = _spread_names(fragment)
    reached: set[str] = set()
    pending = [name for operation in operations for name in _spread_names(operation)]
    while pending:
        name = pending.pop()
        if name not in reached:
            reached.add(name)
            pending.extend(spreads.get(name, ()))
    return tuple(
        GraphQLError(
            f"Fragment '{name}' is never used.",
            fragment,
            extensions={"code": GRAPHQL_VALIDATION_FAILED},
        )
        for name, fragment in fragments.items()
        if name not in reached
    )


def _spread_names(node: Node) -> set[str]:
    names: set[str] = set()

    class Spreads(Visitor):
        def enter_fragment_spread(self, spread: FragmentSpreadNode, *_: object) -> None:
            names.add(spread.name.value)

    visit(node, Spreads())
    return names
