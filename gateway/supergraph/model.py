"""The join metadata of a supergraph as immutable values (join spec v0.1 to v0.5).

The names follow the join spec: a *graph* is a subgraph (referred to here by the `name:`
of its `@join__graph`, not by the enum value), `@join__type` gives the keys a graph
declares for a type, `@join__field` says which graphs resolve a field and how.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from graphql import GraphQLSchema, SelectionSetNode

__all__ = [
    "ContextArgument",
    "EntityKey",
    "FieldSource",
    "JoinField",
    "JoinType",
    "SubgraphInfo",
    "Supergraph",
]


@dataclass(frozen=True, slots=True)
class SubgraphInfo:
    """One subgraph: its `@join__graph(name:, url:)` and its join__Graph enum value."""

    name: str
    url: str
    enum_value: str = ""


@dataclass(frozen=True, slots=True)
class EntityKey:
    """One `@join__type(graph:, key:)`: a key `graph` declares for an entity type."""

    graph: str
    fields: str
    selection_set: SelectionSetNode
    resolvable: bool = True
    extension: bool = False
    is_interface_object: bool = False


@dataclass(frozen=True, slots=True)
class ContextArgument:
    """One join v0.5 `contextArguments` entry (@context / @fromContext): argument
    `name` (of GraphQL type `type`, hidden from the API schema) takes the value of
    `selection` on the nearest ancestor object whose type carries the context."""

    name: str
    type: str
    context: str
    selection: str
    selection_set: SelectionSetNode


@dataclass(frozen=True, slots=True)
class FieldSource:
    """One `@join__field` application: how `graph` knows a field."""

    graph: str
    requires: str | None = None
    provides: str | None = None
    type: str | None = None
    external: bool = False
    override: str | None = None
    override_label: str | None = None
    used_overridden: bool = False
    requires_selection_set: SelectionSetNode | None = None
    provides_selection_set: SelectionSetNode | None = None
    context_arguments: tuple[ContextArgument, ...] = ()

    def resolves(self, override_labels: frozenset[str]) -> bool:
        """Whether `graph` resolves the field itself for this request.

        External sources never do, nor do used-overridden ones of a plain
        @override. A progressive override (`override_label`) is decided by the
        enabled labels: the overriding graph (with `override:`) resolves the field
        when the label is enabled, the overridden one (label but no `override:`)
        when it is not.
        """
        if self.external:
            return False
        if self.override_label is not None:
            # Progressive: the label decides, even for a graph that still uses
            # the field (`usedOverridden`) while it is being migrated away.
            enabled = self.override_label in override_labels
            return enabled if self.override is not None else not enabled
        return not self.used_overridden


@dataclass(frozen=True, slots=True)
class JoinField:
    """A field of the supergraph with the graphs that know it.

    `sources` is empty for a field no graph resolves directly (the `@join__field` with
    no graph that composition puts on fields reached only through an
    @interfaceObject).
    """

    parent: str
    name: str
    sources: tuple[FieldSource, ...]

    def source(self, graph: str) -> FieldSource | None:
        for source in self.sources:
            if source.graph == graph:
                return source
        return None

    def resolving_graphs(
        self, override_labels: frozenset[str] = frozenset()
    ) -> tuple[str, ...]:
        return tuple(s.graph for s in self.sources if s.resolves(override_labels))


@dataclass(frozen=True, slots=True)
class JoinType:
    """A named type of the supergraph with the graphs that define it."""

    name: str
    kind: str
    graphs: tuple[str, ...]
    keys: tuple[EntityKey, ...] = ()
    implements: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    union_members: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    enum_values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    fields: Mapping[str, JoinField] = field(default_factory=dict)
    # Names of the contexts (`@context(name:)`) objects of this type set.
    contexts: tuple[str, ...] = ()

    def keys_in(self, graph: str) -> tuple[EntityKey, ...]:
        return tuple(key for key in self.keys if key.graph == graph)

    def is_interface_object_in(self, graph: str) -> bool:
        return any(k.is_interface_object for k in self.keys if k.graph == graph)


@dataclass(frozen=True, slots=True)
class Supergraph:
    """A parsed supergraph: build once with `load_supergraph`, share everywhere.

    `schema` is the whole supergraph (join machinery included); `api_schema` is what
    clients see. `types` holds the join metadata of every named type of `schema` that
    is not itself link/join machinery.
    """

    sdl: str
    schema: GraphQLSchema
    api_schema: GraphQLSchema
    subgraphs: Mapping[str, SubgraphInfo]
    types: Mapping[str, JoinType]
    join_version: str
    federation_version: int

    def type(self, name: str) -> JoinType:
        return self.types[name]

    def field(self, parent: str, name: str) -> JoinField | None:
        join_type = self.types.get(parent)
        if join_type is None:
            return None
        return join_type.fields.get(name)

    def resolving_graphs(
        self,
        parent: str,
        name: str,
        override_labels: frozenset[str] = frozenset(),
    ) -> tuple[str, ...]:
        """The graphs that resolve `parent.name` themselves, in subgraph order."""
        join_field = self.field(parent, name)
        if join_field is None:
            return ()
        return join_field.resolving_graphs(override_labels)

    def possible_types(
        self, abstract: str, graph: str | None = None
    ) -> tuple[str, ...]:
        """Object types that may appear where `abstract` is expected.

        With `graph`, only those the graph itself knows as members/implementations.
        """
        join_type = self.types.get(abstract)
        if join_type is None:
            return ()
        if join_type.kind == "OBJECT":
            return (abstract,)
        if join_type.kind == "UNION":
            if graph is not None:
                return join_type.union_members.get(graph, ())
            members: dict[str, None] = {}
            for names in join_type.union_members.values():
                members.update(dict.fromkeys(names))
            return tuple(members)
        found: list[str] = []
        for candidate in self.types.values():
            if candidate.kind != "OBJECT":
                continue
            if graph is None:
                if any(abstract in i for i in candidate.implements.values()):
                    found.append(candidate.name)
            elif abstract in candidate.implements.get(graph, ()):
                found.append(candidate.name)
        return tuple(found)
