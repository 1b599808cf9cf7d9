"""Supergraph config files in rover's format, and fetching the SDL they point at.

    subgraphs:
      accounts:
        routing_url: http://127.0.0.1:4001/graphql
        schema:
          file: schema/accounts.graphql       # or: subgraph_url: http://.../graphql

(https://www.apollographql.com/docs/rover/commands/supergraphs#yaml-configuration-file)
A relative `file` is relative to the config file's folder, as rover reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
import yaml

from .errors import SupergraphConfigError
from .subgraph import SubgraphDefinition

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "SERVICE_SDL_QUERY",
    "SubgraphConfig",
    "fetch_subgraph_sdl",
    "load_supergraph_config",
]

# What a federation subgraph answers with its SDL (subgraph spec, `_service`).
SERVICE_SDL_QUERY = "query SubgraphIntrospectQuery { _service { sdl } }"


@dataclass(frozen=True, slots=True)
class SubgraphConfig:
    """One entry of `subgraphs:`: where the subgraph is routed and where its SDL is."""

    name: str
    routing_url: str
    schema_file: Path | None = None
    subgraph_url: str | None = None

    def read(self, timeout: float = 10.0) -> SubgraphDefinition:
        """The subgraph's definition: its SDL file, or `_service { sdl }` at its URL."""
        if self.schema_file is not None:
            try:
                sdl = self.schema_file.read_text()
            except OSError as error:
                raise SupergraphConfigError(
                    f"subgraph {self.name}: cannot read {self.schema_file}:"
                    f" {error.strerror}"
                ) from error
        else:
            assert self.subgraph_url is not None  # load_supergraph_config checked it
            sdl = fetch_subgraph_sdl(self.name, self.subgraph_url, timeout)
        return SubgraphDefinition(self.name, self.routing_url, sdl)


def load_supergraph_config(path: Path) -> tuple[SubgraphConfig, ...]:
    """Read a rover supergraph config; raises SupergraphConfigError when malformed."""
    try:
        document = yaml.safe_load(path.read_text())
    except OSError as error:
        raise SupergraphConfigError(f"cannot read {path}: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise SupergraphConfigError(f"{path} is not valid YAML: {error}") from error
    subgraphs = document.get("subgraphs") if isinstance(document, dict) else None
    if not isinstance(subgraphs, dict) or not subgraphs:
        raise SupergraphConfigError(f"{path}: expected a non-empty `subgraphs:` map")
    configs: list[SubgraphConfig] = []
    for name, entry in subgraphs.items():
        schema = entry.get("schema") if isinstance(entry, dict) else None
        if not isinstance(schema, dict):
            raise SupergraphConfigError(f"{path}: subgraph {name} has no `schema:` map")
        file = schema.get("file")
        subgraph_url = schema.get("subgraph_url")
        if (file is None) == (subgraph_url is None):
            raise SupergraphConfigError(
                f"{path}: subgraph {name} needs exactly one of schema.file and"
                " schema.subgraph_url"
            )
        routing_url = entry.get("routing_url") or subgraph_url
        if not routing_url:
            raise SupergraphConfigError(f"{path}: subgraph {name} has no routing_url")
        configs.append(
            SubgraphConfig(
                name=str(name),
                routing_url=str(routing_url),
                schema_file=path.parent / file if file is not None else None,
                subgraph_url=str(subgraph_url) if subgraph_url is not None else None,
            )
        )
    return tuple(configs)


def fetch_subgraph_sdl(name: str, url: str, timeout: float = 10.0) -> str:
    """Ask a running subgraph for its SDL through `_service { sdl }`."""
    try:
        response = httpx.post(url, json={"query": SERVICE_SDL_QUERY}, timeout=timeout)
        response.raise_for_status()
        sdl = response.json()["data"]["_service"]["sdl"]
    except httpx.HTTPError as error:
        raise SupergraphConfigError(
            f"subgraph {name}: cannot introspect {url}: {error}"
        ) from error
    except (ValueError, KeyError, TypeError) as error:
        raise SupergraphConfigError(
            f"subgraph {name}: {url} did not answer `_service {{ sdl }}`"
        ) from error
    if not isinstance(sdl, str):
        raise SupergraphConfigError(f"subgraph {name}: {url} returned no SDL")
    return sdl
