"""The entity cache: public `_entities` answers kept per representation, for as long
as the subgraph said and no longer; everything else passes through untouched."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from gateway.transport import (
    EntityCache,
    EntityCacheTransport,
    MockTransport,
    SignedHeaders,
    SubgraphRequest,
    SubgraphResponse,
)
from gateway.transport.boundary import decode_response, public_max_age

if TYPE_CHECKING:
    from gateway.types import JSONObject

QUERY = (
    "query($representations:[_Any!]!){_entities(representations:$representations)"
    "{...on User{displayName}}}"
)


def users(*ids: str) -> list[JSONObject]:
    return [{"__typename": "User", "id": i} for i in ids]


def entities_request(*ids: str, **changes: Any) -> SubgraphRequest:
    fields: dict[str, Any] = {
        "subgraph": "accounts",
        "query": QUERY,
        "variables": {"representations": users(*ids)},
        "entity_fetch": True,
    }
    fields.update(changes)
    return SubgraphRequest(**fields)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Accounts:
    """Answers each representation with its user's name, `Cache-Control: public,
    max-age=max_age` (0: not public), or with an error for ids in `failing`."""

    def __init__(self, max_age: int = 30) -> None:
        self.max_age = max_age
        self.failing: set[str] = set()
        self.names: dict[str, str] = {}

    def __call__(self, request: SubgraphRequest) -> SubgraphResponse:
        entities: list[Any] = []
        errors: list[JSONObject] = []
        for index, rep in enumerate(request.variables["representations"]):
            if rep["id"] in self.failing:
                entities.append(None)
                errors.append({"message": "no such user", "path": ["_entities", index]})
            else:
                name = self.names.get(rep["id"], f"user {rep['id']}")
                entities.append({"displayName": name})
        return SubgraphResponse(
            {"_entities": entities},
            tuple(errors),
            None,
            0 if errors else self.max_age,
        )


def make(
    max_age: int = 30,
    max_entries: int = 100,
    max_ttl: float = 300.0,
    max_bytes: int = 1 << 20,
) -> tuple[EntityCacheTransport, MockTransport, Accounts, Clock, list[int]]:
    accounts = Accounts(max_age)
    inner = MockTransport(accounts)
    clock = Clock()
    counts = [0, 0]

    def count(hits: int, misses: int) -> None:
        counts[0] += hits
        counts[1] += misses

    cache = EntityCache(max_entries, max_ttl, clock, max_bytes=max_bytes)
    return EntityCacheTransport(inner, cache, count), inner, accounts, clock, counts


def asked(inner: MockTransport) -> list[list[str]]:
    return [
        [rep["id"] for rep in request.variables["representations"]]
        for request in inner.requests
    ]


async def test_held_entities_are_not_asked_again() -> None:
    cached, inner, _, _, counts = make()
    first = await cached.fetch(entities_request("1", "2"))
    second = await cached.fetch(entities_request("2", "1"))
    assert asked(inner) == [["1", "2"]]
    assert first.data == {
        "_entities": [{"displayName": "user 1"}, {"displayName": "user 2"}]
    }
    assert second.data == {
        "_entities": [{"displayName": "user 2"}, {"displayName": "user 1"}]
    }
    assert counts == [2, 2]


async def test_only_the_missing_representations_are_sent_in_one_request() -> None:
    cached, inner, _, _, _ = make()
    await cached.fetch(entities_request("1", "3"))
    answer = await cached.fetch(entities_request("1", "2", "3", "4"))
    assert asked(inner) == [["1", "3"], ["2", "4"]]
    assert answer.data == {
        "_entities": [{"displayName": f"user {i}"} for i in ("1", "2", "3", "4")]
    }


async def test_an_entity_lives_no_longer_than_its_max_age() -> None:
    cached, inner, accounts, clock, _ = make(max_age=30)
    await cached.fetch(entities_request("1"))
    accounts.names["1"] = "renamed"
    clock.now += 29.9
    held = await cached.fetch(entities_request("1"))
    assert held.data == {"_entities": [{"displayName": "user 1"}]}
    clock.now += 0.2
    fresh = await cached.fetch(entities_request("1"))
    assert fresh.data == {"_entities": [{"displayName": "renamed"}]}
    assert asked(inner) == [["1"], ["1"]]


async def test_max_ttl_caps_what_the_subgraph_asks_for() -> None:
    cached, inner, _, clock, _ = make(max_age=3600, max_ttl=10)
    await cached.fetch(entities_request("1"))
    clock.now += 10.5
    await cached.fetch(entities_request("1"))
    assert asked(inner) == [["1"], ["1"]]


async def test_answers_that_are_not_public_are_never_kept() -> None:
    cached, inner, _, _, _ = make(max_age=0)
    await cached.fetch(entities_request("1"))
    await cached.fetch(entities_request("1"))
    assert asked(inner) == [["1"], ["1"]]


async def test_an_answer_with_an_error_keeps_nothing_and_its_paths_are_moved() -> None:
    cached, inner, accounts, _, _ = make()
    await cached.fetch(entities_request("1"))
    accounts.failing.add("9")
    answer = await cached.fetch(entities_request("1", "9", "2"))
    # Sent: 9 and 2 (1 was held); 9 failed at index 0 of what was sent, which is
    # index 1 of what the executor asked.
    assert asked(inner)[-1] == ["9", "2"]
    assert answer.data == {
        "_entities": [{"displayName": "user 1"}, None, {"displayName": "user 2"}]
    }
    assert [error["path"] for error in answer.errors] == [["_entities", 1]]
    # Nothing of the failed answer was kept, 2 included.
    accounts.failing.clear()
    await cached.fetch(entities_request("2"))
    assert asked(inner)[-1] == ["2"]


async def test_mutations_and_other_fetches_pass_through() -> None:
    cached, inner, _, _, counts = make()
    await cached.fetch(entities_request("1", idempotent=False))
    await cached.fetch(entities_request("1", idempotent=False))
    await cached.fetch(entities_request("1", entity_fetch=False))
    await cached.fetch(entities_request("1", entity_fetch=False))
    assert len(inner.requests) == 4
    assert counts == [0, 0]


async def test_the_key_holds_subgraph_document_and_other_variables() -> None:
    cached, inner, _, _, _ = make()
    await cached.fetch(entities_request("1"))
    await cached.fetch(entities_request("1", subgraph="other"))
    await cached.fetch(entities_request("1", query=QUERY + " "))
    with_size = {"representations": users("1"), "size": 64}
    await cached.fetch(entities_request("1", variables=with_size))
    await cached.fetch(entities_request("1", variables=dict(with_size)))
    assert len(inner.requests) == 4


async def test_what_the_executor_merges_into_never_reaches_the_cache() -> None:
    cached, _, _, _, _ = make()

    def nested(request: SubgraphRequest) -> SubgraphResponse:
        return SubgraphResponse(
            {"_entities": [{"profile": {"name": "n"}, "tags": ["a"]}]}, (), None, 30
        )

    accounts_nested = MockTransport(nested)
    cached.inner = accounts_nested
    first = await cached.fetch(entities_request("1"))
    assert first.data is not None
    first.data["_entities"][0]["profile"]["name"] = "merged into"
    first.data["_entities"][0]["tags"].append("b")
    second = await cached.fetch(entities_request("1"))
    assert second.data is not None
    assert second.data["_entities"][0] == {"profile": {"name": "n"}, "tags": ["a"]}
    second.data["_entities"][0]["tags"].append("c")
    third = await cached.fetch(entities_request("1"))
    assert third.data is not None
    assert third.data["_entities"][0]["tags"] == ["a"]
    assert len(accounts_nested.requests) == 1


async def test_the_cache_holds_at_most_max_entries_least_recently_used_out() -> None:
    cached, inner, _, _, _ = make(max_entries=2)
    await cached.fetch(entities_request("1", "2"))
    await cached.fetch(entities_request("1"))  # 1 is now the most recent
    await cached.fetch(entities_request("3"))  # pushes 2 out
    assert len(cached.cache) == 2
    await cached.fetch(entities_request("1", "2"))
    assert asked(inner) == [["1", "2"], ["3"], ["2"]]


async def test_the_cache_holds_at_most_max_bytes_of_json() -> None:
    # {"displayName":"user 100"} is 26 bytes: 2,600 bytes hold 100 of them.
    cached, inner, _, _, _ = make(max_entries=1000, max_bytes=2600)
    ids = [str(n) for n in range(100, 210)]
    await cached.fetch(entities_request(*ids))
    assert len(cached.cache) == 100
    assert cached.cache.bytes == 100 * 26
    # The oldest ten went out first.
    await cached.fetch(entities_request(*ids[:20]))
    assert asked(inner)[-1] == ids[:10]


async def test_an_entity_over_a_hundredth_of_max_bytes_is_not_kept() -> None:
    cached, inner, accounts, _, _ = make(max_bytes=10_000)
    accounts.names["big"] = "x" * 100
    await cached.fetch(entities_request("big", "small"))
    await cached.fetch(entities_request("big", "small"))
    assert asked(inner) == [["big", "small"], ["big"]]


async def test_a_huge_representation_is_asked_but_not_kept() -> None:
    cached, inner, _, _, _ = make()
    long_id = "x" * 2000
    await cached.fetch(entities_request(long_id))
    await cached.fetch(entities_request(long_id))
    assert len(inner.requests) == 2
    assert len(cached.cache) == 0


async def test_an_answer_of_the_wrong_length_is_handed_on_as_it_came() -> None:
    cached, _, _, _, _ = make()
    await cached.fetch(entities_request("1"))

    def short(request: SubgraphRequest) -> SubgraphResponse:
        return SubgraphResponse({"_entities": []}, (), None, 30)

    cached.inner = MockTransport(short)
    answer = await cached.fetch(entities_request("1", "2", "3"))
    # The executor reports "expected 3 entities" for the subgraph: it must see
    # the answer it got, not one padded with the held entity.
    assert answer.data == {"_entities": []}


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (b"public, max-age=30", 30),
        (b"max-age=30, public", 30),
        (b"Public, Max-Age=30", 30),
        (b"public, max-age=30, s-maxage=5", 5),
        (b'public, max-age="12"', 12),
        (b"max-age=30", 0),
        (b"private, max-age=30", 0),
        (b"public, private, max-age=30", 0),
        (b"public, no-store", 0),
        (b"public, no-cache, max-age=30", 0),
        (b"no-store", 0),
        (b"public", 0),
        (b"public, max-age=-1", 0),
        (b"public, max-age=1e3", 0),
        (b"public, max-age=99999999999999999999", 0),
        (b"", 0),
    ],
)
def test_public_max_age_reads_cache_control(header: bytes, seconds: int) -> None:
    assert public_max_age(header) == seconds


def test_only_a_successful_answer_without_errors_is_public() -> None:
    body = b'{"data":{"_entities":[{"displayName":"a"}]}}'
    header = b"public, max-age=30"
    assert decode_response("accounts", 200, body, header).public_max_age == 30
    assert decode_response("accounts", 200, body).public_max_age == 0
    assert decode_response("accounts", 500, body, header).public_max_age == 0
    with_errors = b'{"data":{"_entities":[null]},"errors":[{"message":"x"}]}'
    assert decode_response("accounts", 200, with_errors, header).public_max_age == 0


async def test_a_fetch_the_cache_answers_is_never_signed() -> None:
    """The executor's headers are signed when a transport first reads them: an
    HMAC per event was ~9 % of the gateway's CPU on the chat bench."""
    signed: list[int] = []

    def sign() -> dict[str, str]:
        signed.append(1)
        return {"x-agora-signature": f"v1=sig{len(signed)}"}

    def reads_headers(request: SubgraphRequest) -> SubgraphResponse:
        assert request.headers["x-agora-signature"] == "v1=sig1"
        assert dict(request.headers.items()) == {
            "x-forwarded": "kept",
            "x-agora-signature": "v1=sig1",
        }
        return SubgraphResponse({"_entities": [{"displayName": "a"}]}, (), None, 30)

    cached, _, _, _, _ = make()
    cached.inner = MockTransport(reads_headers)
    headers = SignedHeaders({"x-forwarded": "kept"}, sign)
    await cached.fetch(entities_request("1", headers=headers))
    assert signed == [1]
    for _ in range(3):
        hit = entities_request("1", headers=SignedHeaders({}, sign))
        assert (await cached.fetch(hit)).data == {"_entities": [{"displayName": "a"}]}
    assert signed == [1]
