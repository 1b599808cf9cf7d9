"""The supergraph model: a supergraph SDL read once into schema, API schema and join
metadata (which subgraph resolves what, keys, requires, provides, overrides)."""

from __future__ import annotations

from ._features import linked_features
from .errors import SupergraphError
from .load import load_supergraph, parse_field_set
from .model import (
    ContextArgument,
    EntityKey,
    FieldSource,
    JoinField,
    JoinType,
    SubgraphInfo,
    Supergraph,
)

__all__ = [
    "ContextArgument",
    "EntityKey",
    "FieldSource",
    "JoinField",
    "JoinType",
    "SubgraphInfo",
    "Supergraph",
    "SupergraphError",
    "linked_features",
    "load_supergraph",
    "parse_field_set",
]
