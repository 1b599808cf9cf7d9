"""The bench's data set and the answers a correct gateway must give for each operation.

The expected answers are built here from the data with plain Python, not by running
GraphQL, so a gateway is checked against something that shares no code with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

JSON = Any

HERE = Path(__file__).resolve().parent

PRODUCT_COUNT = 100
# Products per response: a list long enough that entity batching matters.
PAGE_SIZE = 20
# Offsets cycled through by "nested-distinct", so no two requests in flight are alike.
DISTINCT_PAGES = PRODUCT_COUNT - PAGE_SIZE
REVIEWS_PER_PRODUCT = 4
# Authors of the reviews of four neighbouring products (see _review).
USER_COUNT = 12
# The user whose session `me` answers for.
ME_ID = "1"

# Ids asked for by "small-distinct": every request in flight names another user.
DISTINCT_USER_IDS = tuple(str(n) for n in range(1000, 1200))


def user(user_id: str) -> dict[str, JSON]:
    """The accounts record of any user id (the fixture makes them up on demand)."""
    return {"id": user_id, "name": f"User {user_id}", "username": f"user{user_id}"}


USERS: dict[str, dict[str, JSON]] = {
    str(n): user(str(n)) for n in range(1, USER_COUNT + 1)
}

PRODUCTS: list[dict[str, JSON]] = [
    {
        "upc": f"p{n}",
        "name": f"Product {n}",
        "price": 100 + 7 * n,
        "weight": 10 + n,
    }
    for n in range(1, PRODUCT_COUNT + 1)
]


def _review(product_index: int, slot: int) -> dict[str, JSON]:
    n = product_index * REVIEWS_PER_PRODUCT + slot + 1
    # A page's 80 reviews have 16 or 17 authors: the accounts fetch repeats them, so a
    # gateway that de-duplicates representations sends fewer. The authors drift with
    # the product, so pages at different offsets need different accounts fetches
    # (nested-distinct shares no identical subgraph request).
    author_id = str((n * 7) % USER_COUNT + 1 + product_index // 4)
    return {
        "id": f"r{n}",
        "body": f"Review {n} of product {product_index + 1}",
        "rating": n % 5 + 1,
        "author": {"__typename": "User", "id": author_id},
    }


REVIEWS_BY_UPC: dict[str, list[dict[str, JSON]]] = {
    product["upc"]: [_review(index, slot) for slot in range(REVIEWS_PER_PRODUCT)]
    for index, product in enumerate(PRODUCTS)
}

REVIEWS: dict[str, dict[str, JSON]] = {
    review["id"]: review for reviews in REVIEWS_BY_UPC.values() for review in reviews
}


@dataclass(frozen=True, slots=True)
class Operation:
    """A GraphQL request the bench sends, in one or more variants of its variables,
    with the response a correct gateway gives to each variant."""

    name: str
    description: str
    query: str
    operation_name: str
    variants: tuple[dict[str, JSON], ...]
    expected: tuple[JSON, ...]

    def body(self, variant: int = 0) -> dict[str, JSON]:
        return {
            "query": self.query,
            "operationName": self.operation_name,
            "variables": self.variants[variant],
        }

    def body_lines(self) -> str:
        """One JSON request body per line, one line per variant (see wrk_post.lua)."""
        return "".join(
            orjson.dumps(self.body(index)).decode() + "\n"
            for index in range(len(self.variants))
        )


def expected_top_products(first: int, offset: int = 0) -> JSON:
    """The response to operations/nested.graphql for these variables."""
    return {
        "data": {
            "topProducts": [
                {
                    "upc": product["upc"],
                    "name": product["name"],
                    "price": product["price"],
                    "reviews": [
                        {
                            "id": review["id"],
                            "body": review["body"],
                            "rating": review["rating"],
                            "author": user(review["author"]["id"]),
                        }
                        for review in REVIEWS_BY_UPC[product["upc"]]
                    ],
                }
                for product in PRODUCTS[offset : offset + first]
            ]
        }
    }


def expected_me() -> JSON:
    """The response to operations/small.graphql."""
    return {"data": {"me": USERS[ME_ID]}}


def load_operations() -> dict[str, Operation]:
    """The operations the bench measures, by name, in the order they are run."""
    operations = HERE / "operations"
    nested = (operations / "nested.graphql").read_text()
    first_page = expected_top_products(PAGE_SIZE)
    authors = {
        review["author"]["id"]
        for product in first_page["data"]["topProducts"]
        for review in product["reviews"]
    }
    page = (
        f"{PAGE_SIZE} products, {PAGE_SIZE * REVIEWS_PER_PRODUCT} reviews, "
        f"{len(authors)} distinct authors"
    )
    offsets = range(DISTINCT_PAGES)
    return {
        "nested": Operation(
            name="nested",
            description=f"products -> reviews -> accounts: {page}; the same request",
            query=nested,
            operation_name="TopProducts",
            variants=({"first": PAGE_SIZE, "offset": 0},),
            expected=(first_page,),
        ),
        "nested-distinct": Operation(
            name="nested-distinct",
            description=(
                f"as nested, cycling through {DISTINCT_PAGES} offsets: requests in "
                "flight differ, so sharing identical subgraph fetches cannot help"
            ),
            query=nested,
            operation_name="TopProducts",
            variants=tuple({"first": PAGE_SIZE, "offset": n} for n in offsets),
            expected=tuple(expected_top_products(PAGE_SIZE, n) for n in offsets),
        ),
        "small": Operation(
            name="small",
            description="one field from one subgraph (accounts): gateway overhead",
            query=(operations / "small.graphql").read_text(),
            operation_name="Me",
            variants=({},),
            expected=(expected_me(),),
        ),
        "small-distinct": Operation(
            name="small-distinct",
            description=(
                f"user(id:) from accounts, cycling through {len(DISTINCT_USER_IDS)} "
                "ids: gateway overhead when requests in flight differ"
            ),
            query=(operations / "user.graphql").read_text(),
            operation_name="User",
            variants=tuple({"id": user_id} for user_id in DISTINCT_USER_IDS),
            expected=tuple(
                {"data": {"user": user(user_id)}} for user_id in DISTINCT_USER_IDS
            ),
        ),
    }
