"""Merge read subgraphs into a supergraph, with join metadata on every element.

Follows the merge rules of Apollo Federation 2 composition
(https://www.apollographql.com/docs/graphos/schema-design/federated-schemas/composition):
output field types merge to their common supertype, input types and arguments to their
common subtype; input fields and arguments are intersected, output enums united, enums
used in both positions must agree; a field resolved by several subgraphs must be
@shareable. The join spec (https://specs.apollo.dev/join/v0.5) records which subgraph
resolves what.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from graphql import print_ast

from ._context import context_arguments, context_directive
from ._directives import merge_directives
from ._links import BUILT_IN_DIRECTIVES
from ._override import SubgraphField, resolve_overrides
from ._wording import (
    Raw,
    cache_tag_directive,
    graph_enum_names,
    group_by_value,
    join_directive,
    most_common,
    subgraph_names,
)
from .codes import ErrorCode, HintCode
from .errors import CompositionError, CompositionHint
from .executable_directives import merge_executable_directives
from .model import (
    MergedArgument,
    MergedField,
    MergedSupergraph,
    MergedType,
    MergedValue,
)
from .subgraph import ROOT_NAMES

if TYPE_CHECKING:
    from graphql.language import DirectiveNode, ValueNode

    from .subgraph import (
        Argument,
        ExecutableDirective,
        Field,
        Subgraph,
        TypeDefinition,
    )
    from .type_reference import TypeReference

__all__ = ["merge_subgraphs"]

# Access control directives, propagated from implementations up to interfaces.
_ACCESS_CONTROL = frozenset({"authenticated", "requiresScopes", "policy"})

_KIND_NAMES = {
    "object": "Object Type",
    "interface": "Interface Type",
    "union": "Union Type",
    "enum": "Enum Type",
    "input": "Input Object Type",
    "scalar": "Scalar Type",
}


class Merger:
    def __init__(self, subgraphs: list[Subgraph], repeatable: frozenset[str]) -> None:
        self.subgraphs = sorted(subgraphs, key=lambda s: s.name)
        self.by_name = {s.name: s for s in self.subgraphs}
        self.graph_names = graph_enum_names([s.name for s in self.subgraphs])
        self.repeatable = repeatable
        self.errors: list[CompositionError] = []
        self.hints: list[CompositionHint] = []
        self.types: dict[str, MergedType] = {}

    # -- helpers -----------------------------------------------------------------

    def graph(self, subgraph: Subgraph) -> Raw:
        return Raw(self.graph_names[subgraph.name])

    def definitions(self, name: str) -> list[tuple[Subgraph, TypeDefinition]]:
        return [(s, s.types[name]) for s in self.subgraphs if name in s.types]

    def implementations(self, name: str) -> set[str]:
        found: set[str] = set()
        for subgraph in self.subgraphs:
            for definition in subgraph.types.values():
                if name in definition.interfaces:
                    found.add(definition.name)
            if name in subgraph.types:
                found.update(subgraph.types[name].members)
        return found

    def implementations_access_control(
        self, interface: str, field_name: str | None
    ) -> list[DirectiveNode]:
        """@authenticated, @requiresScopes and @policy of the object types (or of
        their field `field_name`) implementing `interface`, in every subgraph:
        Apollo's composition propagates them up to the interface (all must hold)."""
        objects = {
            d.name
            for s in self.subgraphs
            for d in s.types.values()
            if d.kind == "object"
            and not d.interface_object
            and interface in d.interfaces
        }
        found: list[DirectiveNode] = []
        for subgraph in self.subgraphs:
            for name in sorted(objects):
                definition = subgraph.types.get(name)
                if definition is None or definition.kind != "object":
                    continue
                if field_name is None:
                    directives = definition.directives
                else:
                    field = definition.fields.get(field_name)
                    if field is None or field.external:
                        continue
                    directives = field.directives
                found += [d for d in directives if d.name.value in _ACCESS_CONTROL]
        return found

    def is_subtype(self, sub: TypeReference, sup: TypeReference) -> bool:
        if sub == sup:
            return True
        if sub.non_null:
            return self.is_subtype(sub.nullable(), sup.nullable())
        if sup.non_null:
            return False
        if sub.of_type is not None:
            return sup.of_type is not None and self.is_subtype(sub.of_type, sup.of_type)
        if sup.of_type is not None:
            return False
        return sub.named in self.implementations(sup.named)

    def merge_type_reference(
        self,
        coordinate: str,
        sources: list[tuple[Subgraph, TypeReference]],
        *,
        input_position: bool,
        element: Literal["field", "argument"],
        type_name: str,
        field_name: str | None,
    ) -> tuple[TypeReference, bool]:
        """The merged type of a field or argument, and whether all sources agree."""
        result = sources[0][1]
        for _, candidate in sources[1:]:
            wider, narrower = (
                (result, candidate) if not input_position else (candidate, result)
            )
            if self.is_subtype(narrower, wider):
                continue
            if self.is_subtype(wider, narrower):
                result = candidate
                continue
            groups = group_by_value(sources)
            described = " but ".join(
                f'type "{t}" in {subgraph_names(names)}' for t, names in groups[:2]
            )
            described += "".join(
                f' and type "{t}" in {subgraph_names(names)}' for t, names in groups[2:]
            )
            code = (
                ErrorCode.FIELD_ARGUMENT_TYPE_MISMATCH
                if element == "argument"
                else ErrorCode.FIELD_TYPE_MISMATCH
            )
            self.errors.append(
                CompositionError(
                    code,
                    f'Type of {element} "{coordinate}" is incompatible across'
                    f" subgraphs: it has {described}",
                    tuple(s.name for s, _ in sources),
                    type_name,
                    field_name,
                )
            )
            return result, False
        all_equal = all(t == sources[0][1] for _, t in sources)
        if not all_equal:
            chosen = [s.name for s, t in sources if t == result]
            others = [(t, n) for t, n in group_by_value(sources) if t != result]
            relation = "supertype" if input_position else "subtype"
            hint_code = (
                HintCode.INCONSISTENT_BUT_COMPATIBLE_ARGUMENT_TYPE
                if element == "argument"
                else HintCode.INCONSISTENT_BUT_COMPATIBLE_FIELD_TYPE
            )
            described = " and ".join(
                f'{relation} "{t}" in {subgraph_names(n)}' for t, n in others
            )
            self.hints.append(
                CompositionHint(
                    hint_code,
                    f'Type of {element} "{coordinate}" is inconsistent but compatible'
                    f' across subgraphs: will use type "{result}" (from'
                    f' {subgraph_names(chosen)}) in supergraph but "{coordinate}" has'
                    f" {described}.",
                    tuple(s.name for s, _ in sources),
                    type_name,
                    field_name,
                )
            )
        return result, all_equal

    def merge_description(
        self, coordinate: str, sources: list[tuple[Subgraph, str | None]]
    ) -> str | None:
        """The description most subgraphs give (an empty one never wins); hints when
        they disagree, as Apollo's mergeDescription does."""
        present = [(s, d) for s, d in sources if d is not None]
        distinct = list(dict.fromkeys(d for _, d in present))
        non_empty = [d for d in distinct if d]
        if len(distinct) <= 1 or len(non_empty) == 1:
            return non_empty[0] if non_empty else (distinct[0] if distinct else None)
        chosen = most_common(d for _, d in present)
        groups = group_by_value(present)
        groups.sort(key=lambda group: group[0] != chosen)
        (_, chosen_in), *others = groups
        message = (
            f'Element "{coordinate}" has inconsistent descriptions across subgraphs.'
            f" The supergraph will use description (from {subgraph_names(chosen_in)}):"
            f"\n{_description_block(chosen)}"
        ) + " and ".join(
            f"\nIn {subgraph_names(names)}, the description is:\n"
            f"{_description_block(text)}"
            for text, names in others
        )
        type_name, _, field_name = coordinate.partition(".")
        self.hints.append(
            CompositionHint(
                HintCode.INCONSISTENT_DESCRIPTION,
                message,
                tuple(s.name for s, _ in present),
                type_name,
                field_name.split("(")[0] or None,
            )
        )
        return chosen

    # -- types -------------------------------------------------------------------

    def merge(self) -> MergedSupergraph:
        order: list[str] = []
        for subgraph in self.subgraphs:
            order.extend(n for n in subgraph.types if n not in order)
        for name in order:
            self.merge_type(name)
        self.add_interface_object_fields()
        for name in order:
            if self.types.get(name) and self.types[name].kind == "enum":
                self.merge_enum(name)
        roots = [
            r
            for r in ROOT_NAMES.values()
            if any(r in s.root_types for s in self.subgraphs)
        ]
        directives, hints = merge_executable_directives(
            self.subgraphs, self.merge_arguments
        )
        self.hints += hints
        return MergedSupergraph(
            self.subgraphs, self.graph_names, self.types, roots, directives
        )

    def merge_type(self, name: str) -> None:
        definitions = self.definitions(name)
        kinds: dict[str, list[str]] = {}
        for subgraph, definition in definitions:
            kind = "interface" if definition.interface_object else definition.kind
            kinds.setdefault(kind, []).append(subgraph.name)
        if len(kinds) > 1:
            (first, first_names), *rest = kinds.items()
            described = " but ".join(
                [f"{_KIND_NAMES[first]} in {subgraph_names(first_names)}"]
                + [f"{_KIND_NAMES[k]} in {subgraph_names(n)}" for k, n in rest]
            )
            self.errors.append(
                CompositionError(
                    ErrorCode.TYPE_KIND_MISMATCH,
                    f'Type "{name}" has mismatched kind: it is defined as {described}',
                    tuple(s.name for s, _ in definitions),
                    name,
                )
            )
            return
        kind = next(iter(kinds))
        merged = MergedType(name, kind)
        self.types[name] = merged
        merged.description = self.merge_description(
            name, [(s, d.description) for s, d in definitions]
        )
        applications = [x for _, d in definitions for x in d.directives]
        if kind == "interface":
            applications += self.implementations_access_control(name, None)
        merged.directives = merge_directives(applications, self.repeatable)
        merged.directives += [
            context_directive(f"{subgraph.name}__{context}")
            for subgraph, definition in definitions
            for context in definition.contexts
        ]
        for subgraph, definition in definitions:
            graph = self.graph(subgraph)
            if kind in ("object", "interface"):
                for key in definition.keys:
                    merged.join.append(
                        join_directive(
                            "join__type",
                            graph=graph,
                            key=key.fields,
                            extension=key.extension,
                            resolvable=None if key.resolvable else Raw("false"),
                            isInterfaceObject=definition.interface_object,
                        )
                    )
                if not definition.keys:
                    merged.join.append(
                        join_directive(
                            "join__type",
                            graph=graph,
                            isInterfaceObject=definition.interface_object,
                        )
                    )
                for interface in definition.interfaces:
                    merged.join.append(
                        join_directive(
                            "join__implements", graph=graph, interface=interface
                        )
                    )
                    if interface not in merged.interfaces:
                        merged.interfaces.append(interface)
            else:
                merged.join.append(join_directive("join__type", graph=graph))
        merged.join += [
            cache_tag_directive(self.graph(subgraph), tag)
            for subgraph, definition in definitions
            for tag in definition.cache_tags
        ]
        if kind in ("object", "interface"):
            self.merge_fields(merged, definitions)
        elif kind == "union":
            self.merge_union(merged, definitions)
        elif kind == "input":
            self.merge_input(merged, definitions)

    def merge_union(
        self, merged: MergedType, definitions: list[tuple[Subgraph, TypeDefinition]]
    ) -> None:
        for subgraph, definition in definitions:
            for member in definition.members:
                merged.join.append(
                    join_directive(
                        "join__unionMember", graph=self.graph(subgraph), member=member
                    )
                )
                if member not in merged.members:
                    merged.members.append(member)
        for member in merged.members:
            having = [s.name for s, d in definitions if member in d.members]
            missing = [s.name for s, d in definitions if member not in d.members]
            if missing:
                self.hints.append(
                    CompositionHint(
                        HintCode.INCONSISTENT_UNION_MEMBER,
                        f'Union type "{merged.name}" includes member type "{member}" in'
                        f' some but not all defining subgraphs: "{member}" is defined'
                        f" in {subgraph_names(having)} but not in"
                        f" {subgraph_names(missing)}.",
                        tuple(having + missing),
                        merged.name,
                    )
                )

    # -- fields ------------------------------------------------------------------

    def field_sources(
        self, type_name: str, field_name: str, subgraphs: list[Subgraph]
    ) -> list[SubgraphField]:
        sources = [
            SubgraphField(s, s.types[type_name].fields[field_name])
            for s in subgraphs
            if field_name in s.types[type_name].fields
        ]
        errors, hints = resolve_overrides(
            sources, type_name, field_name, list(self.by_name)
        )
        self.errors += errors
        self.hints += hints
        return sources

    def merge_fields(
        self, merged: MergedType, definitions: list[tuple[Subgraph, TypeDefinition]]
    ) -> None:
        subgraphs = [s for s, _ in definitions]
        names: list[str] = []
        for _, definition in definitions:
            names.extend(n for n in definition.fields if n not in names)
        for field_name in names:
            sources = self.field_sources(merged.name, field_name, subgraphs)
            if merged.kind == "object":
                self.validate_shareable(merged.name, field_name, sources)
            self.merge_field(merged, field_name, sources, subgraphs)

    def validate_shareable(
        self, type_name: str, field_name: str, sources: list[SubgraphField]
    ) -> None:
        resolving = [
            s
            for s in sources
            if not s.field.external
            and not s.unused_overridden
            and not s.used_overridden
        ]
        if len(resolving) < 2:
            return
        non_shareable = [
            s.subgraph.name
            for s in resolving
            if not (
                s.field.shareable
                or s.subgraph.is_federation_1
                or (type_name, field_name) in s.subgraph.key_fields
            )
        ]
        if not non_shareable:
            return
        where = (
            "all of them"
            if len(non_shareable) == len(resolving)
            else subgraph_names(non_shareable)
        )
        typo = next(
            (
                s.subgraph.name
                for s in resolving
                if s.unknown_override_target and s.subgraph.name in non_shareable
            ),
            None,
        )
        if typo is not None:
            where += (
                f' (please note that "{type_name}.{field_name}" has an @override'
                f' directive in "{typo}" that targets an unknown subgraph so this could'
                " be due to misspelling the @override(from:) argument)"
            )
        self.errors.append(
            CompositionError(
                ErrorCode.INVALID_FIELD_SHARING,
                f'Non-shareable field "{type_name}.{field_name}" is resolved from'
                " multiple subgraphs: it is resolved from"
                f" {subgraph_names([s.subgraph.name for s in resolving])} and defined"
                f" as non-shareable in {where}",
                tuple(s.subgraph.name for s in resolving),
                type_name,
                field_name,
            )
        )

    def merge_field(
        self,
        merged: MergedType,
        field_name: str,
        sources: list[SubgraphField],
        subgraphs: list[Subgraph],
    ) -> None:
        coordinate = f"{merged.name}.{field_name}"
        if all(s.field.external for s in sources):
            self.errors.append(
                CompositionError(
                    ErrorCode.EXTERNAL_MISSING_ON_BASE,
                    f'Field "{coordinate}" is marked @external on all the subgraphs in'
                    " which it is listed"
                    f" ({subgraph_names([s.subgraph.name for s in sources])}).",
                    tuple(s.subgraph.name for s in sources),
                    merged.name,
                    field_name,
                )
            )
            return
        for source in sources:
            if not source.field.external:
                continue
            for directive in source.field.directives:
                if directive.name.value in BUILT_IN_DIRECTIVES:
                    continue
                self.errors.append(
                    CompositionError(
                        ErrorCode.MERGED_DIRECTIVE_APPLICATION_ON_EXTERNAL,
                        f"[{source.subgraph.name}] Cannot apply merged directive"
                        f' {print_ast(directive)} to external field "{coordinate}"',
                        (source.subgraph.name,),
                        merged.name,
                        field_name,
                    )
                )
        internal = [s for s in sources if not s.field.external]
        field_type, all_equal = self.merge_type_reference(
            coordinate,
            [(s.subgraph, s.field.type) for s in internal],
            input_position=False,
            element="field",
            type_name=merged.name,
            field_name=field_name,
        )
        self.validate_external_types(coordinate, sources, field_type, all_equal)
        result = MergedField(field_name, field_type)
        result.description = self.merge_description(
            coordinate, [(s.subgraph, s.field.description) for s in internal]
        )
        applications = [d for s in internal for d in s.field.directives]
        if merged.kind == "interface":
            applications += self.implementations_access_control(merged.name, field_name)
        result.directives = merge_directives(applications, self.repeatable)
        result.arguments = self.merge_arguments(
            coordinate,
            [(s.subgraph, s.field) for s in internal],
            merged.name,
            field_name,
        )
        if self.needs_join_field(sources, subgraphs, all_equal):
            for source in sources:
                if source.unused_overridden and source.override_label is None:
                    continue
                result.join.append(
                    join_directive(
                        "join__field",
                        graph=self.graph(source.subgraph),
                        requires=source.field.requires,
                        provides=source.field.provides,
                        type=None if all_equal else source.field.type,
                        external=source.field.external,
                        override=source.field.override_from,
                        usedOverridden=source.used_overridden,
                        overrideLabel=source.override_label,
                        contextArguments=context_arguments(
                            source.subgraph.name, source.field.context_arguments
                        ),
                    )
                )
        result.join += [
            cache_tag_directive(self.graph(source.subgraph), tag)
            for source in sources
            for tag in source.field.cache_tags
        ]
        merged.fields[field_name] = result

    def validate_external_types(
        self,
        coordinate: str,
        sources: list[SubgraphField],
        merged_type: TypeReference,
        all_equal: bool,
    ) -> None:
        """An @external declaration must agree with the type the owners resolve."""
        if all(
            s.field.type == merged_type
            or (not all_equal and self.is_subtype(s.field.type, merged_type))
            for s in sources
            if s.field.external
        ):
            return
        groups = group_by_value([(s.subgraph, s.field.type) for s in sources])
        groups.sort(key=lambda group: group[0] != merged_type)
        described = " but ".join(
            f'type "{t}" in {subgraph_names(names)}' for t, names in groups[:2]
        ) + "".join(f' and type "{t}" in {subgraph_names(n)}' for t, n in groups[2:])
        type_name, field_name = coordinate.split(".", 1)
        self.errors.append(
            CompositionError(
                ErrorCode.EXTERNAL_TYPE_MISMATCH,
                f'Type of field "{coordinate}" is incompatible across subgraphs (where'
                f" marked @external): it has {described}",
                tuple(s.subgraph.name for s in sources),
                type_name,
                field_name,
            )
        )

    def needs_join_field(
        self, sources: list[SubgraphField], subgraphs: list[Subgraph], all_equal: bool
    ) -> bool:
        if not all_equal:
            return True
        if any(s.used_overridden or s.override_label for s in sources):
            return True
        if any(s.field.context_arguments for s in sources):
            return True
        having = {s.subgraph.name: s for s in sources}
        for subgraph in subgraphs:
            source = having.get(subgraph.name)
            if source is None or source.unused_overridden:
                return True
            if source.field.external or source.field.requires or source.field.provides:
                return True
        return False

    def merge_arguments(
        self,
        coordinate: str,
        sources: list[tuple[Subgraph, Field]]
        | list[tuple[Subgraph, ExecutableDirective]],
        type_name: str,
        field_name: str | None,
    ) -> dict[str, MergedArgument]:
        names: list[str] = []
        for _, source in sources:
            names.extend(n for n in source.arguments if n not in names)
        merged: dict[str, MergedArgument] = {}
        for name in names:
            argument_coordinate = f"{coordinate}({name}:)"
            having = [(s, f.arguments[name]) for s, f in sources if name in f.arguments]
            missing = [s.name for s, f in sources if name not in f.arguments]
            if missing:
                required = [
                    s.name for s, a in having if a.type.non_null and a.default is None
                ]
                if required:
                    self.errors.append(
                        CompositionError(
                            ErrorCode.REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH,
                            f'Argument "{argument_coordinate}" is required in some'
                            " subgraphs but does not appear in all subgraphs: it is"
                            f" required in {subgraph_names(required)} but does not"
                            f" appear in {subgraph_names(missing)}",
                            tuple(required + missing),
                            type_name,
                            field_name,
                        )
                    )
                else:
                    self.hints.append(
                        CompositionHint(
                            HintCode.INCONSISTENT_ARGUMENT_PRESENCE,
                            f'Optional argument "{argument_coordinate}" will not be'
                            " included in the supergraph as it does not appear in all"
                            " subgraphs: it is defined in"
                            f" {subgraph_names([s.name for s, _ in having])} but not in"
                            f" {subgraph_names(missing)}.",
                            tuple(s.name for s, _ in having) + tuple(missing),
                            type_name,
                            field_name,
                        )
                    )
                continue
            argument_type, _ = self.merge_type_reference(
                argument_coordinate,
                [(s, a.type) for s, a in having],
                input_position=True,
                element="argument",
                type_name=type_name,
                field_name=field_name,
            )
            merged[name] = MergedArgument(
                name,
                argument_type,
                self.merge_default(argument_coordinate, having, type_name, field_name),
                self.merge_description(
                    argument_coordinate, [(s, a.description) for s, a in having]
                ),
                merge_directives(
                    (d for _, a in having for d in a.directives), self.repeatable
                ),
            )
        return merged

    def merge_default(
        self,
        coordinate: str,
        having: list[tuple[Subgraph, Argument]] | list[tuple[Subgraph, Field]],
        type_name: str,
        field_name: str | None,
    ) -> ValueNode | None:
        defaults = [
            (s, print_ast(a.default) if a.default is not None else None)
            for s, a in having
        ]
        present = [(s, d) for s, d in defaults if d is not None]
        if not present:
            return None
        absent = [s.name for s, d in defaults if d is None]
        kind = "Argument" if "(" in coordinate else "Input field"
        if absent:
            self.hints.append(
                CompositionHint(
                    HintCode.INCONSISTENT_DEFAULT_VALUE_PRESENCE,
                    f'{kind} "{coordinate}" has a default value in only some'
                    " subgraphs: will not use a default in the supergraph (there is no"
                    f' default in {subgraph_names(absent)}) but "{coordinate}" has'
                    + " and ".join(
                        f" default value {d} in {subgraph_names([s.name])}"
                        for s, d in present
                    )
                    + ".",
                    tuple(s.name for s, _ in defaults),
                    type_name,
                    field_name,
                )
            )
            return None
        if len({d for _, d in present}) > 1:
            groups = group_by_value(present)
            described = " but ".join(
                f"default value {d} in {subgraph_names(n)}" for d, n in groups
            )
            code = (
                ErrorCode.FIELD_ARGUMENT_DEFAULT_MISMATCH
                if kind == "Argument"
                else ErrorCode.INPUT_FIELD_DEFAULT_MISMATCH
            )
            self.errors.append(
                CompositionError(
                    code,
                    f'{kind} "{coordinate}" has incompatible default values across'
                    f" subgraphs: it has {described}",
                    tuple(s.name for s, _ in present),
                    type_name,
                    field_name,
                )
            )
            return None
        return having[0][1].default

    def merge_input(
        self, merged: MergedType, definitions: list[tuple[Subgraph, TypeDefinition]]
    ) -> None:
        names: list[str] = []
        for _, definition in definitions:
            names.extend(n for n in definition.fields if n not in names)
        for name in names:
            coordinate = f"{merged.name}.{name}"
            having = [(s, d.fields[name]) for s, d in definitions if name in d.fields]
            missing = [s.name for s, d in definitions if name not in d.fields]
            if missing:
                required = [
                    s.name for s, f in having if f.type.non_null and f.default is None
                ]
                if required:
                    self.errors.append(
                        CompositionError(
                            ErrorCode.REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH,
                            f'Input object field "{coordinate}" is required in some'
                            " subgraphs but does not appear in all subgraphs: it is"
                            f" required in {subgraph_names(required)} but does not"
                            f" appear in {subgraph_names(missing)}",
                            tuple(required + missing),
                            merged.name,
                            name,
                        )
                    )
                else:
                    self.hints.append(
                        CompositionHint(
                            HintCode.INCONSISTENT_INPUT_OBJECT_FIELD,
                            f'Input object field "{name}" will not be added to'
                            f' "{merged.name}" in the supergraph as it does not appear'
                            " in all subgraphs: it is defined in"
                            f" {subgraph_names([s.name for s, _ in having])} but not"
                            f" in {subgraph_names(missing)}.",
                            tuple(s.name for s, _ in having) + tuple(missing),
                            merged.name,
                            name,
                        )
                    )
                continue
            field_type, all_equal = self.merge_type_reference(
                coordinate,
                [(s, f.type) for s, f in having],
                input_position=True,
                element="field",
                type_name=merged.name,
                field_name=name,
            )
            result = MergedField(name, field_type)
            result.description = self.merge_description(
                coordinate, [(s, f.description) for s, f in having]
            )
            result.directives = merge_directives(
                (d for _, f in having for d in f.directives), self.repeatable
            )
            result.default = self.merge_default(coordinate, having, merged.name, name)
            if not all_equal:
                result.join = [
                    join_directive("join__field", graph=self.graph(s), type=f.type)
                    for s, f in having
                ]
            merged.fields[name] = result

    def add_interface_object_fields(self) -> None:
        """Give each implementation the fields @interfaceObject subgraphs add to its
        interface (resolved through the interface's key, hence a bare @join__field)."""
        for interface in self.types.values():
            if interface.kind != "interface":
                continue
            added: list[str] = []
            for _, definition in self.definitions(interface.name):
                if definition.interface_object:
                    added.extend(n for n in definition.fields if n not in added)
            if not added:
                continue
            for merged in self.types.values():
                if merged.kind != "object" or interface.name not in merged.interfaces:
                    continue
                for name in added:
                    if name in merged.fields:
                        continue
                    source = interface.fields[name]
                    merged.fields[name] = MergedField(
                        name,
                        source.type,
                        source.description,
                        dict(source.arguments),
                        join=["@join__field"],
                        directives=list(source.directives),
                    )

    # -- enums -------------------------------------------------------------------

    def enum_usage(self, name: str) -> tuple[str | None, str | None]:
        """The first input and output position (coordinates) that use an enum."""
        as_input: str | None = None
        as_output: str | None = None
        for merged in self.types.values():
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

    def merge_enum(self, name: str) -> None:
        """An enum's values by where it is used: the union of the subgraphs' values
        for an enum only in outputs, the intersection for one only in inputs, the
        same values everywhere for one in both (ENUM_VALUE_MISMATCH); every value
        records the subgraphs defining it with @join__enumValue."""
        merged = self.types[name]
        definitions = self.definitions(name)
        values: list[str] = []
        for _, definition in definitions:
            values.extend(v for v in definition.values if v not in values)
        as_input, as_output = self.enum_usage(name)
        if as_input is None and as_output is None:
            self.hints.append(
                CompositionHint(
                    HintCode.UNUSED_ENUM_TYPE,
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
            and not any(
                all(value in d.values for _, d in definitions) for value in values
            )
        ):
            self.errors.append(
                CompositionError(
                    ErrorCode.EMPTY_MERGED_ENUM_TYPE,
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
                self.errors.append(
                    CompositionError(
                        ErrorCode.ENUM_VALUE_MISMATCH,
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
                self.hints.append(
                    CompositionHint(
                        HintCode.INCONSISTENT_ENUM_VALUE_FOR_INPUT_ENUM,
                        f'Value "{value}" of enum type "{name}" will not be part of the'
                        " supergraph as it is not defined in all the subgraphs defining"
                        f' "{name}": {in_some}.',
                        tuple(s.name for s, _ in definitions),
                        name,
                    )
                )
                continue
            if missing:
                self.hints.append(
                    CompositionHint(
                        HintCode.INCONSISTENT_ENUM_VALUE_FOR_OUTPUT_ENUM,
                        f'Value "{value}" of enum type "{name}" has been added to the'
                        " supergraph but is only defined in a subset of the subgraphs"
                        f' defining "{name}": {in_some}.',
                        tuple(s.name for s, _ in definitions),
                        name,
                    )
                )
            merged.values[value] = MergedValue(
                value,
                self.merge_description(
                    f"{name}.{value}",
                    [
                        (s, d.values[value].description)
                        for s, d in definitions
                        if value in d.values
                    ],
                ),
                [
                    join_directive("join__enumValue", graph=self.graph(s))
                    for s in having
                ],
                merge_directives(
                    (
                        x
                        for _, d in definitions
                        if value in d.values
                        for x in d.values[value].directives
                    ),
                    self.repeatable,
                ),
            )


def _description_block(text: str | None) -> str:
    # Apollo indents only the first line break (JavaScript's String.replace).
    return '  """\n  ' + (text or "").replace("\n", "\n  ", 1) + '\n  """'


def merge_subgraphs(
    subgraphs: list[Subgraph], repeatable: frozenset[str]
) -> tuple[MergedSupergraph, list[CompositionError], list[CompositionHint]]:
    """Merge read subgraphs; returns the supergraph model, errors and hints."""
    merger = Merger(subgraphs, repeatable)
    supergraph = merger.merge()
    return supergraph, merger.errors, merger.hints
