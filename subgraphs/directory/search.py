"""Business search: ranked full text with typo tolerance on PostgreSQL, LIKE on SQLite.

PostgreSQL (migration 0002): `search_vector` weighs the name A and the description
B, so `ts_rank` puts a name match above a description match; a trigram index on
the name finds misspellings (`'bakry' <% lower(name)`, word similarity). Both
conditions are indexed, so the planner can use the GIN indexes (BitmapOr). SQLite
matches substrings of the name or description, names first.

One statement returns the page's ids in order; the rows come in a second one.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tortoise import connections

from .models import Business

if TYPE_CHECKING:
    from tortoise.backends.base.client import BaseDBAsyncClient

__all__ = [
    "BusinessQuery",
    "Near",
    "businesses_in_order",
    "explain_search",
    "search_business_ids",
    "search_statement",
]

CONNECTION = "directory"
# Kilometres per degree of latitude.
_KM_PER_DEGREE = 111.32


@dataclass(frozen=True, slots=True)
class Near:
    latitude: float
    longitude: float
    km: float


@dataclass(frozen=True, slots=True)
class BusinessQuery:
    chamber_id: uuid.UUID | None = None
    search: str | None = None
    categories: tuple[str, ...] = ()
    near: Near | None = None
    limit: int = 20
    offset: int = 0


async def _trigram_schema(client: BaseDBAsyncClient) -> str:
    """pg_trgm's schema: this subgraph's, or where the database already had it."""
    known = getattr(client, "_agora_trigram_schema", None)
    if known is None:
        rows = await client.execute_query_dict(
            "SELECT extnamespace::regnamespace::text AS schema "
            "FROM pg_extension WHERE extname = 'pg_trgm'"
        )
        known = rows[0]["schema"] if rows else "public"
        # Kept on the client: a new connection (another database) looks again.
        setattr(client, "_agora_trigram_schema", known)  # noqa: B010
    return str(known)


def _filters(query: BusinessQuery, param: Any) -> list[str]:
    where: list[str] = []
    if query.chamber_id is not None:
        where.append(f"b.chamber_id = {param(query.chamber_id)}")
    if query.categories:
        slugs = ", ".join(param(slug) for slug in query.categories)
        where.append(
            "b.id IN (SELECT bc.business_id FROM directory_business_category bc "
            "JOIN directory_category c ON c.id = bc.category_id "
            f"WHERE c.slug IN ({slugs}))"
        )
    if query.near is not None:
        near = query.near
        dlat = near.km / _KM_PER_DEGREE
        cos = max(math.cos(math.radians(near.latitude)), 0.01)
        dlng = near.km / (_KM_PER_DEGREE * cos)
        where.append(
            f"b.latitude BETWEEN {param(near.latitude - dlat)} "
            f"AND {param(near.latitude + dlat)} "
            f"AND b.longitude BETWEEN {param(near.longitude - dlng)} "
            f"AND {param(near.longitude + dlng)}"
        )
    return where


def search_statement(
    query: BusinessQuery, *, postgres: bool, trigram_schema: str = "public"
) -> tuple[str, list[Any]]:
    """The SQL (and its values) that selects one page of business ids, best first."""
    values: list[Any] = []

    def param(value: Any) -> str:
        values.append(str(value) if isinstance(value, uuid.UUID) else value)
        return f"${len(values)}" if postgres else "?"

    search = (query.search or "").strip()
    if postgres and search:
        text = param(search)
        lowered = param(search.lower())
        schema = trigram_schema
        where = [
            f"(b.search_vector @@ websearch_to_tsquery('english', {text}) "
            f"OR {lowered} OPERATOR({schema}.<%) lower(b.name))",
            *_filters(query, param),
        ]
        order = (
            f"ts_rank(b.search_vector, websearch_to_tsquery('english', {text})) * 2 "
            f"+ {schema}.word_similarity({lowered}, lower(b.name)) DESC, b.name, b.id"
        )
    elif search:
        pattern = "%" + search.lower().replace("%", "").replace("_", "") + "%"
        where = [
            f"(lower(b.name) LIKE {param(pattern)} "
            f"OR lower(b.description) LIKE {param(pattern)})",
            *_filters(query, param),
        ]
        order = (
            f"CASE WHEN lower(b.name) LIKE {param(pattern)} THEN 0 ELSE 1 END, "
            "b.name, b.id"
        )
    else:
        where = _filters(query, param)
        order = "b.name, b.id"
    sql = "SELECT b.id FROM directory_business b"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY {order} LIMIT {int(query.limit)} OFFSET {int(query.offset)}"
    return sql, values


async def _statement(query: BusinessQuery) -> tuple[BaseDBAsyncClient, str, list[Any]]:
    client = connections.get(CONNECTION)
    postgres = client.capabilities.dialect == "postgres"
    schema = await _trigram_schema(client) if postgres and query.search else "public"
    sql, values = search_statement(query, postgres=postgres, trigram_schema=schema)
    return client, sql, values


async def search_business_ids(query: BusinessQuery) -> list[uuid.UUID]:
    """The ids of one page of businesses (`limit` rows from `offset`), best first."""
    client, sql, values = await _statement(query)
    _, rows = await client.execute_query(sql, values)
    return [uuid.UUID(str(row["id"])) for row in rows]


async def explain_search(query: BusinessQuery, *, analyze: bool = False) -> str:
    """The plan of the search statement (PostgreSQL), for tests and operators."""
    client, sql, values = await _statement(query)
    prefix = "EXPLAIN (ANALYZE) " if analyze else "EXPLAIN "
    rows = await client.execute_query_dict(prefix + sql, values)
    return "\n".join(str(row["QUERY PLAN"]) for row in rows)


async def businesses_in_order(ids: list[uuid.UUID]) -> list[Business]:
    rows = {row.id: row for row in await Business.filter(id__in=ids)} if ids else {}
    return [rows[i] for i in ids if i in rows]
