"""docker-compose.yml agrees with the code (Docker itself does not run in CI)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def _subgraph_services() -> dict[str, str]:
    found = {}
    for service, spec in SERVICES.items():
        command = " ".join(spec.get("command") or [])
        match = re.search(r"-m subgraphs\.(\w+)", command)
        if match:
            found[service] = match.group(1)
    return found


def test_every_subgraph_service_runs_a_subgraph_that_exists() -> None:
    services = _subgraph_services()

    assert services, "no subgraph services in docker-compose.yml"
    for service, package in services.items():
        assert (ROOT / "subgraphs" / package / "__main__.py").exists(), service


def test_every_subgraph_with_an_app_has_a_service() -> None:
    packages = {path.parent.name for path in (ROOT / "subgraphs").glob("*/app.py")} - {
        "kit"
    }

    assert packages <= set(_subgraph_services().values())


def test_the_gateway_routes_to_each_subgraph_service_and_its_schema_file() -> None:
    config = yaml.safe_load(COMPOSE["configs"]["supergraph-docker"]["content"])
    gateway_needs = set(SERVICES["gateway"]["depends_on"])

    for name, subgraph in config["subgraphs"].items():
        host = re.match(r"http://([\w-]+):(\d+)/", subgraph["routing_url"])
        assert host is not None, name
        assert host.group(1) in SERVICES, name
        assert host.group(1) in gateway_needs, name
        assert str(SERVICES[host.group(1)]["environment"]["PORT"]) == host.group(2)
        assert (ROOT / subgraph["schema"]["file"]).exists(), name


def test_no_secret_has_a_default_in_the_repository() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    for name in ("JWT_SECRET", "AGORA_GATEWAY_SECRET", "POSTGRES_PASSWORD"):
        uses = re.findall(r"\$\{" + name + r"(:?[-?][^}]*)?\}", text)
        assert uses, name
        # `${NAME:?message}` refuses to start without it; `${NAME:-x}` would default.
        assert all(use.startswith(":?") for use in uses), (name, uses)
    assert "agora-dev" not in text


def test_every_process_runs_in_the_production_posture() -> None:
    for service, spec in SERVICES.items():
        if service in ("postgres", "redis"):
            continue
        assert spec["environment"]["AGORA_ENV"] == "production", service


def test_scripts_secrets_writes_secrets_the_production_posture_accepts(
    tmp_path: Path,
) -> None:
    from gateway.config import load_config

    script = tmp_path / "scripts" / "secrets"
    script.parent.mkdir()
    script.write_text((ROOT / "scripts" / "secrets").read_text())
    script.chmod(0o755)
    subprocess.run([str(script)], check=True, capture_output=True)
    env = dict(
        line.split("=", 1) for line in (tmp_path / ".env").read_text().splitlines()
    )
    assert set(env) == {"JWT_SECRET", "AGORA_GATEWAY_SECRET", "POSTGRES_PASSWORD"}
    assert len(set(env.values())) == 3
    assert (tmp_path / ".env").stat().st_mode & 0o077 == 0
    config = load_config(environ={"AGORA_ENV": "production", **env})
    assert config.production
    # A second run keeps the secrets a running deployment uses.
    subprocess.run([str(script)], check=True, capture_output=True)
    assert (
        dict(
            line.split("=", 1) for line in (tmp_path / ".env").read_text().splitlines()
        )
        == env
    )
