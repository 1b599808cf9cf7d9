"""Enum merging: how an enum's values merge depends on where the enum is used.

Apollo Federation 2 composition rules: an enum only used in output positions gets the
union of the subgraphs' values, one only used in inputs the intersection, and one used
in both must have the same values everywhere (ENUM_VALUE_MISMATCH). Every value records
the subgraphs defining it with @join__enumValue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._directives import merge_directives
from ._wording import join_directive, subgraph_names
from .errors import CompositionError, CompositionHint
from .model import MergedValue

if TYPE_CHECKING:
    from .merge import Merger

__all__ = ["merge_enum"]


def _enum_usage(merger: Merger, name: str) -> tuple[str | None, str | None]:
    """The first input and output position (coordinates) that use an enum."""
    as_input: str | None = None
    as_output: str | None = None
    for merged in merger.types.values():
        for field_definition in merged.fields.values():
            coordinate = f"{merged.name}.{field_definition.name}"
            if field_definition.type.named == name:
                if merged.kind == "input":
                    as_input = as_input or coordinate
                else:
                    as_output = as_output or coordinate
            for argument in field_definition.arguments.values():
                if argument.type.named == name:
                    as_input = as_input or f"{coordinate}({argument.name}:)"
    return as_input, as_output


def merge_enum(merger: Merger, name: str) -> None:
    merged = merger.types[name]
    definitions = merger.definitions(name)
    values: list[str] = []
    for _, definition in definitions:
        values.extend(v for v in definition.values if v not in values)
    as_input, as_output = _enum_usage(merger, name)
    if as_input is None and as_output is None:
        merger.hints.append(
            CompositionHint(
                "UNUSED_ENUM_TYPE",
                f'Enum type "{name}" is defined but unused. It will be included in'
                " the supergraph with all the values appearing in any subgraph"
                ' ("as if" it was only used as an output type).',
                tuple(s.name for s, _ in definitions),
                name,
            )
        )
    if (
        as_input
        and not as_output
        and not any(all(value in d.values for _, d in definitions) for value in values)
    ):
        merger.errors.append(
            CompositionError(
                "EMPTY_MERGED_ENUM_TYPE",
                f'None of the values of enum type "{name}" are defined consistently'
                " in all the subgraphs defining that type. As only values common to"
                " all subgraphs are merged, this would result in an empty type.",
                tuple(s.name for s, _ in definitions),
                name,
            )
        )
        return
    for value in values:
        having = [s for s, d in definitions if value in d.values]
        missing = [s.name for s, d in definitions if value not in d.values]
        in_some = (
            f'"{value}" is defined in {subgraph_names([s.name for s in having])}'
            f" but not in {subgraph_names(missing)}"
        )
        if missing and as_input and as_output:
            merger.errors.append(
                CompositionError(
                    "ENUM_VALUE_MISMATCH",
                    f'Enum type "{name}" is used as both input type (for example,'
                    f' as type of "{as_input}") and output type (for example, as'
                    f' type of "{as_output}"), but value "{value}" is not defined'
                    f' in all the subgraphs defining "{name}": {in_some}',
                    tuple(s.name for s, _ in definitions),
                    name,
                )
            )
            continue
        if missing and as_input:
            merger.hints.append(
                CompositionHint(
                    "INCONSISTENT_ENUM_VALUE_FOR_INPUT_ENUM",
                    f'Value "{value}" of enum type "{name}" will not be part of the'
                    " supergraph as it is not defined in all the subgraphs defining"
                    f' "{name}": {in_some}.',
                    tuple(s.name for s, _ in definitions),
                    name,
                )
            )
            continue
        if missing:
            merger.hints.append(
                CompositionHint(
                    "INCONSISTENT_ENUM_VALUE_FOR_OUTPUT_ENUM",
                    f'Value "{value}" of enum type "{name}" has been added to the'
                    " supergraph but is only defined in a subset of the subgraphs"
                    f' defining "{name}": {in_some}.',
                    tuple(s.name for s, _ in definitions),
                    name,
                )
            )
        merged.values[value] = MergedValue(
            value,
            merger.merge_description(
                f"{name}.{value}",
                [
                    (s, d.values[value].description)
                    for s, d in definitions
                    if value in d.values
                ],
            ),
            [join_directive("join__enumValue", graph=merger.graph(s)) for s in having],
            merge_directives(
                (
                    x
                    for _, d in definitions
                    if value in d.values
                    for x in d.values[value].directives
                ),
                merger.repeatable,
            ),
        )
