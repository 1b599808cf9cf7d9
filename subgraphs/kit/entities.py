"""Entities another subgraph owns: a stub with the key, resolved without a lookup.

A subgraph that adds fields to accounts' `User` declares
`@strawberry.federation.type(keys=["id"]) class User(EntityReference)` and its own
fields; the gateway sends the key, and `resolve_reference` returns the stub.
"""

from __future__ import annotations

from typing import Self

import strawberry

__all__ = ["EntityReference"]


@strawberry.type
class EntityReference:
    """The key of an entity owned elsewhere (`id`)."""

    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Self:
        return cls(id=id)
