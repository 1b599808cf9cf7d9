"""gateway.yaml and the environment: one configuration, errors that name the key."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import jwt
import pytest

from gateway.config import (
    DEV_GATEWAY_SECRET,
    DEV_JWT_SECRET,
    ConfigError,
    GatewayConfig,
    hash_api_key,
    load_config,
)
from gateway.policy import (
    DEVELOPMENT_LIMITS,
    PRODUCTION_LIMITS,
    LimitsMode,
    TokenInvalid,
)
from gateway.server.app import token_verifier

if TYPE_CHECKING:
    from pathlib import Path

STRONG = "a-production-secret-that-is-long-enough-0123456789"


def test_defaults_run_the_embedded_mode() -> None:
    config = load_config(environ={})
    assert config == GatewayConfig()
    assert config.limits == DEVELOPMENT_LIMITS
    assert config.timeout_for("accounts") == 5.0
    assert not config.production
    assert all(
        config.switch(name)
        for name in ("introspection", "field_suggestions", "explain", "graphiql")
    )


def test_the_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    path = tmp_path / "gateway.yaml"
    path.write_text(
        "supergraph: schema/supergraph.graphql\n"
        "server: {port: 5000, request_timeout: 12}\n"
        "limits: {max_depth: 12, max_aliases: 30, mode: measure}\n"
        "cors: {allow_origins: ['https://app.example']}\n"
        "subgraph_timeouts: {chat: 2}\n"
    )
    config = load_config(
        path,
        environ={
            "PORT": "6000",
            "AGORA_GATEWAY_LIMITS_MAX_DEPTH": "8",
            "AGORA_GATEWAY_SUBGRAPH_TIMEOUTS": "accounts=4",
        },
    )
    assert config.supergraph == "schema/supergraph.graphql"
    assert config.server.port == 6000
    assert config.server.request_timeout == 12.0
    assert config.limits.max_depth == 8
    assert config.limits.max_aliases == 30
    assert config.limits.mode is LimitsMode.MEASURE
    assert config.cors.allow_origins == ("https://app.example",)
    assert config.subgraph_timeouts == {"accounts": 4.0}


def test_the_variables_of_earlier_releases_still_apply() -> None:
    config = load_config(
        environ={
            "AGORA_GATEWAY_SUBGRAPH_TIMEOUT": "2.5",
            "AGORA_GATEWAY_SUBGRAPH_TIMEOUTS": "chat=0.5, accounts=4",
            "AGORA_GATEWAY_MAX_BODY_BYTES": "4096",
            "AGORA_GATEWAY_FORWARD_HEADERS": "x-tenant, x-request-id",
            "AGORA_GATEWAY_GRAPHIQL": "0",
            "AGORA_GATEWAY_EXPLAIN": "false",
            "AGORA_GATEWAY_OPERATION_CACHE_SIZE": "10",
            "AGORA_GATEWAY_OPERATION_CACHE_TEXT_BYTES": "8388608",
            "AGORA_GATEWAY_OVERRIDE_LABELS": "beta",
            "AGORA_GATEWAY_SECRET": "shared-with-subgraphs",
            "AGORA_GATEWAY_TRUST_FORWARDED_FOR": "1",
            "AGORA_GATEWAY_SUBSCRIPTION_OUTBOX_LIMIT": "50",
            "JWT_SECRET": "hs256-secret",
            "HOST": "0.0.0.0",
            "LOG_LEVEL": "debug",
        }
    )
    assert config.subgraph_timeout == 2.5
    assert config.timeout_for("chat") == 0.5
    assert config.timeout_for("inventory") == 2.5
    assert config.max_body_bytes == 4096
    assert config.forward_headers == ("x-tenant", "x-request-id")
    assert not config.switch("graphiql")
    assert not config.switch("explain")
    assert config.operation_cache_size == 10
    assert config.operation_cache_text_bytes == 8 * 1024 * 1024
    assert config.override_labels == frozenset({"beta"})
    assert config.secret == "shared-with-subgraphs"
    assert config.trust_forwarded_for
    assert config.subscription.outbox_limit == 50
    assert config.auth.jwt_secret == "hs256-secret"
    assert config.server.host == "0.0.0.0"
    assert config.server.log_level == "debug"


@pytest.mark.parametrize(
    ("values", "environ", "message"),
    [
        ({"limits": {"max_dept": 3}}, {}, "limits.max_dept: unknown key"),
        ({"limits": {"max_dept": 3}}, {}, "did you mean max_depth"),
        ({"limits": {"max_depth": "deep"}}, {}, "limits.max_depth: expected a number"),
        ({"limits": {"max_depth": -1}}, {}, "limits.max_depth: must not be negative"),
        ({"limits": {"mode": "loose"}}, {}, "limits.mode: expected one of"),
        ({"cors": {"allow_origins": "x"}}, {}, "cors.allow_origins: expected a list"),
        ({}, {"AGORA_GATEWAY_SUBGRAPH_TIMEOUTS": "chat"}, "subgraph_timeouts"),
        ({}, {"AGORA_GATEWAY_SUBGRAPH_TIMEOUT": "soon"}, "subgraph_timeout"),
        ({"http_client": "curl"}, {}, "http_client"),
        ({"operation_cache_size": 0}, {}, "operation_cache_size: at least 1"),
        (
            {"operation_cache_text_bytes": 1000},
            {},
            "operation_cache_text_bytes: at least max_body_bytes",
        ),
        ({"clients": [{"api_key_sha256": []}]}, {}, "clients[0].name: required"),
        (
            {"clients": [{"name": "p", "api_key_sha256": ["the-key-itself"]}]},
            {},
            "clients[0].api_key_sha256",
        ),
    ],
)
def test_a_bad_value_is_refused_naming_its_key(
    values: dict[str, object], environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        load_config(environ=environ, values=values)


def test_a_bad_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "gateway.yaml"
    path.write_text("limits: [1, 2]\n")
    with pytest.raises(ConfigError, match=r"gateway.yaml: limits\. must be|limits"):
        load_config(path, environ={})
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml", environ={})


@pytest.mark.parametrize(
    ("environ", "key"),
    [
        ({"AGORA_GATEWAY_SECRET": STRONG}, "JWT_SECRET"),
        ({"JWT_SECRET": STRONG}, "AGORA_GATEWAY_SECRET"),
        ({"JWT_SECRET": STRONG, "AGORA_GATEWAY_SECRET": "short"}, "at least 32"),
    ],
)
def test_production_refuses_the_development_secrets(
    environ: dict[str, str], key: str
) -> None:
    with pytest.raises(ConfigError, match=key):
        load_config(environ={"AGORA_ENV": "production", **environ})


def test_production_turns_the_development_conveniences_off() -> None:
    config = load_config(
        environ={
            "AGORA_ENV": "production",
            "JWT_SECRET": STRONG,
            "AGORA_GATEWAY_SECRET": STRONG,
            "AGORA_GATEWAY_INTROSPECTION": "1",
        }
    )
    assert config.production
    assert config.switch("introspection")  # turned back on by its own key
    assert not config.switch("field_suggestions")
    assert not config.switch("explain")
    assert not config.switch("graphiql")
    assert config.limits == PRODUCTION_LIMITS
    assert DEV_JWT_SECRET != STRONG != DEV_GATEWAY_SECRET


def test_a_client_changes_only_the_limits_it_names() -> None:
    config = load_config(
        environ={},
        values={
            "limits": {"max_depth": 10, "max_aliases": 20},
            "clients": [
                {
                    "name": "partner",
                    "api_key_sha256": [hash_api_key("k")],
                    "limits": {"max_depth": 4},
                }
            ],
        },
    )
    (client,) = config.clients
    assert client.limits is not None
    assert (client.limits.max_depth, client.limits.max_aliases) == (4, 20)
    assert client.api_key_sha256 == (hash_api_key("k"),)


async def test_jwt_issuer_is_the_iss_hs256_tokens_must_carry(tmp_path: Path) -> None:
    """auth.jwt_issuer (JWT_ISSUER, accounts' variable) reaches the verifier."""
    assert load_config(environ={}).auth.jwt_issuer == "agora"
    config = load_config(environ={"JWT_ISSUER": "agora-staging"})
    assert config.auth.jwt_issuer == "agora-staging"
    verifier = token_verifier(config)
    now = int(time.time())

    def token(issuer: str) -> str:
        claims = {"sub": "u1", "type": "access", "iss": issuer, "iat": now}
        claims["exp"] = now + 60
        return jwt.encode(claims, DEV_JWT_SECRET, algorithm="HS256")

    assert (await verifier.verify(token("agora-staging"))).user_id == "u1"
    with pytest.raises(TokenInvalid):
        await verifier.verify(token("agora"))
    path = tmp_path / "gateway.yaml"
    path.write_text("auth: {jwt_issuer: ''}\n")
    with pytest.raises(ConfigError, match=r"auth.jwt_issuer \(JWT_ISSUER\)"):
        load_config(path, environ={})
