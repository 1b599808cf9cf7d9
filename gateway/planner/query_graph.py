"""The query graph: what each subgraph can resolve, and how to move between them.

The federation specs' questions, answered from the supergraph's join metadata for one
set of enabled progressive-override labels: can subgraph S resolve field T.f itself
(@external, @provides, @override), which subgraphs can take over a field through an
entity key (and through @interfaceObject), which key S can supply, which object types
an abstract type may be in S. Apollo's query planner keeps the same knowledge as a
graph of (type, subgraph) vertices with key and field edges (`QueryGraph`); here the
edges are computed on demand and memoized.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphql import (
    FieldNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLUnionType,
    InlineFragmentNode,
    SelectionSetNode,
)

from ..errors import PlanningError
from ._selections import FieldSel, FragmentSel

if TYPE_CHECKING:
    from collections.abc import Callable

    from graphql import GraphQLOutputType

    from ..supergraph import EntityKey, Supergraph
    from ._selections import Sel
    from .budget import BudgetMeter

__all__ = ["Provided", "QueryGraph", "merge_selection_sets"]

# Fields a @provides makes resolvable here -> what of their selection it provides.
Provided = dict[str, "SelectionSetNode | None"]


class QueryGraph:
    """Answers planning questions about `supergraph` for `override_labels`."""

    def __init__(
        self,
        supergraph: Supergraph,
        override_labels: frozenset[str] = frozenset(),
        meter: BudgetMeter | None = None,
    ) -> None:
        self.sg = supergraph
        self.schema = supergraph.schema
        self.labels = override_labels
        self._field_types: dict[tuple[str, str], tuple[str, int]] = {}
        # Counts the selections `local_score` weighs (the paths a walk tries).
        self.meter = meter

    def is_abstract(self, type_name: str) -> bool:
        graphql_type = self.schema.type_map.get(type_name)
        return isinstance(graphql_type, GraphQLInterfaceType | GraphQLUnionType)

    def knows(self, subgraph: str, type_name: str) -> bool:
        join_type = self.sg.types.get(type_name)
        return join_type is not None and subgraph in join_type.graphs

    def interface_object_in(self, subgraph: str, type_name: str) -> bool:
        join_type = self.sg.types.get(type_name)
        return join_type is not None and join_type.is_interface_object_in(subgraph)

    def field_type(self, parent: str, name: str) -> tuple[str, int]:
        """Named type of `parent.name` and how many lists wrap it."""
        cached = self._field_types.get((parent, name))
        if cached is not None:
            return cached
        graphql_type = self.schema.type_map.get(parent)
        fields = getattr(graphql_type, "fields", None) or {}
        if name not in fields:
            raise PlanningError(f"Type '{parent}' has no field '{name}'.")
        output: GraphQLOutputType = fields[name].type
        depth = 0
        while isinstance(output, GraphQLNonNull | GraphQLList):
            if isinstance(output, GraphQLList):
                depth += 1
            output = output.of_type
        result = (output.name, depth)
        self._field_types[(parent, name)] = result
        return result

    def field_type_in(self, subgraph: str, parent: str, name: str) -> str:
        """Named type of `parent.name` as `subgraph` declares it: join__field
        `type:` records it where subgraphs differ (a union in the supergraph may be
        one of its members in a subgraph)."""
        named, _ = self.field_type(parent, name)
        join_field = self.sg.field(parent, name)
        source = join_field.source(subgraph) if join_field else None
        if source is None or not source.type:
            return named
        declared = source.type.strip("[]!")
        return declared if declared in self.schema.type_map else named

    def abstract_types_of(self, type_name: str) -> tuple[str, ...]:
        """The interfaces an object type implements and the unions holding it (a
        context set on one is set by the object, Federation spec "@context")."""
        graphql_type = self.schema.type_map.get(type_name)
        if not isinstance(graphql_type, GraphQLObjectType):
            return ()
        found = [i.name for i in graphql_type.interfaces]
        found += [
            t.name
            for t in self.schema.type_map.values()
            if isinstance(t, GraphQLUnionType) and graphql_type in t.types
        ]
        return tuple(found)

    def possible_in(self, subgraph: str, type_name: str) -> frozenset[str]:
        """Object types `subgraph` may return as a `type_name` (all of the
        supergraph's where the subgraph lists none, as for an @interfaceObject)."""
        if not self.is_abstract(type_name):
            return frozenset((type_name,))
        own = self.sg.possible_types(type_name, subgraph)
        return frozenset(own or self.possible(type_name))

    def possible(self, type_name: str) -> tuple[str, ...]:
        """Object types an object of `type_name` can be, in the whole supergraph."""
        graphql_type = self.schema.type_map.get(type_name)
        if isinstance(graphql_type, GraphQLObjectType):
            return (type_name,)
        if isinstance(graphql_type, GraphQLInterfaceType | GraphQLUnionType):
            return tuple(t.name for t in self.schema.get_possible_types(graphql_type))
        return ()

    def resolvable(
        self, subgraph: str, parent: str, name: str, provided: Provided
    ) -> bool:
        """Whether `subgraph` returns `parent.name` itself on the `parent` objects
        it returns (`provided`: what a @provides above makes available). On an
        interface, every implementation `subgraph` knows must resolve it too."""
        if name in provided:
            return True
        join_type = self.sg.types.get(parent)
        join_field = join_type.fields.get(name) if join_type else None
        if join_type is None or join_field is None:
            return False
        source = join_field.source(subgraph)
        if source is None or not source.resolves(self.labels):
            # A subgraph can always return the fields of the keys it declares on a
            # type it extends, even when it marks them @external (Federation 1
            # style extensions); on a type it defines, an @external key field is
            # not its to resolve.
            return (
                source is not None
                and source.external
                and name in self.key_fields(subgraph, parent, extensions_only=True)
            )
        if join_type.kind == "INTERFACE" and not join_type.is_interface_object_in(
            subgraph
        ):
            for member in self.sg.possible_types(parent, subgraph):
                member_field = self.sg.field(member, name)
                if member_field is None:
                    continue
                member_source = member_field.source(subgraph)
                if member_source is None or not member_source.resolves(self.labels):
                    return False
        return True

    def key_fields(
        self, subgraph: str, parent: str, *, extensions_only: bool = False
    ) -> set[str]:
        join_type = self.sg.types.get(parent)
        if join_type is None:
            return set()
        return {
            node.name.value
            for key in join_type.keys_in(subgraph)
            if key.extension or not extensions_only
            for node in key.selection_set.selections
            if isinstance(node, FieldNode)
        }

    def provided_fields(
        self, provided: SelectionSetNode | None, parent: str
    ) -> Provided:
        found: Provided = {}
        for node in provided.selections if provided else ():
            if isinstance(node, FieldNode):
                found[node.name.value] = merge_selection_sets(
                    found.get(node.name.value), node.selection_set
                )
            elif isinstance(node, InlineFragmentNode):
                condition = (
                    node.type_condition.name.value if node.type_condition else None
                )
                if condition is None or parent in self.possible(condition):
                    for name, sub in self.provided_fields(
                        node.selection_set, parent
                    ).items():
                        found[name] = merge_selection_sets(found.get(name), sub)
        return found

    def fetchable(
        self, subgraph: str, parent: str, selection_set: SelectionSetNode
    ) -> bool:
        """Whether `subgraph` can return these (key) fields of a `parent` object."""
        own_keys = self.key_fields(subgraph, parent, extensions_only=True)
        for node in selection_set.selections:
            if isinstance(node, InlineFragmentNode):
                condition = (
                    node.type_condition.name.value if node.type_condition else parent
                )
                if not self.fetchable(subgraph, condition, node.selection_set):
                    return False
                continue
            if not isinstance(node, FieldNode):
                return False
            name = node.name.value
            if name == "__typename":
                continue
            if name not in own_keys and not self.resolvable(subgraph, parent, name, {}):
                return False
            if node.selection_set is not None:
                named, _ = self.field_type(parent, name)
                if not self.fetchable(subgraph, named, node.selection_set):
                    return False
        return True

    def placeable(self, subgraph: str, parent: str, sel: Sel) -> bool:
        if isinstance(sel, FragmentSel):
            return self.knows(subgraph, sel.type_condition or parent)
        if sel.name == "__typename":
            return True
        return self.resolvable(subgraph, parent, sel.name, {})

    def local_score(
        self,
        subgraph: str,
        parent: str,
        selections: list[Sel],
        provided: SelectionSetNode | None = None,
    ) -> int:
        """How many of `selections` (recursively) `subgraph` resolves without a jump,
        counting what its @provides (`provided`, from the field above) make local."""
        score = 0
        fields = self.provided_fields(provided, parent)
        if self.meter is not None:
            self.meter.tick(len(selections))
        for sel in selections:
            if isinstance(sel, FragmentSel):
                condition = sel.type_condition or parent
                if self.knows(subgraph, condition):
                    score += self.local_score(
                        subgraph, condition, sel.selections, provided
                    )
                continue
            if sel.name == "__typename":
                continue
            if not self.resolvable(subgraph, parent, sel.name, fields):
                continue
            score += 1
            if sel.selections:
                named, _ = self.field_type(parent, sel.name)
                sub_provided = merge_selection_sets(
                    fields.get(sel.name), self.provides(subgraph, parent, sel.name)
                )
                score += self.local_score(subgraph, named, sel.selections, sub_provided)
        return score

    def requires_of(
        self, subgraph: str, parent: str, name: str
    ) -> SelectionSetNode | None:
        """The @requires selection of `parent.name` in `subgraph`, if any."""
        join_field = self.sg.field(parent, name)
        source = join_field.source(subgraph) if join_field else None
        return source.requires_selection_set if source else None

    def requires_in(self, subgraph: str, parent: str, sel: FieldSel) -> bool:
        if self.is_abstract(parent):
            return False
        join_field = self.sg.field(parent, sel.name)
        source = join_field.source(subgraph) if join_field else None
        return source is not None and source.requires_selection_set is not None

    def provides(
        self, subgraph: str, parent: str, name: str
    ) -> SelectionSetNode | None:
        join_field = self.sg.field(parent, name)
        source = join_field.source(subgraph) if join_field else None
        return source.provides_selection_set if source else None

    def jump_targets(self, parent: str, name: str) -> list[tuple[str, str]]:
        options = [
            (g, parent) for g in self.sg.resolving_graphs(parent, name, self.labels)
        ]
        graphql_type = self.schema.type_map.get(parent)
        for interface in getattr(graphql_type, "interfaces", ()):
            for subgraph in self.sg.resolving_graphs(interface.name, name, self.labels):
                if self.interface_object_in(subgraph, interface.name):
                    options.append((subgraph, interface.name))
        return options

    def key_for(
        self, from_subgraph: str, parent: str, subgraph: str, entity_type: str
    ) -> EntityKey | None:
        """A key of `entity_type` in `subgraph` that `from_subgraph` can fetch on
        its `parent` objects (the jump from there to `subgraph`), if any."""
        return self.resolvable_key(
            entity_type,
            subgraph,
            lambda key: self.fetchable(from_subgraph, parent, key.selection_set),
        )

    def resolvable_key(
        self,
        type_name: str,
        subgraph: str,
        accepts: Callable[[EntityKey], bool],
    ) -> EntityKey | None:
        """The first resolvable key `subgraph` declares for `type_name` that
        `accepts` takes, if any."""
        join_type = self.sg.types.get(type_name)
        for key in join_type.keys_in(subgraph) if join_type else ():
            if key.resolvable and accepts(key):
                return key
        return None


def merge_selection_sets(
    first: SelectionSetNode | None, second: SelectionSetNode | None
) -> SelectionSetNode | None:
    """Both selection sets as one (None when both are None)."""
    if first is None:
        return second
    if second is None:
        return first
    return SelectionSetNode(selections=(*first.selections, *second.selections))
