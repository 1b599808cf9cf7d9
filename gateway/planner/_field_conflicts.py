"""Keep a subgraph operation valid where the client's is: fields of one response
key in sibling fragments whose types differ *in that subgraph* (GraphQL spec,
"Field Selection Merging", SameResponseShape) get an internal alias, undone by an
output KeyRenamer of the fetch. The supergraph may agree where a subgraph does not
(a shareable `String!` merged with a `String` elsewhere), so the client's
operation validates and the subgraph's would not."""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphql import is_composite_type

from ._selections import FieldSel, FragmentSel
from .plan import KeyRenamer

if TYPE_CHECKING:
    from ..supergraph import Supergraph
    from ._selections import Sel

__all__ = ["alias_conflicting_fields"]

_PREFIX = "__agora_shape_"


def alias_conflicting_fields(
    supergraph: Supergraph,
    subgraph: str,
    selections: list[Sel],
    parent: str | None,
) -> tuple[list[Sel], list[KeyRenamer]]:
    """`selections` (on `parent` objects) with conflicting fields aliased, and the
    renames that restore their response keys in the fetched data. Fields whose
    composite types differ are not compared further (a rare shape, left as is)."""
    renames: list[KeyRenamer] = []
    fixed = _fix(supergraph, subgraph, selections, parent, (), renames, [0])
    return fixed, renames


def _fix(
    supergraph: Supergraph,
    subgraph: str,
    selections: list[Sel],
    parent: str | None,
    path: tuple[str, ...],
    renames: list[KeyRenamer],
    counter: list[int],
) -> list[Sel]:
    seen: dict[str, str] = {}

    def visit(sels: list[Sel], parent_type: str | None) -> list[Sel]:
        out: list[Sel] = []
        for sel in sels:
            if isinstance(sel, FragmentSel):
                inner = visit(sel.selections, sel.type_condition or parent_type)
                out.append(FragmentSel(sel.type_condition, sel.directives, inner))
                continue
            key = sel.response_key
            shape = _type_in(supergraph, subgraph, parent_type, sel.name)
            if sel.name != "__typename" and seen.setdefault(key, shape) != shape:
                counter[0] += 1
                alias = f"{_PREFIX}{counter[0]}_{key}"
                renames.append(KeyRenamer((*path, alias), key))
                sel = FieldSel(
                    name=sel.name,
                    alias=alias,
                    arguments=sel.arguments,
                    directives=sel.directives,
                    selections=sel.selections,
                    type_name=sel.type_name,
                )
            if sel.selections:
                # Renames apply in order: the outer one first, so inner paths
                # use the restored response key.
                sub = _fix(
                    supergraph,
                    subgraph,
                    sel.selections,
                    sel.type_name,
                    (*path, key),
                    renames,
                    counter,
                )
                sel = FieldSel(
                    name=sel.name,
                    alias=sel.alias,
                    arguments=sel.arguments,
                    directives=sel.directives,
                    selections=sub,
                    type_name=sel.type_name,
                )
            out.append(sel)
        return out

    return visit(selections, parent)


def _type_in(
    supergraph: Supergraph, subgraph: str, parent: str | None, name: str
) -> str:
    """The type of `parent.name` as `subgraph` declares it (join__field `type:`
    records it where subgraphs differ), else as the supergraph does."""
    if parent is None:
        return ""
    join_field = supergraph.field(parent, name)
    source = join_field.source(subgraph) if join_field else None
    if source is not None and source.type:
        declared = source.type
    else:
        graphql_type = supergraph.schema.type_map.get(parent)
        fields = getattr(graphql_type, "fields", None) or {}
        declared = str(fields[name].type) if name in fields else ""
    # Only the shape counts: wrappers, and the named type when it is a leaf
    # (composite types may differ; their fields are compared one level down).
    named = declared.strip("[]!")
    if is_composite_type(supergraph.schema.type_map.get(named)):
        return declared.replace(named, "*")
    return declared
