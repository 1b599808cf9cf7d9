"""Synthetic subgraphs: any federation subgraph SDL answered with data that depends
only on what is asked, so that every subgraph serving a field gives it the same value
and two gateways planning the same operation differently must still agree.

Every object carries a seed: 0 for the root, else drawn from its parent's seed,
the field and the arguments, with the object's type in its low bits. Every key
field of an entity is read back from it (an `ID`/`String` key field holds
`"k<seed>"`, an `Int` one the seed), so an entity reached through `_entities` from
any subgraph is the same object, of the same type. A field's
value is a hash of the object's seed, the field's name and arguments and, for a
@requires field, the required values the representation carried: a gateway that
sends the wrong ones gets another answer. Nulls appear only where every subgraph
declares the field nullable; enum values and union members are drawn from those
every subgraph declaring the type knows.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import orjson
from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    graphql,
    parse,
)

from tests.conformance.harness import build_subgraph_schema

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from graphql import GraphQLOutputType, GraphQLResolveInfo, GraphQLSchema

__all__ = ["SyntheticGraph"]

Record = dict[str, Any]
# Seeds are a draw times _TYPES plus the index of the object's type: small enough
# for an `Int` key.
_DRAWS = 100_000
_TYPES = 256
_SEED = "__seed"
_REPRESENTATION = "__representation"


def _hash(*parts: object) -> int:
    digest = hashlib.blake2b(
        orjson.dumps(parts, default=str, option=orjson.OPT_SORT_KEYS), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big")


class SyntheticGraph:
    """The subgraphs of one supergraph, answered synthetically (see module doc)."""

    def __init__(self, sdls: Mapping[str, str]) -> None:
        self.sdls = dict(sdls)
        self.schemas = {name: build_subgraph_schema(sdl) for name, sdl in sdls.items()}
        # Type -> names of its key fields (top level) in any subgraph.
        self.key_fields: dict[str, set[str]] = {}
        # (type, field) -> whether every subgraph declaring it allows null.
        self.nullable: dict[tuple[str, str], bool] = {}
        # (type, field) in a subgraph -> the top-level names its @requires selects.
        self.requires: dict[tuple[str, str, str], tuple[str, ...]] = {}
        for name, schema in self.schemas.items():
            self._learn(name, schema)
        # Every composite type name of every subgraph, by its index in a seed.
        self.type_names = sorted(
            {
                name
                for schema in self.schemas.values()
                for name, graphql_type in schema.type_map.items()
                if not name.startswith("__")
                and isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType)
            }
        )[:_TYPES]
        self.type_index = {name: i for i, name in enumerate(self.type_names)}

    def seed(self, draw: int, type_name: str) -> int:
        """The seed of a new object of `type_name`."""
        return (draw % _DRAWS) * _TYPES + self.type_index.get(type_name, 0)

    def seed_type(self, seed: int) -> str | None:
        """The type an object was made as (by `seed`)."""
        index = seed % _TYPES
        return self.type_names[index] if index < len(self.type_names) else None

    def _learn(self, subgraph: str, schema: GraphQLSchema) -> None:
        for type_name, graphql_type in schema.type_map.items():
            if type_name.startswith("__") or not isinstance(
                graphql_type, GraphQLObjectType | GraphQLInterfaceType
            ):
                continue
            nodes = [graphql_type.ast_node, *graphql_type.extension_ast_nodes]
            for node in nodes:
                for directive in getattr(node, "directives", None) or ():
                    if directive.name.value == "key":
                        self.key_fields.setdefault(type_name, set()).update(
                            _top_level(_string_argument(directive, "fields"))
                        )
            for field_name, field in graphql_type.fields.items():
                key = (type_name, field_name)
                nullable = not isinstance(field.type, GraphQLNonNull)
                self.nullable[key] = self.nullable.get(key, True) and nullable
                for directive in getattr(field.ast_node, "directives", None) or ():
                    if directive.name.value == "requires":
                        self.requires[(subgraph, type_name, field_name)] = tuple(
                            _top_level(_string_argument(directive, "fields"))
                        )

    def app(self, subgraph: str) -> Callable[..., Awaitable[None]]:
        """An ASGI app answering GraphQL POSTs for `subgraph`."""
        schema = self.schemas[subgraph]
        resolver = _Resolver(self, subgraph, schema)

        async def app(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                return
            body = b""
            more = True
            while more:
                message = await receive()
                body += message.get("body", b"")
                more = message.get("more_body", False)
            payload = orjson.loads(body)
            result = await graphql(
                schema,
                payload["query"],
                root_value={"__typename": "Query", _SEED: 0},
                variable_values=payload.get("variables"),
                operation_name=payload.get("operationName"),
                field_resolver=resolver.resolve,
            )
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send(
                {"type": "http.response.body", "body": orjson.dumps(result.formatted)}
            )

        return app

    def common_members(self, abstract: str, own: list[str]) -> list[str]:
        """Members of `abstract` every subgraph declaring it knows (else `own`)."""
        common = set(own)
        for schema in self.schemas.values():
            graphql_type = schema.type_map.get(abstract)
            if isinstance(graphql_type, GraphQLInterfaceType | GraphQLUnionType):
                common &= {t.name for t in schema.get_possible_types(graphql_type)}
        return sorted(common) or sorted(own)

    def common_values(self, enum: str, own: list[str]) -> list[str]:
        common = set(own)
        for schema in self.schemas.values():
            graphql_type = schema.type_map.get(enum)
            if isinstance(graphql_type, GraphQLEnumType):
                common &= set(graphql_type.values)
        return sorted(common) or sorted(own)


class _Resolver:
    """The field resolver of one synthetic subgraph."""

    def __init__(
        self, graph: SyntheticGraph, subgraph: str, schema: GraphQLSchema
    ) -> None:
        self.graph = graph
        self.subgraph = subgraph
        self.schema = schema

    def resolve(self, parent: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
        name = info.field_name
        if name == "_entities":
            return [self.entity(r) for r in args["representations"]]
        if name == "_service":
            return {"sdl": self.graph.sdls[self.subgraph]}
        if name == "sdl" and isinstance(parent, dict) and "sdl" in parent:
            return parent["sdl"]
        type_name = info.parent_type.name
        seed = parent[_SEED]
        if name in self.graph.key_fields.get(type_name, ()):
            return self.key_value(parent, name, info.return_type)
        mix: tuple[object, ...] = (seed, name, args)
        required = self.graph.requires.get((self.subgraph, type_name, name))
        if required is not None:
            representation = parent.get(_REPRESENTATION)
            if representation is None:
                mix = (*mix, "resolved without its requirements")
            else:
                mix = (*mix, [representation.get(r) for r in required])
        value = _hash(*mix)
        if self.graph.nullable.get((type_name, name), False) and value % 9 == 0:
            return None
        return self.value(info.return_type, value, type_name, name)

    def value(
        self, output: GraphQLOutputType, value: int, parent: str, field: str
    ) -> Any:
        if isinstance(output, GraphQLNonNull):
            return self.value(output.of_type, value, parent, field)
        if isinstance(output, GraphQLList):
            return [
                self.value(output.of_type, _hash(value, index), parent, field)
                for index in range(value % 4)
            ]
        if isinstance(output, GraphQLEnumType):
            values = self.graph.common_values(output.name, list(output.values))
            return values[value % len(values)]
        if isinstance(output, GraphQLScalarType):
            return _scalar(output.name, value, field)
        if isinstance(output, GraphQLInterfaceType | GraphQLUnionType):
            own = [t.name for t in self.schema.get_possible_types(output)]
            members = self.graph.common_members(output.name, own)
            type_name = members[value % len(members)] if members else output.name
        else:
            type_name = output.name
        return {"__typename": type_name, _SEED: self.graph.seed(value, type_name)}

    def key_value(self, parent: Record, name: str, output: GraphQLOutputType) -> Any:
        """A key field: read back from the seed by `entity`, in every subgraph."""
        seed = parent[_SEED]
        while isinstance(output, GraphQLNonNull | GraphQLList):
            if isinstance(output, GraphQLList):
                return [self.key_value(parent, name, output.of_type)]
            output = output.of_type
        if isinstance(output, GraphQLScalarType):
            if output.name in ("Int", "Float"):
                return seed
            if output.name == "Boolean":
                return seed % 2 == 0
            return f"k{seed}"
        if isinstance(output, GraphQLEnumType):
            values = self.graph.common_values(output.name, list(output.values))
            return values[seed % len(values)]
        # A nested key object shares the entity's seed, so its fields read it back.
        return {"__typename": output.name, _SEED: seed}  # type: ignore[attr-defined]

    def entity(self, representation: Record) -> Record | None:
        type_name = str(representation.get("__typename"))
        graphql_type = self.schema.type_map.get(type_name)
        keys = self.graph.key_fields.get(type_name, set())
        seed = _read_seed({k: v for k, v in representation.items() if k in keys})
        if graphql_type is None or seed is None:
            return None
        if isinstance(graphql_type, GraphQLInterfaceType):
            own = sorted(t.name for t in self.schema.get_possible_types(graphql_type))
            made_as = self.graph.seed_type(seed)
            if made_as in own:
                type_name = str(made_as)
            elif own:
                type_name = own[seed // _TYPES % len(own)]
        return {"__typename": type_name, _SEED: seed, _REPRESENTATION: representation}


def _read_seed(value: object) -> int | None:
    """The seed a representation's key fields carry."""
    if isinstance(value, dict):
        for item in value.values():
            found = _read_seed(item)
            if found is not None:
                return found
        return None
    if isinstance(value, list):
        return _read_seed(value[0]) if value else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.startswith("k") and value[1:].isdigit():
        return int(value[1:])
    return None


def _scalar(type_name: str, value: int, field: str) -> object:
    if type_name == "Int":
        return value % 1000
    if type_name == "Float":
        return (value % 10000) / 10
    if type_name == "Boolean":
        return value % 2 == 0
    return f"{field}-{value % 10000}"


def _string_argument(directive: Any, name: str) -> str:
    for argument in directive.arguments or ():
        if argument.name.value == name:
            return str(getattr(argument.value, "value", ""))
    return ""


def _top_level(field_set: str) -> list[str]:
    """The top-level field names of a field set (`a b { c }` -> a, b)."""
    if not field_set.strip():
        return []
    selection_set = parse(f"{{ {field_set} }}").definitions[0].selection_set  # type: ignore[attr-defined]
    names = []
    for node in selection_set.selections:
        if isinstance(node, FieldNode):
            names.append(node.name.value)
        else:
            names += [
                s.name.value
                for s in node.selection_set.selections
                if isinstance(s, FieldNode)
            ]
    return names
