"""@override: which subgraph's definition of a field wins, and what the others become.

Federation 2 (@override, https://www.apollographql.com/docs/graphos/reference/
federation/directives#override): the overridden definition stops resolving the field
unless a key or @requires of its subgraph still selects it (`usedOverridden`); with a
`label` the migration is progressive and both definitions keep the label. The checks and
messages follow the reference composer's validateOverride.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ._wording import did_you_mean
from .codes import ErrorCode, HintCode
from .errors import CompositionError, CompositionHint

if TYPE_CHECKING:
    from .subgraph import Field, Subgraph

__all__ = ["SubgraphField", "resolve_overrides"]

_LABEL = re.compile(r"[a-zA-Z][a-zA-Z0-9_\-:./]*")
_PERCENT = re.compile(r"percent\((\d{1,2}(\.\d{1,8})?|100)\)")


@dataclass(slots=True)
class SubgraphField:
    """One subgraph's definition of a field, with what @override made of it."""

    subgraph: Subgraph
    field: Field
    used_overridden: bool = False
    unused_overridden: bool = False
    override_label: str | None = None
    # Its @override names a subgraph that does not exist (a likely typo).
    unknown_override_target: bool = False


def _valid_label(label: str) -> bool:
    if _LABEL.fullmatch(label):
        return True
    match = _PERCENT.fullmatch(label)
    return match is not None and 0 <= float(match[1]) <= 100


def resolve_overrides(
    sources: list[SubgraphField],
    type_name: str,
    field_name: str,
    subgraph_names: list[str],
) -> tuple[list[CompositionError], list[CompositionHint]]:
    """Mark each source with what @override makes of it; returns errors and hints."""
    errors: list[CompositionError] = []
    hints: list[CompositionHint] = []
    coordinate = f"{type_name}.{field_name}"
    by_name = {s.subgraph.name: s for s in sources}
    overriding = [s for s in sources if s.field.override_from is not None]

    def error(code: ErrorCode, message: str, *subgraphs: str) -> None:
        errors.append(CompositionError(code, message, subgraphs, type_name, field_name))

    def hint(code: HintCode, message: str, *subgraphs: str) -> None:
        hints.append(CompositionHint(code, message, subgraphs, type_name, field_name))

    for source in overriding:
        name = source.subgraph.name
        origin = source.field.override_from
        assert origin is not None
        definition = source.subgraph.types[type_name]
        if definition.kind == "interface":
            error(
                ErrorCode.OVERRIDE_ON_INTERFACE,
                f'@override cannot be used on field "{coordinate}" on subgraph'
                f' "{name}": @override is not supported on interface type fields.',
                name,
            )
        elif definition.interface_object:
            error(
                ErrorCode.OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE,
                "@override is not yet supported on fields of @interfaceObject types:"
                f' cannot be used on field "{coordinate}" on subgraph "{name}".',
                name,
            )
        elif origin not in subgraph_names:
            source.unknown_override_target = True
            hint(
                HintCode.FROM_SUBGRAPH_DOES_NOT_EXIST,
                f'Source subgraph "{origin}" for field "{coordinate}" on subgraph'
                f' "{name}" does not exist.{did_you_mean(origin, subgraph_names)}',
                name,
            )
        elif origin == name:
            error(
                ErrorCode.OVERRIDE_FROM_SELF_ERROR,
                f'Source and destination subgraphs "{origin}" are the same for'
                f' overridden field "{coordinate}"',
                name,
            )
        elif any(s.subgraph.name == origin for s in overriding):
            error(
                ErrorCode.OVERRIDE_SOURCE_HAS_OVERRIDE,
                f'Field "{coordinate}" on subgraph "{name}" is also marked with'
                f' directive @override in subgraph "{origin}". Only one @override'
                " directive is allowed per field.",
                name,
                origin,
            )
        elif origin not in by_name:
            hint(
                HintCode.OVERRIDE_DIRECTIVE_CAN_BE_REMOVED,
                f'Field "{coordinate}" on subgraph "{name}" no longer exists in the'
                " from subgraph. The @override directive can be removed.",
                name,
            )
        else:
            _override(source, by_name[origin], coordinate, error, hint)
    return errors, hints


class _ReportError(Protocol):
    def __call__(self, code: ErrorCode, message: str, *subgraphs: str) -> None: ...


class _ReportHint(Protocol):
    def __call__(self, code: HintCode, message: str, *subgraphs: str) -> None: ...


def _override(
    source: SubgraphField,
    overridden: SubgraphField,
    coordinate: str,
    error: _ReportError,
    hint: _ReportHint,
) -> None:
    name, origin = source.subgraph.name, overridden.subgraph.name
    conflict = (
        ("requires", origin)
        if overridden.field.requires is not None
        else ("provides", origin)
        if overridden.field.provides is not None
        else ("external", name)
        if source.field.external
        else None
    )
    if conflict is not None:
        directive, where = conflict
        error(
            ErrorCode.OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE,
            f'@override cannot be used on field "{coordinate}" on subgraph "{name}"'
            f' since "{coordinate}" on "{where}" is marked with directive'
            f' "@{directive}"',
            name,
            origin,
        )
        return
    label = source.field.override_label
    type_name, field_name = coordinate.split(".", 1)
    referenced = (type_name, field_name) in overridden.subgraph.used_fields
    if overridden.field.external:
        hint(
            HintCode.OVERRIDE_DIRECTIVE_CAN_BE_REMOVED,
            f'Field "{coordinate}" on subgraph "{name}" is not resolved anymore by the'
            f' from subgraph (it is marked "@external" in "{origin}"). The @override'
            " directive can be removed.",
            name,
        )
    elif referenced:
        overridden.used_overridden = True
        if label is None:
            hint(
                HintCode.OVERRIDDEN_FIELD_CAN_BE_REMOVED,
                f'Field "{coordinate}" on subgraph "{origin}" is overridden. It is'
                " still used in some federation directive(s) (@key, @requires, and/or"
                " @provides) and/or to satisfy interface constraint(s), but consider"
                " marking it @external explicitly or removing it along with its"
                " references.",
                origin,
            )
    else:
        overridden.unused_overridden = True
        if label is None:
            hint(
                HintCode.OVERRIDDEN_FIELD_CAN_BE_REMOVED,
                f'Field "{coordinate}" on subgraph "{origin}" is overridden. Consider'
                " removing it.",
                origin,
            )
    if label is None:
        return
    if _valid_label(label):
        source.override_label = overridden.override_label = label
    else:
        error(
            ErrorCode.OVERRIDE_LABEL_INVALID,
            f'Invalid @override label "{label}" on field "{coordinate}" on subgraph'
            f' "{name}": labels must start with a letter and after that may contain'
            " alphanumerics, underscores, minuses, colons, periods, or slashes."
            ' Alternatively, labels may be of the form "percent(x)" where x is a float'
            " between 0-100 inclusive.",
            name,
        )
    if referenced:
        message = (
            f'Field "{coordinate}" on subgraph "{origin}" is currently being migrated'
            " via progressive @override. It is still used in some federation"
            " directive(s) (@key, @requires, and/or @provides) and/or to satisfy"
            " interface constraint(s). Once the migration is complete, consider"
            " marking it @external explicitly or removing it along with its"
            " references."
        )
    else:
        message = (
            f'Field "{coordinate}" is currently being migrated with progressive'
            " @override. Once the migration is complete, remove the field from"
            f' subgraph "{origin}".'
        )
    hint(HintCode.OVERRIDE_MIGRATION_IN_PROGRESS, message, origin)
