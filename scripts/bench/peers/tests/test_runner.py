"""The runner drives wrk, checks the supergraph, exports Agora and runs end to end."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest
from fixture_data import load_operations
from runner import (
    HERE,
    SUPERGRAPH,
    VARIANT_PORT_BASE,
    WORKLOADS,
    AgoraVariant,
    BenchAborted,
    LoadSettings,
    RunSecrets,
    agora_environment,
    check_operation,
    compose_supergraph,
    export_gateway,
    gateways,
    get_json,
    hold_run_lock,
    parse_agora_config,
    parse_args,
    port_is_open,
    run_wrk,
    selected_gateways,
)

from gateway.config import ConfigError, load_config
from gateway.policy import PRODUCTION_LIMITS, JwtConfig, TokenVerifier

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk missing: apt-get install wrk"
)
def test_wrk_cycles_through_every_body_and_reports_its_figures(
    tmp_path: Path, port_base: int
) -> None:
    base = port_base
    server = subprocess.Popen(
        [sys.executable, str(HERE / "fixture_server.py"), "--port-base", str(base)],
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not port_is_open(base + 2):
            assert server.poll() is None, "the fixture server exited"
            assert time.monotonic() < deadline, "the fixture server did not start"
            time.sleep(0.1)
        bodies = tmp_path / "bodies.jsonl"
        bodies.write_text(
            '{"query": "{ me { id } }"}\n{"query": "{ me { name } }"}\n'
            '{"query": "{ me { username } }"}\n'
        )
        figures = run_wrk(
            f"http://127.0.0.1:{base + 2}/graphql",
            bodies,
            1,
            LoadSettings(duration=1, warmup=0, connections=4, threads=2),
        )
        assert figures["requests"] > 0
        assert figures["errors_status"] == figures["errors_connect"] == 0
        assert 0 < figures["latency_p50_us"] <= figures["latency_p99_us"]
        stats = get_json(f"http://127.0.0.1:{base + 2}/stats")
        assert stats["misses"] == 3
        # wrk counts the requests that completed inside its window; up to one per
        # connection was still in flight when it stopped.
        served = stats["hits"] + stats["misses"]
        assert figures["requests"] <= served <= figures["requests"] + 4
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=10)


@pytest.mark.skipif(
    not (HERE / "node_modules" / "@apollo" / "composition").exists(),
    reason="Node peers not installed: scripts/bench/peers/run installs them (npm ci)",
)
def test_the_checked_in_supergraphs_are_what_the_reference_composer_produces(
    tmp_path: Path,
) -> None:
    assert SUPERGRAPH == WORKLOADS["peers"].supergraph
    for workload in WORKLOADS.values():
        fresh = tmp_path / f"{workload.name}.graphql"
        compose_supergraph(fresh, workload)
        assert fresh.read_text() == workload.supergraph.read_text()


def test_every_operation_has_an_expected_answer_per_variant() -> None:
    for operation in load_operations().values():
        assert len(operation.variants) == len(operation.expected) >= 1


@pytest.mark.skipif(
    shutil.which("wrk") is None
    or not (HERE / "node_modules" / "@apollo" / "gateway").exists(),
    reason="needs wrk and the Node peers (scripts/bench/peers/run installs them)",
)
def test_a_short_run_checks_measures_and_reports_a_peer(tmp_path: Path) -> None:
    """Two workloads, one after the other; the reference gateway answers the federation
    gateways benchmark's operation exactly as gateways_benchmark.py expects."""
    output = tmp_path / "figures.json"
    completed = subprocess.run(
        [str(HERE / "run"), "--only", "apollo", "--operation", "small",
         "--operation", "gateways-benchmark", "--duration", "1", "--warmup", "0",
         "--output", str(output)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    report = json.loads(output.read_text())
    assert report["settings"]["workloads"] == ["peers", "gateways-benchmark"]
    for name in ("small", "gateways-benchmark"):
        result = report["results"]["operations"][name]["results"]["apollo"]
        assert result["check"] == {"ok": True, "variants": 1}
        assert result["check_after"]["ok"]
        assert result["rps"] > 0
        assert result["errors"] == 0
        assert result["peak_rss_mib"] > 0
    assert report["versions"]["@apollo/gateway"] == "2.14.4"
    assert "apollo   ok" in completed.stdout
    ports = [*WORKLOADS["peers"].ports, *WORKLOADS["gateways-benchmark"].ports, 43202]
    assert not any(port_is_open(port) for port in ports)


def test_export_gateway_writes_the_committed_package(tmp_path: Path) -> None:
    into = export_gateway("HEAD", tmp_path / "agora")
    assert (into / "gateway" / "__init__.py").is_file()
    assert not (into / "subgraphs").exists()


def test_export_gateway_refuses_an_unknown_revision(tmp_path: Path) -> None:
    with pytest.raises(BenchAborted, match="cannot export gateway/ at no-such-rev"):
        export_gateway("no-such-rev", tmp_path / "agora")


def test_a_gateway_that_does_not_answer_is_judged_wrong_not_fatal(
    port_base: int,
) -> None:
    operation = load_operations()["small"]
    verdict = check_operation(f"http://127.0.0.1:{port_base}/graphql", operation)
    assert verdict["ok"] is False
    assert verdict["problem"].startswith("no answer: ")
    assert verdict["variables"] == {}


def test_a_second_run_is_refused_while_the_first_holds_the_lock(
    tmp_path: Path,
) -> None:
    path = tmp_path / "run.lock"
    first = hold_run_lock(path)
    with pytest.raises(BenchAborted, match=rf"another bench run \(pid {os.getpid()}\)"):
        hold_run_lock(path)
    first.close()
    hold_run_lock(path).close()


def test_agora_config_takes_a_name_and_an_existing_file(tmp_path: Path) -> None:
    config = tmp_path / "mine.yaml"
    config.write_text("production: false\n")
    assert parse_agora_config(f"mine={config}") == AgoraVariant("mine", config)
    with pytest.raises(ValueError, match="expected NAME=PATH"):
        parse_agora_config(str(config))
    with pytest.raises(ValueError, match="expected NAME=PATH"):
        parse_agora_config(f"Not A Name={config}")
    with pytest.raises(ValueError, match="no such file"):
        parse_agora_config(f"gone={tmp_path / 'gone.yaml'}")


def test_agora_variants_take_agoras_place_each_on_a_port_under_its_config() -> None:
    args = parse_args(["--agora-variants", "--only", "agora", "--only", "hive"])
    variants = tuple(args.agora_config)
    assert [variant.name for variant in variants] == ["bare", "production"]
    names = selected_gateways(args.only, variants)
    assert names == ["agora:bare", "agora:production", "hive"]
    found = gateways(variants=variants, run_secrets=RunSecrets.generate())
    bare, production = found["agora:bare"], found["agora:production"]
    assert (bare.port, production.port) == (VARIANT_PORT_BASE, VARIANT_PORT_BASE + 1)
    assert bare.command[bare.command.index("--config") + 1] == str(
        HERE / "agora" / "bare.yaml"
    )
    assert production.command[-1] == str(production.port)
    assert bare.environment == production.environment


def test_agora_dedup_runs_agora_without_then_with_dedup_beside_both_hive_modes() -> (
    None
):
    args = parse_args(["--agora-dedup"])
    variants = tuple(args.agora_config)
    assert [variant.name for variant in variants] == ["dedup-off", "dedup-on"]
    assert selected_gateways(args.only, variants) == [
        "agora:dedup-off",
        "agora:dedup-on",
        "apollo",
        "hive",
        "hive-dedup",
    ]
    environ = agora_environment(RunSecrets.generate(), {})
    off, on = (load_config(variant.config, environ=environ) for variant in variants)
    assert (off.dedup.inbound, off.dedup.upstream) == (False, False)
    assert (on.dedup.inbound, on.dedup.upstream) == (True, True)
    # Apart from de-duplication, both are Agora's defaults.
    assert off.limits == on.limits == load_config(None, environ=environ).limits
    found = gateways()
    for name, config in (("hive", "dedup-off.mjs"), ("hive-dedup", "dedup-on.mjs")):
        command = found[name].command
        assert command[command.index("--config-path") + 1] == str(
            HERE / "hive" / config
        )
    assert "--config-path" not in found["hive-js"].command
    assert len({gateway.port for gateway in found.values()}) == len(found)


def test_hive_configs_use_the_rust_planner_and_set_both_dedup_switches() -> None:
    off = (HERE / "hive" / "dedup-off.mjs").read_text()
    on = (HERE / "hive" / "dedup-on.mjs").read_text()
    planner = 'import { unifiedGraphHandler } from "@graphql-hive/router-runtime"'
    assert planner in off
    assert planner in on
    assert "inboundInflightRequestDeduplication: false" in off
    assert "deduplicateInflightRequests: false" in off
    assert "inboundInflightRequestDeduplication: true" in on
    assert "deduplicateInflightRequests: true" in on


def test_variants_need_agora_among_the_gateways() -> None:
    variants = (AgoraVariant("bare", HERE / "agora" / "bare.yaml"),)
    with pytest.raises(BenchAborted, match="need agora in --only"):
        selected_gateways(["apollo"], variants)
    assert selected_gateways(["apollo"], ()) == ["apollo"]


def test_agora_reads_only_its_file_and_the_run_secrets_from_its_environment() -> None:
    run_secrets = RunSecrets.generate()
    base = {
        "PATH": "/usr/bin",
        "AGORA_ENV": "production",
        "AGORA_GATEWAY_LIMITS_MAX_DEPTH": "3",
        "JWT_SECRET": "from-the-shell",
        "PORT": "4000",
    }
    assert agora_environment(run_secrets, base) == {
        "PATH": "/usr/bin",
        "JWT_SECRET": run_secrets.jwt_secret,
        "AGORA_GATEWAY_SECRET": run_secrets.gateway_secret,
    }
    assert agora_environment(None, base) == {"PATH": "/usr/bin"}


async def test_the_run_token_is_verified_with_the_run_secret_only() -> None:
    run_secrets = RunSecrets.generate()
    assert len(run_secrets.jwt_secret) >= 32 <= len(run_secrets.gateway_secret)
    token = run_secrets.authorization().removeprefix("Bearer ")
    identity = await TokenVerifier(JwtConfig(secret=run_secrets.jwt_secret)).verify(
        token
    )
    assert identity.user_id == "bench-user"
    assert identity.expires_at > time.time() + 3600
    other = TokenVerifier(JwtConfig(secret=RunSecrets.generate().jwt_secret))
    with pytest.raises(Exception, match="signature does not verify"):
        await other.verify(token)


def test_bare_config_turns_every_policy_off_it_can() -> None:
    environ = agora_environment(RunSecrets.generate(), {})
    config = load_config(HERE / "agora" / "bare.yaml", environ=environ)
    assert not config.production
    assert not config.csrf.enabled
    assert config.clients == ()
    assert dict(config.authorization.policies) == {}
    limits = config.limits
    assert (
        limits.max_depth,
        limits.max_aliases,
        limits.max_root_fields,
        limits.max_directives,
        limits.max_tokens,
        limits.max_cost,
        limits.max_height,
    ) == (None,) * 7
    assert config.auth.jwt_secret == environ["JWT_SECRET"]
    assert config.secret == environ["AGORA_GATEWAY_SECRET"]


def test_production_config_is_production_with_the_run_secrets_only() -> None:
    path = HERE / "agora" / "production.yaml"
    environ = agora_environment(RunSecrets.generate(), {})
    config = load_config(path, environ=environ)
    assert config.production
    assert config.limits == PRODUCTION_LIMITS
    assert config.csrf.enabled
    assert not config.switch("introspection")
    assert config.auth.jwt_secret == environ["JWT_SECRET"]
    assert config.secret == environ["AGORA_GATEWAY_SECRET"]
    with pytest.raises(ConfigError, match="development secret"):
        load_config(path, environ={})


@pytest.mark.skipif(
    shutil.which("wrk") is None
    or not (HERE / "node_modules" / "@apollo" / "composition").exists(),
    reason="needs wrk and the Node peers (scripts/bench/peers/run installs them)",
)
def test_a_short_run_measures_agora_bare_and_production_with_a_token(
    tmp_path: Path,
) -> None:
    output = tmp_path / "figures.json"
    completed = subprocess.run(
        [str(HERE / "run"), "--only", "agora", "--agora-variants",
         "--operation", "small-distinct", "--duration", "1", "--warmup", "0",
         "--output", str(output)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    report = json.loads(output.read_text())
    operation = report["results"]["operations"]["small-distinct"]
    for name in ("agora:bare", "agora:production"):
        result = operation["results"][name]
        assert result["check"] == {"ok": True, "variants": 200}
        assert result["errors"] == 0
        # Every subgraph request named the token's user: wrk sent the token, and
        # the gateway verified it and signed the identity.
        assert result["subgraph_identified_share"] == 1.0
    assert operation["variant_ratios"]["production/bare"]["rps"] > 0
    assert operation["ratios"] == {}
    assert report["settings"]["agora_configs"] == {
        "bare": "scripts/bench/peers/agora/bare.yaml",
        "production": "scripts/bench/peers/agora/production.yaml",
    }
    assert "  production/bare: rps x" in completed.stdout
    assert not any(port_is_open(port) for port in (43101, 43211, 43212))
