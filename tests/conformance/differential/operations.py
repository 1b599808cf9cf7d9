"""Random valid operations over a supergraph's API schema, reproducible from a seed.

What a federation planner gets wrong is what these are made of: fragments on
abstract types (on members, on interfaces, without a type condition), aliases of
one field with different arguments, nested fields that cross subgraphs, lists,
`@skip`/`@include` with variables and literals, and named fragments. Each operation
is validated against the API schema; a draw that is not valid (two fields of one
response key that cannot merge) is drawn again.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    get_named_type,
    is_leaf_type,
    parse,
    validate,
)

if TYPE_CHECKING:
    from graphql import GraphQLField, GraphQLInputType, GraphQLSchema

__all__ = ["Operation", "random_operations"]

# How deep selections go below a root field, and how many draws an operation gets.
DEPTH = 4
_ATTEMPTS = 20


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation to send: its text and its variables' values."""

    query: str
    variables: dict[str, Any]


def random_operations(schema: GraphQLSchema, seed: int, count: int) -> list[Operation]:
    """`count` valid query operations of `schema` drawn from `seed` (fewer when the
    schema has no query field or no draw validates)."""
    rng = random.Random(seed)
    found: list[Operation] = []
    if schema.query_type is None or not schema.query_type.fields:
        return found
    for _ in range(count):
        for _ in range(_ATTEMPTS):
            operation = _Draw(schema, rng).operation()
            if not validate(schema, parse(operation.query)):
                found.append(operation)
                break
    return found


@dataclass(slots=True)
class _Draw:
    """The state of drawing one operation."""

    schema: GraphQLSchema
    rng: random.Random
    # Boolean variables of @skip/@include, with the values drawn for them.
    variables: dict[str, bool] = field(default_factory=dict)
    fragments: list[str] = field(default_factory=list)
    aliases: int = 0

    def operation(self) -> Operation:
        query_type = self.schema.query_type
        assert query_type is not None
        names = list(query_type.fields)
        chosen = self.rng.sample(names, min(len(names), self.rng.choice((1, 1, 2))))
        body = " ".join(
            self._field(query_type, name, query_type.fields[name], DEPTH)
            for name in chosen
        )
        header = ""
        if self.variables:
            header = (
                "(" + ", ".join(f"${name}: Boolean!" for name in self.variables) + ")"
            )
        text = f"query Differential{header} {{ {body} }}"
        text = "\n".join([text, *self.fragments])
        return Operation(text, dict(self.variables))

    def _selection_set(self, output: GraphQLObjectType | Any, depth: int) -> str:
        named = get_named_type(output)
        if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
            return "{ " + self._abstract(named, depth) + " }"
        assert isinstance(named, GraphQLObjectType)
        return "{ " + self._object(named, depth) + " }"

    def _object(self, object_type: GraphQLObjectType, depth: int) -> str:
        fields = list(object_type.fields.items())
        if depth <= 0:
            fields = [(n, f) for n, f in fields if is_leaf_type(get_named_type(f.type))]
        parts: list[str] = []
        if fields:
            count = self.rng.randint(1, min(4, len(fields)))
            for name, definition in self.rng.sample(fields, count):
                parts.append(self._field(object_type, name, definition, depth))
        if not parts or self.rng.random() < 0.2:
            parts.append("__typename")
        if depth > 0 and self.rng.random() < 0.08:
            parts.append(self._named_fragment(object_type, depth))
        return " ".join(parts)

    def _abstract(
        self, abstract: GraphQLInterfaceType | GraphQLUnionType, depth: int
    ) -> str:
        parts: list[str] = []
        if self.rng.random() < 0.5:
            parts.append("__typename")
        if isinstance(abstract, GraphQLInterfaceType) and abstract.fields:
            fields = list(abstract.fields.items())
            if depth <= 0:
                fields = [
                    (n, f) for n, f in fields if is_leaf_type(get_named_type(f.type))
                ]
            if fields and self.rng.random() < 0.7:
                count = self.rng.randint(1, min(3, len(fields)))
                for name, definition in self.rng.sample(fields, count):
                    parts.append(self._field(abstract, name, definition, depth))
        for member in self.schema.get_possible_types(abstract):
            if self.rng.random() < 0.6:
                parts.append(
                    f"... on {member.name}{self._directive()} "
                    + self._selection_set(member, depth)
                )
        interfaces = {
            i.name: i
            for m in self.schema.get_possible_types(abstract)
            for i in m.interfaces
            if i.name != abstract.name
        }
        for interface in interfaces.values():
            if self.rng.random() < 0.25:
                parts.append(
                    f"... on {interface.name} "
                    + self._selection_set(interface, max(depth - 1, 0))
                )
        if not parts:
            parts.append("__typename")
        return " ".join(parts)

    def _named_fragment(self, object_type: GraphQLObjectType, depth: int) -> str:
        name = f"F{len(self.fragments)}"
        # Placeholder first: a nested fragment is appended while this one is drawn.
        self.fragments.append("")
        index = len(self.fragments) - 1
        body = self._object(object_type, depth - 1)
        self.fragments[index] = f"fragment {name} on {object_type.name} {{ {body} }}"
        return f"...{name}{self._directive()}"

    def _field(
        self,
        parent: GraphQLObjectType | GraphQLInterfaceType,
        name: str,
        definition: GraphQLField,
        depth: int,
    ) -> str:
        composite = not is_leaf_type(get_named_type(definition.type))
        text = self._one_field(name, definition, depth, composite, alias=None)
        if self.rng.random() < 0.15:
            # The same field again under an alias, with arguments of its own.
            self.aliases += 1
            text += " " + self._one_field(
                name, definition, depth, composite, alias=f"{name}{self.aliases}"
            )
        return text

    def _one_field(
        self,
        name: str,
        definition: GraphQLField,
        depth: int,
        composite: bool,
        alias: str | None,
    ) -> str:
        arguments = []
        for argument_name, argument in definition.args.items():
            required = isinstance(argument.type, GraphQLNonNull)
            if required or self.rng.random() < 0.3:
                value = self._value(argument.type, 2)
                arguments.append(f"{argument_name}: {value}")
        text = f"{alias}: {name}" if alias else name
        if arguments:
            text += "(" + ", ".join(arguments) + ")"
        text += self._directive()
        if composite:
            text += " " + self._selection_set(definition.type, depth - 1)
        return text

    def _directive(self) -> str:
        roll = self.rng.random()
        if roll > 0.15:
            return ""
        kind = self.rng.choice(("include", "skip"))
        if roll < 0.03:
            return f" @{kind}(if: {self.rng.choice(('true', 'false'))})"
        variable = f"v{self.rng.randint(0, 2)}"
        self.variables.setdefault(variable, self.rng.random() < 0.5)
        return f" @{kind}(if: ${variable})"

    def _value(self, input_type: GraphQLInputType, depth: int) -> str:
        if isinstance(input_type, GraphQLNonNull):
            return self._value(input_type.of_type, depth)
        if isinstance(input_type, GraphQLList):
            return "[" + self._value(input_type.of_type, depth) + "]"
        if isinstance(input_type, GraphQLEnumType):
            return self.rng.choice(list(input_type.values))
        if isinstance(input_type, GraphQLInputObjectType):
            fields = [
                f"{n}: {self._value(f.type, depth - 1)}"
                for n, f in input_type.fields.items()
                if isinstance(f.type, GraphQLNonNull)
                or (depth > 0 and self.rng.random() < 0.3)
            ]
            return "{" + ", ".join(fields) + "}"
        assert isinstance(input_type, GraphQLScalarType)
        if input_type.name == "Int":
            return str(self.rng.randint(0, 5))
        if input_type.name == "Float":
            return str(self.rng.randint(0, 50) / 10)
        if input_type.name == "Boolean":
            return self.rng.choice(("true", "false"))
        return '"' + self.rng.choice(("a", "b", "1", "2", "USD", "EUR")) + '"'
