"""Business search: ranked full text with typo tolerance on PostgreSQL, LIKE on SQLite.

PostgreSQL (migration 0002): `search_vector` weighs the name A and the description
B, so `ts_rank` puts a name match above a description match, and its GIN index
answers the search. When the words match nothing, names word-similar to them are
tried (pg_trgm, `'bakry' <% lower(name)` at WORD_SIMILARITY, its trigram GIN
index): a misspelling finds what it meant. Two separate statements, because an OR
of the two conditions makes the planner scan the whole table. SQLite matches
substrings of the name or the description, names first.

The ids of a page come in order from one statement (two or three for a
misspelling); the rows in one more.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import connections
from tortoise.transactions import in_transaction

from subgraphs.directory.models import Business

if TYPE_CHECKING:
    from tortoise.backends.base.client import BaseDBAsyncClient

__all__ = [
    "BusinessQuery",
    "Mode",
    "Near",
    "businesses_in_order",
    "explain_search",
    "search_business_ids",
    "search_statement",
]

CONNECTION = "directory"
# pg_trgm word similarity that counts as a match (one typo in a short word).
WORD_SIMILARITY = 0.4
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


class Mode(StrEnum):
    """Which statement a search runs (PostgreSQL)."""

    FULL_TEXT = "full-text"
    SIMILAR_NAMES = "similar-names"
    EXISTS = "exists"


def search_statement(
    query: BusinessQuery,
    *,
    postgres: bool,
    trigram_schema: str = "public",
    mode: Mode = Mode.FULL_TEXT,
) -> tuple[str, list[Any]]:
    """The SQL (and its values) that selects one page of business ids, best first.

    On PostgreSQL a search is full text (`FULL_TEXT`, the GIN index on
    `search_vector`; `EXISTS` asks whether it matches anything at all); only when
    the words match nothing are names word-similar to them tried
    (`SIMILAR_NAMES`, the trigram index), which is how "bakry" finds "Bakery".
    """
    values: list[Any] = []

    def param(value: Any) -> str:
        values.append(str(value) if isinstance(value, uuid.UUID) else value)
        return f"${len(values)}" if postgres else "?"

    search = (query.search or "").strip()
    page = f" LIMIT {int(query.limit)} OFFSET {int(query.offset)}"
    if postgres and search:
        schema = trigram_schema
        if mode is Mode.SIMILAR_NAMES:
            lowered = param(search.lower())
            where = [f"{lowered} OPERATOR({schema}.<%) lower(b.name)"]
            order = f"{schema}.word_similarity({lowered}, lower(b.name)) DESC"
        else:
            words = f"websearch_to_tsquery('english', {param(search)})"
            where = [f"b.search_vector @@ {words}"]
            order = f"ts_rank(b.search_vector, {words}) DESC"
        where += _filters(query, param)
        if mode is Mode.EXISTS:
            condition = " AND ".join(where)
            return (
                f"SELECT 1 AS id FROM directory_business b WHERE {condition} LIMIT 1",
                values,
            )
        order += ", b.name, b.id"
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
    return f"{sql} ORDER BY {order}{page}", values


async def _run(
    query: BusinessQuery, mode: Mode = Mode.FULL_TEXT, prefix: str = ""
) -> list[dict[str, Any]]:
    client = connections.get(CONNECTION)
    postgres = client.capabilities.dialect == "postgres"
    rows: list[dict[str, Any]]
    if not postgres or not query.search:
        sql, values = search_statement(query, postgres=postgres)
        rows = await client.execute_query_dict(prefix + sql, values)
        return rows
    schema = await _trigram_schema(client)
    sql, values = search_statement(
        query, postgres=True, trigram_schema=schema, mode=mode
    )
    if mode is not Mode.SIMILAR_NAMES:
        rows = await client.execute_query_dict(prefix + sql, values)
        return rows
    async with in_transaction(CONNECTION) as transaction:
        # "bakry" is 0.44 word-similar to "bakery": the default (0.6) misses it.
        await transaction.execute_script(
            f"SET LOCAL pg_trgm.word_similarity_threshold = {WORD_SIMILARITY}"
        )
        return await transaction.execute_query_dict(prefix + sql, values)


async def search_business_ids(query: BusinessQuery) -> list[uuid.UUID]:
    """The ids of one page of businesses (`limit` rows from `offset`), best first.

    One statement, or (PostgreSQL, words that match nothing) two or three: the
    full-text page, on later pages whether anything matches at all, then the
    similar names.
    """
    rows = await _run(query)
    if (
        not rows
        and query.search
        and connections.get(CONNECTION).capabilities.dialect == "postgres"
    ):
        if query.offset == 0 or not await _run(query, Mode.EXISTS):
            rows = await _run(query, Mode.SIMILAR_NAMES)
    return [uuid.UUID(str(row["id"])) for row in rows]


async def explain_search(
    query: BusinessQuery, *, mode: Mode = Mode.FULL_TEXT, analyze: bool = False
) -> str:
    """The plan of a search statement (PostgreSQL), for tests and operators."""
    prefix = "EXPLAIN (ANALYZE) " if analyze else "EXPLAIN "
    rows = await _run(query, mode, prefix)
    return "\n".join(str(row["QUERY PLAN"]) for row in rows)


async def businesses_in_order(ids: list[uuid.UUID]) -> list[Business]:
    rows = {row.id: row for row in await Business.filter(id__in=ids)} if ids else {}
    return [rows[i] for i in ids if i in rows]
