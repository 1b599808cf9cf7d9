"""The fixture subgraphs answer federation requests correctly, fast and over HTTP."""

from __future__ import annotations

import asyncio

import orjson
from fixture_data import (
    HERE,
    PAGE_SIZE,
    expected_me,
    expected_top_products,
    load_operations,
)
from fixture_server import build_subgraphs, start_servers
from gateways_benchmark import expected_answer
from workloads import WORKLOADS

REVIEWS_OF_PRODUCTS = (
    "query($representations: [_Any!]!) { _entities(representations: $representations)"
    " { ... on Product { upc reviews { id body rating author { id } } } } }"
)
USERS = (
    "query($representations: [_Any!]!) { _entities(representations: $representations)"
    " { ... on User { id name username } } }"
)


def request(query: str, variables: dict[str, object] | None = None) -> bytes:
    return orjson.dumps({"query": query, "variables": variables or {}})


def test_service_sdl_is_the_fixture_file_of_each_subgraph() -> None:
    assert WORKLOADS["peers"].fixtures == HERE / "fixtures"
    for workload in WORKLOADS.values():
        subgraphs = build_subgraphs(workload.name)
        assert tuple(subgraphs) == workload.subgraph_names
        for name, subgraph in subgraphs.items():
            answer = orjson.loads(subgraph.respond(request("{ _service { sdl } }")))
            sdl = (workload.fixtures / f"{name}.graphql").read_text()
            assert answer == {"data": {"_service": {"sdl": sdl}}}


def test_benchmark_reviews_answer_user_one_as_every_author_as_its_code_does() -> None:
    reviews = build_subgraphs("gateways-benchmark")["reviews"]
    body = request(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Product"
        " { reviews { id author { id username reviews { id product { upc } } } } }"
        " ... on User { id reviews { id } } } }",
        {"r": [{"__typename": "Product", "upc": "4"},
               {"__typename": "User", "id": "5"}]},
    )  # fmt: skip
    author = {
        "id": "1",
        "username": "urigo",
        "reviews": [
            {"id": "1", "product": {"upc": "1"}},
            {"id": "2", "product": {"upc": "1"}},
        ],
    }
    assert orjson.loads(reviews.respond(body)) == {
        "data": {
            "_entities": [
                {
                    "reviews": [
                        {"id": "10", "author": author},
                        {"id": "11", "author": author},
                    ]
                },
                {"id": "5", "reviews": [{"id": "1"}, {"id": "2"}]},
            ]
        }
    }


def test_benchmark_inventory_ignores_the_price_and_weight_it_requires() -> None:
    inventory = build_subgraphs("gateways-benchmark")["inventory"]
    body = request(
        "query($r: [_Any!]!) { _entities(representations: $r)"
        " { ... on Product { upc inStock shippingEstimate } } }",
        {"r": [{"__typename": "Product", "upc": "1", "price": 899, "weight": 100},
               {"__typename": "Product", "upc": "2", "price": 1299, "weight": 1000}]},
    )  # fmt: skip
    assert orjson.loads(inventory.respond(body))["data"]["_entities"] == [
        {"upc": "1", "inStock": True, "shippingEstimate": None},
        {"upc": "2", "inStock": False, "shippingEstimate": None},
    ]


def test_benchmark_answer_is_the_88_kb_one_the_benchmark_checks() -> None:
    answer = expected_answer()
    assert 85_000 < len(orjson.dumps(answer)) < 90_000
    users = answer["data"]["users"]
    assert [user["username"] for user in users][:2] == ["urigo", "dotansimha"]
    first = users[0]["reviews"][0]
    assert first["product"]["name"] == "Table"
    assert first["product"]["shippingEstimate"] is None
    assert list(first["product"]) == [
        "inStock", "name", "price", "shippingEstimate", "upc", "weight", "reviews"
    ]  # fmt: skip
    assert len(first["product"]["reviews"]) == 4
    assert first["product"]["reviews"][0]["author"]["name"] == "Uri Goldshtein"
    assert len(answer["data"]["topProducts"]) == 5


def test_reviews_resolve_product_representations_to_their_reviews() -> None:
    reviews = build_subgraphs()["reviews"]
    body = request(
        REVIEWS_OF_PRODUCTS,
        {"representations": [{"__typename": "Product", "upc": "p2"}]},
    )
    answer = orjson.loads(reviews.respond(body))
    assert answer["data"]["_entities"][0]["upc"] == "p2"
    assert [review["id"] for review in answer["data"]["_entities"][0]["reviews"]] == [
        "r5",
        "r6",
        "r7",
        "r8",
    ]


def test_a_repeated_body_is_answered_from_the_cache_with_the_same_bytes() -> None:
    accounts = build_subgraphs()["accounts"]
    body = request("{ me { id name username } }")
    first = accounts.respond(body)
    second = accounts.respond(body)
    assert first == second == orjson.dumps(expected_me())
    assert (accounts.hits, accounts.misses) == (1, 1)


def test_a_request_that_is_not_json_gets_a_graphql_error() -> None:
    answer = orjson.loads(build_subgraphs()["products"].respond(b"not json"))
    assert answer == {"errors": [{"message": "expected a JSON request"}]}


def test_the_three_fetches_of_a_plan_compose_into_the_expected_nested_answer() -> None:
    """The fixture's data and the hand-written expected answer agree: following the
    plan every gateway should make (products, then reviews, then accounts) by hand
    gives exactly the answer the bench compares gateways with."""
    subgraphs = build_subgraphs()
    offset = 7
    products = orjson.loads(
        subgraphs["products"].respond(
            request(
                "query($first: Int, $offset: Int) { topProducts(first: $first,"
                " offset: $offset) { upc name price } }",
                {"first": PAGE_SIZE, "offset": offset},
            )
        )
    )["data"]["topProducts"]
    product_reps = [{"__typename": "Product", "upc": p["upc"]} for p in products]
    with_reviews = orjson.loads(
        subgraphs["reviews"].respond(
            request(REVIEWS_OF_PRODUCTS, {"representations": product_reps})
        )
    )["data"]["_entities"]
    author_ids = sorted(
        {r["author"]["id"] for p in with_reviews for r in p["reviews"]}, key=int
    )
    user_reps = [{"__typename": "User", "id": user_id} for user_id in author_ids]
    users = orjson.loads(
        subgraphs["accounts"].respond(request(USERS, {"representations": user_reps}))
    )["data"]["_entities"]
    users_by_id = {user["id"]: user for user in users}
    merged = [
        {
            **product,
            "reviews": [
                {**review, "author": users_by_id[review["author"]["id"]]}
                for review in entity["reviews"]
            ],
        }
        for product, entity in zip(products, with_reviews, strict=True)
    ]
    assert {"data": {"topProducts": merged}} == expected_top_products(PAGE_SIZE, offset)


def test_distinct_operations_never_repeat_a_request() -> None:
    for name in ("nested-distinct", "small-distinct"):
        operation = load_operations()[name]
        lines = operation.body_lines().splitlines()
        assert len(lines) == len(set(lines)) == len(operation.expected) > 32


def test_accounts_answer_any_user_id() -> None:
    accounts = build_subgraphs()["accounts"]
    body = request("query($id: ID!) { user(id: $id) { id name } }", {"id": "1042"})
    answer = orjson.loads(accounts.respond(body))
    assert answer == {"data": {"user": {"id": "1042", "name": "User 1042"}}}


async def exchange(port: int, raw_requests: bytes, responses: int) -> list[bytes]:
    """Send raw HTTP/1.1 bytes on one connection; the bodies of the responses."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw_requests)
    await writer.drain()
    bodies = []
    for _ in range(responses):
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        bodies.append(await reader.readexactly(length))
    writer.close()
    await writer.wait_closed()
    return bodies


async def test_http_keeps_alive_reads_chunked_bodies_and_counts_identified_requests(
    port_base: int,
) -> None:
    base = port_base
    servers = await start_servers("127.0.0.1", base)
    try:
        body = request("{ me { id name username } }")
        plain = (
            b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        chunked = (
            b"POST /graphql HTTP/1.1\r\nHost: x\r\nX-Agora-User-Id: u1\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
            + f"{len(body[:10]):x}\r\n".encode()
            + body[:10]
            + b"\r\n"
            + f"{len(body[10:]):x}\r\n".encode()
            + body[10:]
            + b"\r\n0\r\n\r\n"
        )
        stats = b"GET /stats HTTP/1.1\r\nHost: x\r\n\r\n"
        answers = await exchange(base + 2, plain + chunked + stats, 3)
        assert [orjson.loads(answer) for answer in answers] == [
            expected_me(),
            expected_me(),
            {"hits": 1, "misses": 1, "identified": 1},
        ]
    finally:
        for server in servers:
            server.close()
            await server.wait_closed()


def test_every_nested_distinct_page_needs_its_own_accounts_fetch() -> None:
    """Pages at different offsets have different author lists (so no gateway can share
    an accounts fetch between them), and each repeats authors (so de-duplicating
    representations pays)."""
    author_lists = []
    for expected in load_operations()["nested-distinct"].expected:
        authors: list[str] = []
        reviews = 0
        for product in expected["data"]["topProducts"]:
            for review in product["reviews"]:
                reviews += 1
                if review["author"]["id"] not in authors:
                    authors.append(review["author"]["id"])
        assert len(authors) < reviews / 4
        author_lists.append(tuple(authors))
    assert len(set(author_lists)) == len(author_lists)
