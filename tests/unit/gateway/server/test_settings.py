"""Gateway settings come from the environment; progressive override is drawn."""

from __future__ import annotations

import random

import pytest

from gateway.server.operations import draw_override_labels
from gateway.settings import GatewaySettings


def test_defaults_run_the_embedded_mode() -> None:
    settings = GatewaySettings.from_env({})
    assert settings == GatewaySettings()
    assert settings.timeout_for("accounts") == 30.0


def test_every_setting_is_read_from_the_environment() -> None:
    settings = GatewaySettings.from_env(
        {
            "AGORA_GATEWAY_SUBGRAPH_TIMEOUT": "2.5",
            "AGORA_GATEWAY_SUBGRAPH_TIMEOUTS": "chat=0.5, accounts=4",
            "AGORA_GATEWAY_MAX_BODY_BYTES": "4096",
            "AGORA_GATEWAY_FORWARD_HEADERS": "Authorization, X-Tenant",
            "AGORA_GATEWAY_GRAPHIQL": "0",
            "AGORA_GATEWAY_EXPLAIN": "false",
            "AGORA_GATEWAY_OPERATION_CACHE_SIZE": "10",
            "AGORA_GATEWAY_OVERRIDE_LABELS": "beta",
            "AGORA_GATEWAY_SECRET": "shared-with-subgraphs",
            "AGORA_GATEWAY_TRUST_FORWARDED_FOR": "1",
        }
    )
    assert settings == GatewaySettings(
        subgraph_timeout=2.5,
        subgraph_timeouts={"chat": 0.5, "accounts": 4.0},
        max_body_bytes=4096,
        forward_headers=("authorization", "x-tenant"),
        graphiql=False,
        explain=False,
        operation_cache_size=10,
        override_labels=frozenset({"beta"}),
        gateway_secret="shared-with-subgraphs",
        trust_forwarded_for=True,
    )
    assert settings.timeout_for("chat") == 0.5
    assert settings.timeout_for("inventory") == 2.5


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AGORA_GATEWAY_SUBGRAPH_TIMEOUT", "soon"),
        ("AGORA_GATEWAY_SUBGRAPH_TIMEOUTS", "chat"),
    ],
)
def test_malformed_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        GatewaySettings.from_env({name: value})


def test_percent_labels_are_drawn_and_named_labels_follow_settings() -> None:
    labels = frozenset({"percent(25)", "beta", "gamma"})
    rng = random.Random(7)
    draws = [draw_override_labels(labels, frozenset({"beta"}), rng) for _ in range(400)]
    enabled = sum("percent(25)" in draw for draw in draws)
    assert 60 < enabled < 140
    assert all("beta" in draw and "gamma" not in draw for draw in draws)


def test_percent_zero_and_hundred_are_never_and_always() -> None:
    labels = frozenset({"percent(0)", "percent(100)"})
    draw = draw_override_labels(labels, frozenset(), random.Random(1))
    assert draw == frozenset({"percent(100)"})
