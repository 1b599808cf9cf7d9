"""Settings come from the environment and give each subgraph its own database."""

from __future__ import annotations

from pathlib import Path

import pytest

from subgraphs.kit.settings import Settings


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
