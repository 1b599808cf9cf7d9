"""A GraphQL type reference (`T`, `T!`, `[T!]!`) as a value, read once from the SDL.

The composer compares, merges and prints the types of fields and arguments; a
`TypeReference` says what it is (`non_null`, `of_type`, `name`) instead of each caller
slicing `"[T!]!"` by hand. `str()` gives the SDL spelling, which messages and the
printed supergraph use.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql.language import ListTypeNode, NamedTypeNode, NonNullTypeNode, TypeNode

__all__ = ["TypeReference"]


@dataclass(frozen=True, slots=True)
class TypeReference:
    """A named type (`name`), or a list of `of_type`; either may be non-null."""

    name: str | None = None
    of_type: TypeReference | None = None
    non_null: bool = False

    @classmethod
    def from_ast(
        cls, node: TypeNode, renames: dict[str, str] | None = None
    ) -> TypeReference:
        """The reference a parsed type node spells, with imported names renamed."""
        if isinstance(node, NonNullTypeNode):
            return cls.from_ast(node.type, renames).as_non_null()
        if isinstance(node, ListTypeNode):
            return cls(of_type=cls.from_ast(node.type, renames))
        if not isinstance(node, NamedTypeNode):
            raise TypeError(f"expected a type node, got {type(node).__name__}")
        name = node.name.value
        return cls(name=(renames or {}).get(name, name))

    @property
    def is_list(self) -> bool:
        return self.of_type is not None

    @property
    def named(self) -> str:
        """The named type at the bottom of the wrappers (`T` in `[T!]!`)."""
        if self.of_type is not None:
            return self.of_type.named
        assert self.name is not None, "a type reference is a name or a list"
        return self.name

    def as_non_null(self) -> TypeReference:
        return TypeReference(self.name, self.of_type, non_null=True)

    def nullable(self) -> TypeReference:
        """The same reference without its outermost `!`."""
        return TypeReference(self.name, self.of_type, non_null=False)

    def __str__(self) -> str:
        inner = f"[{self.of_type}]" if self.of_type is not None else str(self.name)
        return inner + "!" if self.non_null else inner
