"""Settings come from the environment and give each subgraph its own database."""

from __future__ import annotations

from pathlib import Path

import pytest

from subgraphs.kit.settings import Settings, SettingsError


def test_defaults_run_embedded_with_a_sqlite_file_per_subgraph() -> None:
    settings = Settings.from_env({})
    assert settings.redis_url is None
    assert settings.database_url_for("accounts") == "sqlite://data/accounts.sqlite3"
    assert settings.database_url_for("chat") == "sqlite://data/chat.sqlite3"


def test_environment_overrides_each_setting() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgres://u@db:5432/agora",
            "REDIS_URL": "redis://cache:6379/0",
            "AGORA_DATA_DIR": "/var/agora",
            "JWT_SECRET": "s" * 40,
            "ACCESS_TOKEN_TTL": "60",
            "AGORA_GATEWAY_SECRET": "gw",
        }
    )
    assert settings.redis_url == "redis://cache:6379/0"
    assert settings.data_dir == Path("/var/agora")
    assert settings.jwt_secret == "s" * 40
    assert settings.access_token_ttl == 60.0
    assert settings.gateway_secret == "gw"


def test_empty_redis_url_means_in_memory_pubsub() -> None:
    assert Settings.from_env({"REDIS_URL": ""}).redis_url is None


def test_postgres_subgraphs_get_their_own_schema() -> None:
    settings = Settings(database_url="postgres://u@db:5432/agora?minsize=2")
    assert (
        settings.database_url_for("inventory")
        == "postgres://u@db:5432/agora?minsize=2&schema=inventory"
    )


def test_given_sqlite_file_is_split_per_subgraph() -> None:
    settings = Settings(database_url="sqlite:///tmp/agora.db")
    assert settings.database_url_for("chat") == "sqlite:///tmp/agora-chat.db"
    memory = Settings(database_url="sqlite://:memory:")
    assert memory.database_url_for("chat") == "sqlite://:memory:"


def test_malformed_numbers_name_the_variable() -> None:
    with pytest.raises(ValueError, match="ACCESS_TOKEN_TTL must be a number"):
        Settings.from_env({"ACCESS_TOKEN_TTL": "soon"})
    with pytest.raises(ValueError, match="REFRESH_TOKEN_TTL must be positive"):
        Settings.from_env({"REFRESH_TOKEN_TTL": "0"})


def test_dev_secrets_are_reported_until_both_are_set() -> None:
    assert Settings().uses_dev_secrets
    assert Settings(jwt_secret="j" * 40).uses_dev_secrets
    assert not Settings(jwt_secret="j" * 40, gateway_secret="g" * 20).uses_dev_secrets


def test_development_accepts_bearer_tokens_and_leaves_federation_fields_open() -> None:
    settings = Settings.from_env({})
    assert settings.environment == "development"
    assert settings.accepts_bearer
    assert not settings.entities_gateway_only
    assert settings.identity_max_age == 60.0
    settings.check_production()


def test_production_closes_bearer_and_federation_fields() -> None:
    settings = Settings.from_env({"AGORA_ENV": "production"})
    assert settings.production
    assert not settings.accepts_bearer
    assert settings.entities_gateway_only
    reopened = Settings.from_env(
        {"AGORA_ENV": "production", "AGORA_SUBGRAPH_GATEWAY_ONLY": "0"}
    )
    assert not reopened.entities_gateway_only
    # Even a Settings built by hand: production never accepts a bearer token.
    assert not Settings(environment="production", accept_bearer=True).accepts_bearer


def test_identity_settings_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "AGORA_IDENTITY_MAX_AGE": "30",
            "AGORA_IDENTITY_CLOCK_SKEW": "2",
            "AGORA_SUBGRAPH_ACCEPT_BEARER": "false",
            "AGORA_SUBGRAPH_GATEWAY_ONLY": "yes",
        }
    )
    assert (settings.identity_max_age, settings.identity_clock_skew) == (30.0, 2.0)
    assert not settings.accepts_bearer
    assert settings.entities_gateway_only


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"AGORA_ENV": "prod"}, "AGORA_ENV must be one of development, production"),
        ({"AGORA_SUBGRAPH_GATEWAY_ONLY": "maybe"}, "AGORA_SUBGRAPH_GATEWAY_ONLY must"),
        (
            {"AGORA_ENV": "production", "AGORA_SUBGRAPH_ACCEPT_BEARER": "1"},
            "AGORA_SUBGRAPH_ACCEPT_BEARER cannot be on with AGORA_ENV=production",
        ),
        ({"AGORA_IDENTITY_MAX_AGE": "-5"}, "AGORA_IDENTITY_MAX_AGE must be positive"),
    ],
)
def test_unusable_identity_settings_name_the_variable(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(environ)


@pytest.mark.parametrize(
    ("secrets", "message"),
    [
        ({}, "JWT_SECRET is the development default"),
        ({"jwt_secret": "j" * 40}, "AGORA_GATEWAY_SECRET is the development default"),
        ({"jwt_secret": "j" * 40, "gateway_secret": "g" * 31}, "shorter than 32"),
    ],
)
def test_production_refuses_development_or_short_secrets(
    secrets: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings(environment="production", **secrets).check_production()
    Settings(
        environment="production", jwt_secret="j" * 40, gateway_secret="g" * 32
    ).check_production()


def test_idempotency_records_are_kept_a_day_unless_set() -> None:
    assert Settings.from_env({}).idempotency_ttl == 86_400.0
    assert Settings.from_env({"AGORA_IDEMPOTENCY_TTL": "60"}).idempotency_ttl == 60.0
    with pytest.raises(SettingsError, match="AGORA_IDEMPOTENCY_TTL"):
        Settings.from_env({"AGORA_IDEMPOTENCY_TTL": "-1"})
