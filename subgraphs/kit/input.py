"""Request checks every subgraph makes before executing (issue 12, finding 9).

- Strings a database cannot store (NUL, lone UTF-16 surrogates) are refused with
  BAD_USER_INPUT wherever they come: a literal in the document or a variable.
  PostgreSQL refuses them deep in a resolver, which answered INTERNAL_SERVER_ERROR.
- At most AGORA_MAX_ROOT_MUTATION_FIELDS (default 50) root mutation fields per
  operation, aliases and fragments counted (MAX_ROOT_FIELDS_LIMIT): mutations run one
  after the other, and about 950 of them exhausted Python's recursion limit.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

from graphql import (
    BREAK,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    StringValueNode,
    Visitor,
    visit,
)
from strawberry.extensions import SchemaExtension

if TYPE_CHECKING:
    from collections.abc import Iterator

    from graphql import DocumentNode, SelectionSetNode

__all__ = [
    "DEFAULT_MAX_ROOT_MUTATION_FIELDS",
    "InputChecks",
    "count_root_mutation_fields",
    "find_unstorable_text",
    "max_root_mutation_fields",
]

DEFAULT_MAX_ROOT_MUTATION_FIELDS = 50


def max_root_mutation_fields() -> int:
    """AGORA_MAX_ROOT_MUTATION_FIELDS, or the default for a missing or bad value."""
    raw = os.environ.get("AGORA_MAX_ROOT_MUTATION_FIELDS")
    try:
        value = int(raw) if raw else DEFAULT_MAX_ROOT_MUTATION_FIELDS
    except ValueError:
        return DEFAULT_MAX_ROOT_MUTATION_FIELDS
    return value if value > 0 else DEFAULT_MAX_ROOT_MUTATION_FIELDS


# NUL and the UTF-16 surrogates (a lone one cannot be encoded as UTF-8).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable(text: str) -> bool:
    return _UNSTORABLE.search(text) is not None


def find_unstorable_text(document: DocumentNode | None, variables: Any) -> str | None:
    """Where a NUL or a lone surrogate is (a variable's name, or "a string
    literal"), else None. Walks without recursion: nesting depth is the client's."""
    pending: list[tuple[str, Any]] = []
    if isinstance(variables, dict):
        pending += [(str(name), value) for name, value in variables.items()]
    while pending:
        name, value = pending.pop()
        if isinstance(value, str):
            if _unstorable(value):
                return f"variable ${name}"
        elif isinstance(value, dict):
            pending += [(name, v) for v in value.values()]
            pending += [(name, k) for k in value if isinstance(k, str)]
        elif isinstance(value, list):
            pending += [(name, v) for v in value]
    if document is not None:
        # The lexer refuses a raw NUL; an escaped one (\u0000) is a literal's value.
        # Every escape starts with \u: a source without one, NUL or surrogate has
        # no such literal, and the walk of its tree (about 5 % of a small
        # mutation's CPU, issue 14) is spared.
        source = document.loc.source.body if document.loc is not None else None
        if source is not None and "\\u" not in source and not _unstorable(source):
            return None
        finder = _UnstorableLiteral()
        visit(document, finder)
        if finder.found:
            return "a string literal"
    return None


class _UnstorableLiteral(Visitor):
    found = False

    def enter_string_value(self, node: StringValueNode, *_: object) -> object:
        if _unstorable(node.value):
            self.found = True
            return BREAK
        return None


def _root_fields(
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
) -> Iterator[FieldNode]:
    pending = [selection_set]
    seen: set[str] = set()
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is not None and name not in seen:
                    seen.add(name)
                    pending.append(fragment.selection_set)


def count_root_mutation_fields(document: DocumentNode) -> int:
    """The most root fields any one mutation of `document` selects (each alias and
    each field in a fragment on the root counted)."""
    fragments = {
        d.name.value: d
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    return max(
        (
            sum(1 for _ in _root_fields(d.selection_set, fragments))
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode)
            and d.operation is OperationType.MUTATION
        ),
        default=0,
    )


class InputChecks(SchemaExtension):
    """Refuses, before validation and any resolver, unstorable strings
    (BAD_USER_INPUT) and too many root mutation fields (MAX_ROOT_FIELDS_LIMIT)."""

    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        document = execution.graphql_document
        error = None
        place = find_unstorable_text(document, execution.variables)
        if place is not None:
            error = GraphQLError(
                f"Text cannot contain NUL characters or lone surrogates ({place}).",
                extensions={"code": "BAD_USER_INPUT"},
            )
        elif document is not None:
            limit = max_root_mutation_fields()
            measured = count_root_mutation_fields(document)
            if measured > limit:
                error = GraphQLError(
                    f"At most {limit} root mutation fields per operation.",
                    extensions={
                        "code": "MAX_ROOT_FIELDS_LIMIT",
                        "limit": limit,
                        "measured": measured,
                    },
                )
        if error is not None and not execution.pre_execution_errors:
            # Set before validation runs: Strawberry then skips it and answers
            # with these errors only.
            execution.pre_execution_errors = [error]
        yield
