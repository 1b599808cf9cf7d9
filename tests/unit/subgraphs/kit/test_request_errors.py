"""Every subgraph app codes its request errors: parse, validation, coercion."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no stubs
import pytest
import strawberry
from tortoise.exceptions import ValidationError

from subgraphs.kit import SubgraphSchema
from subgraphs.kit._request_errors import RequestErrorCodes
from subgraphs.kit.app import SubgraphSpec, create_subgraph_app
from subgraphs.kit.errors import BadUserInput
from subgraphs.kit.settings import Settings

if TYPE_CHECKING:
    from pathlib import Path


@strawberry.type
class Query:
    @strawberry.field
    def double(self, n: int) -> int:
        return 2 * n


def _spec() -> SubgraphSpec:
    # A schema of its own per test: the factory adds extensions to the schema.
    schema = strawberry.federation.Schema(query=Query)
    return SubgraphSpec(name="toy", schema=schema, models=[])


@pytest.fixture
def memory_settings(tmp_path: Path) -> Settings:
    return Settings(database_url="sqlite://:memory:", data_dir=tmp_path)


async def _post(
    asgi_client: Any, settings: Settings, body: dict[str, Any]
) -> dict[str, Any]:
    async with asgi_client(create_subgraph_app(_spec(), settings)) as client:
        response = await client.post("/graphql", json=body)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        pytest.param({"query": "{ double(n: 2"}, "GRAPHQL_PARSE_FAILED", id="parse"),
        pytest.param(
            {"query": "{ double(n: 1.5) }"}, "GRAPHQL_VALIDATION_FAILED", id="literal"
        ),
        pytest.param({"query": "{ nope }"}, "GRAPHQL_VALIDATION_FAILED", id="field"),
        pytest.param(
            {"query": "query($n: Int!) { double(n: $n) }", "variables": {"n": 1.5}},
            "BAD_USER_INPUT",
            id="variable",
        ),
        pytest.param(
            {"query": "query($n: Int!) { double(n: $n) }", "variables": {}},
            "BAD_USER_INPUT",
            id="missing-variable",
        ),
    ],
)
async def test_request_errors_carry_their_apollo_code(
    asgi_client: Any, memory_settings: Settings, body: dict[str, Any], code: str
) -> None:
    result = await _post(asgi_client, memory_settings, body)
    assert result["data"] is None
    assert [e["extensions"]["code"] for e in result["errors"]] == [code]


async def test_a_valid_request_is_untouched(
    asgi_client: Any, memory_settings: Settings
) -> None:
    result = await _post(
        asgi_client,
        memory_settings,
        {"query": "query($n: Int!) { double(n: $n) }", "variables": {"n": 4}},
    )
    assert result == {"data": {"double": 8}}


def test_the_factory_adds_the_extension_once() -> None:
    spec = _spec()
    settings = Settings(database_url="sqlite://:memory:")
    create_subgraph_app(spec, settings)
    create_subgraph_app(spec, settings)
    assert list(spec.schema.extensions).count(RequestErrorCodes) == 1


def test_the_sync_execution_path_is_coded_too() -> None:
    schema = strawberry.federation.Schema(query=Query, extensions=[RequestErrorCodes])
    parse = schema.execute_sync("{ double(n: 2")
    coerce = schema.execute_sync(
        "query($n: Int!) { double(n: $n) }", variable_values={"n": "x"}
    )
    assert parse.errors is not None
    assert coerce.errors is not None
    assert [e.extensions for e in parse.errors + coerce.errors] == [
        {"code": "GRAPHQL_PARSE_FAILED"},
        {"code": "BAD_USER_INPUT"},
    ]


@strawberry.type
class Failing:
    @strawberry.field
    def refused(self) -> int:
        raise BadUserInput("No.", field="refused")

    @strawberry.field
    def broken(self) -> int:
        raise RuntimeError("a defect")


async def test_a_refusal_is_logged_quietly_and_a_defect_once_with_its_traceback(
    asgi_client: Any, memory_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    spec = SubgraphSpec(name="toy", schema=SubgraphSchema(query=Failing), models=[])
    caplog.set_level(logging.DEBUG)
    async with asgi_client(create_subgraph_app(spec, memory_settings)) as client:
        refused = (await client.post("/graphql", json={"query": "{ refused }"})).json()
        invalid = (await client.post("/graphql", json={"query": "{ nope }"})).json()
        loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
        caplog.clear()
        broken = (await client.post("/graphql", json={"query": "{ broken }"})).json()
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert invalid["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert loud == []
    assert broken["errors"][0]["message"] == "Internal server error."
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info is not None
    assert "a defect" in str(errors[0].exc_info[1])


@strawberry.type
class Storing:
    @strawberry.field
    def too_long(self) -> int:
        # What Tortoise raises for a CharField value over its max_length.
        raise ValidationError("name: Length of 'xxxx' 4 > 3")

    @strawberry.field
    async def out_of_range(self) -> int:
        # What PostgreSQL answers for a value its column cannot hold, as wrapped.
        try:
            raise asyncpg.exceptions.NumericValueOutOfRangeError("out of range")
        except asyncpg.PostgresError as exc:
            raise RuntimeError("the query failed") from exc


async def test_a_value_the_database_refuses_is_bad_user_input_not_a_defect(
    asgi_client: Any, memory_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    spec = SubgraphSpec(name="toy", schema=SubgraphSchema(query=Storing), models=[])
    caplog.set_level(logging.DEBUG)
    async with asgi_client(create_subgraph_app(spec, memory_settings)) as client:
        answers = [
            (await client.post("/graphql", json={"query": q})).json()
            for q in ("{ tooLong }", "{ outOfRange }")
        ]
    for answer in answers:
        [error] = answer["errors"]
        assert error["extensions"] == {"code": "BAD_USER_INPUT"}
        assert "xxxx" not in error["message"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
