"""@override: which subgraph's definition of a field wins, and what the others become.

Federation 2 (@override, https://www.apollographql.com/docs/graphos/reference/
federation/directives#override): the overridden definition is dropped unless a key or
@requires of its subgraph still selects it (`usedOverridden`); with a `label` the
migration is progressive and both definitions stay, each with the label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import CompositionError, CompositionHint

if TYPE_CHECKING:
    from .subgraph import Field, Subgraph

__all__ = ["FieldSource", "resolve_overrides"]


@dataclass(slots=True)
class FieldSource:
    """One subgraph's definition of a field, with what @override made of it."""

    subgraph: Subgraph
    field: Field
    used_overridden: bool = False
    unused_overridden: bool = False
    override_label: str | None = None
    override_from: str | None = None


def resolve_overrides(
    sources: list[FieldSource],
    type_name: str,
    field_name: str,
    subgraph_names: set[str],
) -> tuple[list[CompositionError], list[CompositionHint]]:
    """Mark each source with what @override makes of it; returns errors and hints."""
    errors: list[CompositionError] = []
    hints: list[CompositionHint] = []
    coordinate = f"{type_name}.{field_name}"
    for source in sources:
        origin = source.field.override_from
        if origin is None:
            continue
        name = source.subgraph.name
        if origin == name:
            errors.append(
                CompositionError(
                    "OVERRIDE_FROM_SELF_ERROR",
                    f'Source and destination subgraphs "{name}" are the same for'
                    f' overridden field "{coordinate}"',
                    (name,),
                    type_name,
                    field_name,
                )
            )
            continue
        if origin not in subgraph_names:
            hints.append(
                CompositionHint(
                    "FROM_SUBGRAPH_DOES_NOT_EXIST",
                    f'Source subgraph "{origin}" for field "{coordinate}" on'
                    f' subgraph "{name}" does not exist.',
                    (name,),
                    type_name,
                    field_name,
                )
            )
            continue
        source.override_from = origin
        source.override_label = source.field.override_label
        overridden = next((s for s in sources if s.subgraph.name == origin), None)
        if overridden is None:
            hints.append(
                CompositionHint(
                    "OVERRIDE_DIRECTIVE_CAN_BE_REMOVED",
                    f'Field "{coordinate}" on subgraph "{name}" no longer exists'
                    " in the from subgraph. The @override directive can be"
                    " removed.",
                    (name,),
                    type_name,
                    field_name,
                )
            )
            continue
        if source.override_label is not None:
            overridden.override_label = source.override_label
            hints.append(
                CompositionHint(
                    "OVERRIDE_MIGRATION_IN_PROGRESS",
                    f'Field "{coordinate}" is currently being migrated with'
                    " progressive @override. Once the migration is complete,"
                    f' remove the field from subgraph "{origin}".',
                    (origin, name),
                    type_name,
                    field_name,
                )
            )
        elif (type_name, field_name) in overridden.subgraph.used_fields:
            overridden.used_overridden = True
            hints.append(
                CompositionHint(
                    "OVERRIDDEN_FIELD_CAN_BE_REMOVED",
                    f'Field "{coordinate}" on subgraph "{origin}" is overridden.'
                    " It is still used in some federation directive(s) (@key,"
                    " @requires, and/or @provides) and/or to satisfy interface"
                    " constraint(s), but consider marking it @external explicitly"
                    " or removing it along with its references.",
                    (origin,),
                    type_name,
                    field_name,
                )
            )
        else:
            overridden.unused_overridden = True
            hints.append(
                CompositionHint(
                    "OVERRIDDEN_FIELD_CAN_BE_REMOVED",
                    f'Field "{coordinate}" on subgraph "{origin}" is overridden.'
                    " Consider removing it.",
                    (origin,),
                    type_name,
                    field_name,
                )
            )
    return errors, hints
