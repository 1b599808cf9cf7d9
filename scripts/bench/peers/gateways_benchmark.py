"""The workload of the public federation gateways benchmark
(graphql-hive/graphql-gateways-benchmark): four subgraphs (accounts, inventory,
products, reviews) with its data, and its one operation, `TestQuery`, whose answer is
about 88 KB.

The benchmark serves its subgraphs from Rust (async-graphql); this module holds the same
data and the same behaviour for fixture_server.py, including what that code does rather
than what the schema suggests:
- reviews' `Review.author` is always user 1 with `username` provided ("urigo") and
  with reviews 1 and 2; reviews' `User` entity also answers reviews 1 and 2 for any id;
- inventory's `Product` entity ignores the `price` and `weight` it requires, so
  `shippingEstimate` is always null (the benchmark's own expected answer says so).

The expected answer is built from the data by plain Python, sharing no code with any
gateway or with the subgraphs' GraphQL execution.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fixture_data import Operation

JSON = Any
EntityResolver = Callable[[dict[str, JSON]], JSON]

HERE = Path(__file__).resolve().parent
WORKLOAD_DIR = HERE / "gateways-benchmark"
# Compose order and port order (port base, +1, ...): fixture_server.py and compose.mjs.
SUBGRAPH_NAMES = ("accounts", "inventory", "products", "reviews")

USERS: tuple[dict[str, JSON], ...] = tuple(
    {"id": str(n), "name": name, "username": username, "birthday": 1234567890}
    for n, (name, username) in enumerate(
        (
            ("Uri Goldshtein", "urigo"),
            ("Dotan Simha", "dotansimha"),
            ("Kamil Kisiela", "kamilkisiela"),
            ("Arda Tanrikulu", "ardatan"),
            ("Gil Gardosh", "gilgardosh"),
            ("Laurin Quast", "laurin"),
        ),
        start=1,
    )
)

PRODUCTS: tuple[dict[str, JSON], ...] = tuple(
    {"upc": str(n), "name": name, "price": price, "weight": weight}
    for n, (name, price, weight) in enumerate(
        (
            ("Table", 899, 100),
            ("Couch", 1299, 1000),
            ("Glass", 15, 20),
            ("Chair", 499, 100),
            ("TV", 1299, 1000),
            ("Lamp", 6999, 300),
            ("Grill", 3999, 2000),
            ("Fridge", 100000, 6000),
            ("Sofa", 9999, 800),
        ),
        start=1,
    )
)

IN_STOCK = dict(
    zip(
        (product["upc"] for product in PRODUCTS),
        (True, False, False, False, True, True, True, False, True),
        strict=True,
    )
)

_LOREM = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
    "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis "
    "nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. "
    "Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu "
    "fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in "
    "culpa qui officia deserunt mollit anim id est laborum."
)
_SED_UT = (
    "Sed ut perspiciatis unde omnis iste natus error sit voluptatem accusantium "
    "doloremque laudantium, totam rem aperiam, eaque ipsa quae ab illo inventore "
    "veritatis et quasi architecto beatae vitae dicta sunt explicabo. Nemo enim ipsam "
    "voluptatem quia voluptas sit aspernatur aut odit aut fugi"
)
_SED_QUIA = (
    "sed quia consequuntur magni dolores eos qui ratione voluptatem sequi nesciunt. "
    "Neque porro quisquam est, qui dolorem ipsum quia dolor sit amet, consectetur, "
    "adipisci velit, sed quia non numquam eius modi tempora incidunt ut labore et "
    "dolore magnam aliquam quaerat voluptatem."
)
_UT_ENIM = (
    "Ut enim ad minima veniam, quis nostrum exercitationem ullam corporis suscipit "
    "laboriosam, nisi ut aliquid ex ea commodi consequatur? Quis autem"
)
_AT_VERO = (
    "At vero eos et accusamus et iusto odio dignissimos ducimus qui blanditiis "
    "praesentium voluptatum deleniti atque corrupti quos dolores et quas molestias "
    "excepturi sint occaecati cupiditate non provident, similique sunt in culpa qui "
    "officia deserunt mollitia animi, id est laborum et dolorum fuga. Et harum quidem "
    "rerum facilis est et expedita distinctio. Nam libero tempore, cum soluta nobis "
    "est eligendi optio cumque nihil impedit quo minus id quod maxime placeat facere "
    "possimus, omnis voluptas assumenda est, omnis dolor repellendus. Temporibus "
    "autem quibusdam et aut officiis debitis aut rerum necessitatibus saepe eveniet "
    "ut et voluptates repudiandae sint et molestiae non recusandae. Itaque earum "
    "rerum hic tenetur a sapiente delectus, ut aut reiciendis voluptatibus maiores "
    "alias consequatur aut perferendis doloribus asperiores repellat."
)

# (id, body, the upc of the product reviewed)
REVIEWS: tuple[tuple[str, str, str], ...] = (
    ("1", _LOREM, "1"),
    ("2", _SED_UT, "1"),
    ("3", _SED_QUIA, "1"),
    ("4", _UT_ENIM, "1"),
    ("5", _LOREM, "2"),
    ("6", _SED_UT, "2"),
    ("7", _SED_QUIA, "2"),
    ("8", _UT_ENIM, "2"),
    ("9", _UT_ENIM, "3"),
    ("10", _UT_ENIM, "4"),
    ("11", _AT_VERO, "4"),
)
# What the reviews subgraph answers as any user's reviews (the first two, always).
USER_REVIEWS = REVIEWS[:2]
# Every review's author, as the reviews subgraph answers it.
AUTHOR_ID = "1"
AUTHOR_USERNAME = "urigo"
TOP_PRODUCTS_DEFAULT = 5


# -- the subgraphs (resolvers for fixture_server.Subgraph) ----------------------------


def _users_by_id() -> dict[str, dict[str, JSON]]:
    return {user["id"]: user for user in USERS}


def _reviews_subgraph() -> tuple[dict[str, JSON], dict[str, EntityResolver]]:
    """The reviews subgraph's objects: dicts whose callables graphql-core's default
    resolver calls, so the cycle review -> author -> reviews -> ... stays lazy."""
    reviews: dict[str, dict[str, JSON]] = {}

    def author(_info: object) -> JSON:
        return {
            "id": AUTHOR_ID,
            "username": AUTHOR_USERNAME,
            "reviews": [reviews[review_id] for review_id, _, _ in USER_REVIEWS],
        }

    def product(upc: str) -> JSON:
        return {
            "__typename": "Product",
            "upc": upc,
            "reviews": [reviews[rid] for rid, _, of in REVIEWS if of == upc],
        }

    for review_id, body, upc in REVIEWS:
        reviews[review_id] = {
            "__typename": "Review",
            "id": review_id,
            "body": body,
            "product": lambda _info, upc=upc: product(upc),
            "author": author,
        }

    def user(representation: dict[str, JSON]) -> JSON:
        return {
            "__typename": "User",
            "id": representation["id"],
            # External: answered only if a gateway wrongly asked reviews for it.
            "username": "user",
            "reviews": [reviews[review_id] for review_id, _, _ in USER_REVIEWS],
        }

    return {}, {
        "Review": lambda rep: reviews[rep["id"]],
        "User": user,
        "Product": lambda rep: product(rep["upc"]),
    }


def subgraph_resolvers() -> dict[
    str, tuple[dict[str, JSON], dict[str, EntityResolver]]
]:
    """Each subgraph's (root fields, entity resolvers by type), by name."""
    users = _users_by_id()
    products = {product["upc"]: product for product in PRODUCTS}

    def top_products(_info: object, first: int = TOP_PRODUCTS_DEFAULT) -> JSON:
        return list(PRODUCTS[:first])

    def inventory(representation: dict[str, JSON]) -> JSON:
        return {
            "__typename": "Product",
            "upc": representation["upc"],
            "inStock": IN_STOCK[representation["upc"]],
            # As the benchmark's subgraph: the required price and weight are not read.
            "shippingEstimate": None,
        }

    return {
        "accounts": (
            {
                "me": lambda _info: users["1"],
                "user": lambda _info, id: users.get(id),  # the GraphQL name
                "users": lambda _info: list(USERS),
            },
            {"User": lambda rep: {"__typename": "User", **users[rep["id"]]}},
        ),
        "inventory": ({}, {"Product": inventory}),
        "products": (
            {"topProducts": top_products},
            {"Product": lambda rep: {"__typename": "Product", **products[rep["upc"]]}},
        ),
        "reviews": _reviews_subgraph(),
    }


# -- the expected answer ---------------------------------------------------------------


def _user(user_id: str) -> JSON:
    user = _users_by_id()[user_id]
    return {"id": user["id"], "username": user["username"], "name": user["name"]}


def _product(upc: str) -> JSON:
    product = next(product for product in PRODUCTS if product["upc"] == upc)
    return {
        "inStock": IN_STOCK[upc],
        "name": product["name"],
        "price": product["price"],
        "shippingEstimate": None,
        "upc": upc,
        "weight": product["weight"],
    }


def _review(review: tuple[str, str, str]) -> JSON:
    return {"id": review[0], "body": review[1]}


def _author() -> JSON:
    """`author { ...User reviews { ...Review product { ...Product } } }`."""
    return {
        **_user(AUTHOR_ID),
        "reviews": [
            {**_review(review), "product": _product(review[2])}
            for review in USER_REVIEWS
        ],
    }


def _reviews_of(upc: str) -> list[JSON]:
    """`reviews { ...Review author { ... } }` of one product."""
    return [
        {**_review(review), "author": _author()}
        for review in REVIEWS
        if review[2] == upc
    ]


def expected_answer() -> JSON:
    """The answer to gateways-benchmark/operation.graphql."""
    return {
        "data": {
            "users": [
                {
                    **_user(user["id"]),
                    "reviews": [
                        {
                            **_review(review),
                            "product": {
                                **_product(review[2]),
                                "reviews": _reviews_of(review[2]),
                            },
                        }
                        for review in USER_REVIEWS
                    ],
                }
                for user in USERS
            ],
            "topProducts": [
                {**_product(product["upc"]), "reviews": _reviews_of(product["upc"])}
                for product in PRODUCTS[:TOP_PRODUCTS_DEFAULT]
            ],
        }
    }


def load_operations() -> dict[str, Operation]:
    """The workload's one operation, named as the bench's `--operation`."""
    return {
        "gateways-benchmark": Operation(
            name="gateways-benchmark",
            description=(
                "the public federation gateways benchmark's TestQuery: users and "
                "topProducts across accounts, inventory (@requires), products and "
                "reviews (@provides), 6 levels deep, one ~88 KB answer; every request "
                "identical"
            ),
            query=(WORKLOAD_DIR / "operation.graphql").read_text(),
            operation_name="TestQuery",
            variants=({},),
            expected=(expected_answer(),),
        )
    }
