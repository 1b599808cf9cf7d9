"""What projection costs per answer (issue 18): one merged answer of 400 objects
(scalars, an enum, a union, an interface, lists) through a compiled Projection, in
process; prints the best of 7 rounds.

    .venv/bin/python scripts/bench/projection.py [--rounds 400]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from graphql import OperationDefinitionNode, build_schema, parse

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from gateway.execution import Projection

if TYPE_CHECKING:
    from gateway.types import JSONObject

SCHEMA = build_schema(
    """
    enum Status { OPEN CLOSED }
    interface Node { id: ID! }
    type Book implements Node { id: ID! title: String! status: Status tags: [String!]! }
    type Film implements Node { id: ID! title: String! minutes: Int }
    union Item = Book | Film
    type Query { items: [Item!]! nodes: [Node]! count: Int }
    """
)
QUERY = """{
  count
  items {
    __typename
    ... on Book { id title status tags }
    ... on Film { id title minutes }
  }
  nodes { __typename id ... on Book { status } }
}"""


def answer() -> JSONObject:
    items: list[JSONObject] = []
    for i in range(200):
        if i % 2:
            book: JSONObject = {"__typename": "Book", "id": str(i), "title": "t"}
            items.append({**book, "status": "OPEN", "tags": ["a", "b"]})
        else:
            film: JSONObject = {"__typename": "Film", "id": str(i), "title": "t"}
            items.append({**film, "minutes": i})
    nodes: list[JSONObject] = [
        {"__typename": "Book", "id": str(i), "status": "CLOSED"} for i in range(200)
    ]
    return {"count": 3, "items": list(items), "nodes": list(nodes)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=400)
    rounds = parser.parse_args().rounds
    document = parse(QUERY)
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    projection = Projection(SCHEMA, document, operation)
    data = answer()
    errors: list[JSONObject] = []
    assert projection.project(data, {}, errors) is not None
    assert not errors
    best = float("inf")
    for _ in range(7):
        start = time.perf_counter()
        for _ in range(rounds):
            projection.project(data, {}, errors)
        best = min(best, (time.perf_counter() - start) / rounds)
    print(f"project(): {best * 1e6:.1f} µs per answer of 400 objects (best of 7)")


if __name__ == "__main__":
    main()
