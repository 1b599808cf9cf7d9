"""The bench's data set and the answers a correct gateway must give for each operation.

The expected answers are built here from the data with plain Python, not by running
GraphQL, so a gateway is checked against something that shares no code with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

JSON = Any

HERE = Path(__file__).resolve().parent

PRODUCT_COUNT = 20
REVIEWS_PER_PRODUCT = 4
USER_COUNT = 12
# The user whose session `me` answers for.
ME_ID = "1"

USERS: dict[str, dict[str, JSON]] = {
    str(n): {"id": str(n), "name": f"User {n}", "username": f"user{n}"}
    for n in range(1, USER_COUNT + 1)
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
    # 80 reviews written by 12 users: the accounts fetch repeats authors, so a gateway
    # that de-duplicates representations sends fewer of them.
    author_id = str((n * 7) % USER_COUNT + 1)
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
    """A GraphQL request the bench sends, with the response a correct gateway gives."""

    name: str
    description: str
    query: str
    operation_name: str
    variables: dict[str, JSON]
    expected: JSON

    def body(self) -> dict[str, JSON]:
        return {
            "query": self.query,
            "operationName": self.operation_name,
            "variables": self.variables,
        }


def expected_top_products(first: int) -> JSON:
    """The response to operations/nested.graphql for `first` products."""
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
                            "author": USERS[review["author"]["id"]],
                        }
                        for review in REVIEWS_BY_UPC[product["upc"]]
                    ],
                }
                for product in PRODUCTS[:first]
            ]
        }
    }


def expected_me() -> JSON:
    """The response to operations/small.graphql."""
    return {"data": {"me": USERS[ME_ID]}}


def load_operations() -> dict[str, Operation]:
    """The operations the bench measures, by name, in the order they are run."""
    operations = HERE / "operations"
    return {
        "nested": Operation(
            name="nested",
            description=(
                f"products -> reviews -> accounts: {PRODUCT_COUNT} products, "
                f"{PRODUCT_COUNT * REVIEWS_PER_PRODUCT} reviews, "
                f"{USER_COUNT} distinct authors"
            ),
            query=(operations / "nested.graphql").read_text(),
            operation_name="TopProducts",
            variables={"first": PRODUCT_COUNT},
            expected=expected_top_products(PRODUCT_COUNT),
        ),
        "small": Operation(
            name="small",
            description="one field from one subgraph (accounts): gateway overhead",
            query=(operations / "small.graphql").read_text(),
            operation_name="Me",
            variables={},
            expected=expected_me(),
        ),
    }
