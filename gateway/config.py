"""The gateway's configuration: `gateway.yaml`, overridden by the environment.

One tree of frozen dataclasses, read once at start-up by `load_config`. Every key can
be set in the file; every leaf outside `clients` and `authorization.policies` can also
be set by an environment variable named `AGORA_GATEWAY_` + its path in upper case with
`_` between the parts (`limits.max_depth` -> `AGORA_GATEWAY_LIMITS_MAX_DEPTH`), which
wins over the file. A few variables keep the names every Agora process shares:
`HOST`, `PORT`, `LOG_LEVEL`, `JWT_SECRET`, `JWT_ISSUER`, `REDIS_URL`,
`AGORA_ENV=production`. Lists are comma-separated in the environment, maps
`name=value` pairs (`chat=2,accounts=5`).

Errors name the key (`gateway.yaml: limits.max_dept: unknown key (did you mean
max_depth?)`), so a typo never silently leaves a limit off. `production: true` (or
AGORA_ENV=production) refuses the development secrets and turns introspection, field
suggestions, plan explain and GraphiQL off unless a key (or a client) turns them on.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import hashlib
import os
import types
import typing
from collections.abc import Mapping  # get_type_hints reads it at run time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .policy.authorization import PolicyRule  # noqa: TC001 - get_type_hints reads it
from .policy.limits import DEVELOPMENT_LIMITS, PRODUCTION_LIMITS, OperationLimits
from .policy.tokens import ACCOUNTS_ISSUER, DEV_JWT_SECRET

__all__ = [
    "DEV_GATEWAY_SECRET",
    "DEV_JWT_SECRET",
    "ApqConfig",
    "AuthConfig",
    "AuthorizationConfig",
    "BatchingConfig",
    "BreakerConfig",
    "BulkheadConfig",
    "Charge",
    "ClientConfig",
    "ConfigError",
    "CorsConfig",
    "CsrfConfig",
    "DedupConfig",
    "GatewayConfig",
    "PlanningConfig",
    "RateLimit",
    "RateLimitsConfig",
    "ResilienceConfig",
    "RetryConfig",
    "SafelistMode",
    "ServerConfig",
    "SubscriptionConfig",
    "TracingConfig",
    "hash_api_key",
    "load_config",
    "setting_keys",
]

# The development default every Agora process shares (subgraphs/kit/settings.py has
# the same value; the gateway never imports it). Production refuses it, and
# DEV_JWT_SECRET (gateway.policy.tokens) too.
DEV_GATEWAY_SECRET = "agora-dev-gateway-secret"

_PREFIX = "AGORA_GATEWAY_"


class ConfigError(ValueError):
    """A configuration value is missing, malformed or refused; names the key."""


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Where the gateway listens and how long it waits for clients."""

    host: str = "127.0.0.1"
    port: int = 4000
    log_level: str = "info"
    # Processes serving the port (each with its own upstream subscriptions).
    workers: int = 1
    # Open client connections (HTTP and websocket); more are refused.
    max_connections: int = 1024
    # Seconds a client may take to send its request line and headers, then its body.
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    keepalive_timeout: float = 5.0
    # A larger request line plus headers gets 431.
    max_header_bytes: int = 32 * 1024
    # Connections the kernel queues before they are accepted.
    backlog: int = 2048
    # On SIGTERM, how long open responses (SSE streams included) may go on.
    shutdown_timeout: float = 10.0
    # The deadline of one request: planning plus every subgraph fetch.
    request_timeout: float = 60.0


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """How the gateway verifies the bearer tokens of its callers."""

    # HS256 key (the one accounts signs with); None: HS256 tokens are refused.
    jwt_secret: str | None = DEV_JWT_SECRET
    # The `iss` of those tokens: accounts' JWT_ISSUER (an HS256 token without it is
    # refused).
    jwt_issuer: str = ACCOUNTS_ISSUER
    # RS256/ES256 keys: a JWKS file and/or URL (fetched, cached, refetched on an
    # unknown `kid` to follow key rotation).
    jwks_file: str | None = None
    jwks_url: str | None = None
    algorithms: tuple[str, ...] = ("HS256", "RS256", "ES256")
    issuer: str | None = None
    audience: str | None = None
    leeway: float = 0.0
    jwks_cache_ttl: float = 600.0
    jwks_min_refetch_interval: float = 30.0


@dataclass(frozen=True, slots=True)
class CorsConfig:
    """Cross-origin browser access; no origin is allowed unless listed."""

    allow_origins: tuple[str, ...] = ()
    allow_credentials: bool = False
    max_age: int = 600
    allow_headers: tuple[str, ...] = (
        "authorization",
        "content-type",
        "x-api-key",
        "apollographql-client-name",
        "apollographql-client-version",
        "x-apollo-operation-name",
        "apollo-require-preflight",
        "graphql-preflight",
    )
    expose_headers: tuple[str, ...] = ("retry-after",)


@dataclass(frozen=True, slots=True)
class CsrfConfig:
    """GraphQL-over-HTTP CSRF prevention: a request a browser would send without a
    preflight (GET, or a simple content type) must carry one of these headers."""

    enabled: bool = True
    required_headers: tuple[str, ...] = (
        "x-apollo-operation-name",
        "apollo-require-preflight",
        "graphql-preflight",
    )


@dataclass(frozen=True, slots=True)
class PlanningConfig:
    """The work one cold plan may do before it is refused."""

    # Steps as gateway/planner/budget.py counts them (1-3 us each); the seconds also
    # bound how long one cold plan holds the event loop.
    max_steps: int = 300_000
    max_seconds: float = 1.0


@dataclass(frozen=True, slots=True)
class SubscriptionConfig:
    """Subscriptions over websockets and SSE."""

    # Operations one websocket may run at once.
    max_per_connection: int = 100
    # What a client may leave unread before it is cut off: messages and bytes.
    outbox_limit: int = 1000
    outbox_bytes: int = 4_194_304
    # Seconds to send connection_init; between keep-alive pings (0: none).
    init_timeout: float = 3.0
    keepalive: float = 12.0
    # Events of one upstream executed together.
    burst_limit: int = 64
    # Seconds a client cut off (or told of a shutdown) has to read its close
    # frame before its socket is aborted.
    close_timeout: float = 5.0
    # Upstream (subgraph) websockets: seconds between pings, and without a pong
    # before the subgraph counts as hung (its streams end SUBGRAPH_UNAVAILABLE).
    upstream_ping_interval: float = 10.0
    upstream_ping_timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class AuthorizationConfig:
    """`@authenticated`, `@requiresScopes`, `@policy` enforcement."""

    # Report unauthorized fields without removing them (to roll out safely).
    dry_run: bool = False
    # name -> who is granted it (roles, scopes, users, tenants: any one suffices).
    policies: Mapping[str, PolicyRule] = field(default_factory=dict)


class SafelistMode(enum.Enum):
    """ENFORCE refuses an operation outside a client's trusted documents; LOG runs
    it and logs that it would have been refused (to roll a safelist out)."""

    ENFORCE = "enforce"
    LOG = "log"


class Charge(enum.Enum):
    """What one request takes from a rate limit: one unit, or its estimated cost."""

    REQUESTS = "requests"
    COST = "cost"


@dataclass(frozen=True, slots=True)
class RateLimit:
    """`limit` units per `period` seconds, with bursts of up to `burst` (default:
    `limit`) at once (GCRA: a steady rate, no window edges to exploit)."""

    limit: int
    period: float = 1.0
    burst: int | None = None


@dataclass(frozen=True, slots=True)
class RateLimitsConfig:
    """Rate limits; None is off. What a request costs: one unit, or its estimated
    cost (demand control)."""

    # Per client (the API key's client, or the default client as a whole).
    per_client: RateLimit | None = None
    # Per caller: the token's user, or the address of an anonymous caller.
    per_caller: RateLimit | None = None
    charge: Charge = Charge.REQUESTS


@dataclass(frozen=True, slots=True)
class ApqConfig:
    """Automatic persisted queries (Apollo's protocol)."""

    enabled: bool = True
    # Documents kept in memory when no Redis is configured (least recently used go).
    cache_size: int = 10_000
    # Seconds a document stays registered in Redis (0: forever).
    ttl: float = 86_400.0


@dataclass(frozen=True, slots=True)
class BatchingConfig:
    """A JSON array of operations in one POST (Apollo's BatchHttpLink)."""

    enabled: bool = True
    max_size: int = 10


@dataclass(frozen=True, slots=True)
class TracingConfig:
    """OpenTelemetry traces (the optional `agora[tracing]` dependency)."""

    enabled: bool = False
    # The OTLP/HTTP traces endpoint; empty: OTEL_EXPORTER_OTLP_* decide.
    endpoint: str | None = None
    service_name: str = "agora-gateway"


@dataclass(frozen=True, slots=True)
class DedupConfig:
    """Sharing identical work in flight (never for mutations)."""

    # Identical concurrent operations (document, variables, what reaches the
    # subgraphs of the caller) share one execution and one response.
    inbound: bool = True
    # Identical concurrent subgraph requests share one fetch.
    upstream: bool = True


@dataclass(frozen=True, slots=True)
class EntityCacheConfig:
    """Entities a subgraph marked `Cache-Control: public, max-age=N`, kept in each
    gateway process (gateway/transport/entity_cache.py)."""

    # How many entities at most (least recently used out first); 0: off.
    max_entries: int = 10_000
    # Bytes of their JSON at most (an entity over a hundredth of it is not kept).
    max_bytes: int = 64 * 1024 * 1024
    # Seconds an entity is kept at most, whatever max-age the subgraph gave.
    max_ttl: float = 300.0


@dataclass(frozen=True, slots=True)
class BreakerConfig:
    """Each subgraph's circuit breaker: open, it refuses at once
    (SUBGRAPH_UNAVAILABLE) instead of letting every request wait out a timeout."""

    enabled: bool = True
    # Opens after this many failures in a row (timeouts, connection errors, 5xx)...
    failure_threshold: int = 5
    # ...or when this share of at least `minimum_requests` in `window` seconds
    # failed (0: no rate rule).
    failure_rate: float = 0.5
    minimum_requests: int = 20
    window: float = 10.0
    # Seconds it stays open before letting `half_open_probes` requests through;
    # their success closes it, a failure opens it again.
    open_for: float = 5.0
    half_open_probes: int = 1


@dataclass(frozen=True, slots=True)
class BulkheadConfig:
    """Each subgraph's concurrency cap: one slow subgraph cannot hold every request."""

    # Requests in flight to one subgraph at once (0: no cap).
    max_concurrent: int = 128
    # Seconds one more may wait for a slot before SUBGRAPH_UNAVAILABLE (0: at once).
    max_wait: float = 1.0


@dataclass(frozen=True, slots=True)
class RetryConfig:
    """Retries of query fetches (never a mutation's, never a subscription stream)
    after a connection failure or an HTTP 503 (a timeout with `on_timeout`)."""

    # More attempts after the first (0: no retries).
    max_retries: int = 2
    # Retry a fetch that timed out too: off, since a hung subgraph would make the
    # first clients wait the timeout once per attempt (README).
    on_timeout: bool = False
    # Full-jitter back-off: a random wait up to base * 2^n seconds, capped.
    base_backoff: float = 0.05
    max_backoff: float = 1.0
    # The retry budget per subgraph: retries in `budget_window` seconds may be at
    # most `budget_ratio` of the requests plus `budget_min_per_second` a second.
    budget_ratio: float = 0.2
    budget_min_per_second: float = 5.0
    budget_window: float = 10.0


@dataclass(frozen=True, slots=True)
class ResilienceConfig:
    """Containment of failing subgraphs (gateway/transport/resilience.py)."""

    breaker: BreakerConfig = field(default_factory=BreakerConfig)
    bulkhead: BulkheadConfig = field(default_factory=BulkheadConfig)
    retry: RetryConfig = field(default_factory=RetryConfig)


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """A known client, recognised by an API key (`x-api-key`) or, for first-party
    apps, by its name (`apollographql-client-name`), with its own limits and
    switches. Unset values fall back to the gateway's."""

    name: str
    # SHA-256 (hex) of each key: the file never holds a usable key.
    api_key_sha256: tuple[str, ...] = ()
    # Recognised by `apollographql-client-name` alone: anyone can send a name, so
    # give such a client restrictions, never more than a stranger may have.
    by_name: bool = False
    limits: OperationLimits | None = None
    introspection: bool | None = None
    field_suggestions: bool | None = None
    explain: bool | None = None
    # Trusted-document manifests (paths); with free_form false the client may run
    # only those operations.
    manifests: tuple[str, ...] = ()
    free_form: bool = True
    safelist_mode: SafelistMode = SafelistMode.ENFORCE
    rate_limits: RateLimitsConfig | None = None
    max_batch: int | None = None


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    """Everything the gateway reads at start-up (see the module docstring)."""

    supergraph: str | None = None
    production: bool = False
    # Signs the caller's identity for subgraphs (HMAC); they hold the same value.
    secret: str = DEV_GATEWAY_SECRET
    server: ServerConfig = field(default_factory=ServerConfig)
    auth: AuthConfig = field(default_factory=AuthConfig)
    cors: CorsConfig = field(default_factory=CorsConfig)
    csrf: CsrfConfig = field(default_factory=CsrfConfig)
    # Defaults: DEVELOPMENT_LIMITS, or PRODUCTION_LIMITS in production; the keys
    # given change those.
    limits: OperationLimits = field(default_factory=lambda: DEVELOPMENT_LIMITS)
    # List size assumed for a list field without @listSize or a slicing argument.
    default_list_size: int = 10
    planning: PlanningConfig = field(default_factory=PlanningConfig)
    subscription: SubscriptionConfig = field(default_factory=SubscriptionConfig)
    authorization: AuthorizationConfig = field(default_factory=AuthorizationConfig)
    clients: tuple[ClientConfig, ...] = ()
    # Shared state of several gateway instances (APQ, rate limits); None: in memory.
    redis_url: str | None = None
    redis_prefix: str = "agora:gateway:"
    apq: ApqConfig = field(default_factory=ApqConfig)
    rate_limits: RateLimitsConfig = field(default_factory=RateLimitsConfig)
    batching: BatchingConfig = field(default_factory=BatchingConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    entity_cache: EntityCacheConfig = field(default_factory=EntityCacheConfig)
    tracing: TracingConfig = field(default_factory=TracingConfig)
    # `text` for people, `json` (one object per line) for log pipelines.
    log_format: str = "text"
    # /metrics in the Prometheus format (off: 404).
    metrics: bool = True
    # None: on in development, off in production (clients may turn them on).
    introspection: bool | None = None
    field_suggestions: bool | None = None
    explain: bool | None = None
    graphiql: bool | None = None
    max_body_bytes: int = 1_048_576
    # A multipart upload (the GraphQL multipart request spec) may be this large.
    max_upload_bytes: int = 52_428_800
    # Lower-case client headers copied to every subgraph request (never x-agora-*).
    forward_headers: tuple[str, ...] = ()
    # Behind proxies that append the address they saw to X-Forwarded-For: the entry
    # `proxy_hops` from the right names the caller (earlier ones the client wrote).
    trust_forwarded_for: bool = False
    proxy_hops: int = 1
    # Seconds one subgraph fetch may take (README: why 5).
    subgraph_timeout: float = 5.0
    subgraph_timeouts: Mapping[str, float] = field(default_factory=dict)
    resilience: ResilienceConfig = field(default_factory=ResilienceConfig)
    # Per subgraph: changes to `resilience` for that subgraph (file only).
    subgraph_resilience: Mapping[str, ResilienceConfig] = field(default_factory=dict)
    # `http11` (asyncio streams, fast) or `httpx` (proxies, HTTP/2).
    http_client: str = "http11"
    operation_cache_size: int = 1024
    # The most client document text (bytes) each per-text cache keeps alive
    # (parsed texts, validation errors, known texts): 64 MiB.
    operation_cache_text_bytes: int = 64 * 1024 * 1024
    # Progressive-override labels always on (`percent(N)` ones are drawn).
    override_labels: frozenset[str] = frozenset()

    def timeout_for(self, subgraph: str) -> float:
        return self.subgraph_timeouts.get(subgraph, self.subgraph_timeout)

    def resilience_for(self, subgraph: str) -> ResilienceConfig:
        return self.subgraph_resilience.get(subgraph, self.resilience)

    def switch(self, name: str) -> bool:
        """introspection / field_suggestions / explain / graphiql, after defaults."""
        value: bool | None = getattr(self, name)
        return (not self.production) if value is None else value


def setting_keys() -> list[str]:
    """Every key the environment can set, as a dotted path (`limits.max_depth`)."""
    return [".".join(path) for path in _leaf_paths(GatewayConfig, ())]


def hash_api_key(key: str) -> str:
    """The SHA-256 hex digest a `clients[].api_key_sha256` entry holds."""
    return hashlib.sha256(key.encode()).hexdigest()


def load_config(
    path: str | Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    values: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> GatewayConfig:
    """The configuration from `path` (YAML), `values` (a mapping of the same shape,
    for code and tests), `environ` (default os.environ) and `overrides` (command
    line flags), later ones winning.

    Raises ConfigError naming the key for anything unknown, malformed or refused.
    """
    source = str(path) if path is not None else "config"
    data: dict[str, Any] = {}
    if path is not None:
        try:
            text = Path(path).read_text()
        except OSError as error:
            raise ConfigError(f"cannot read {path}: {error.strerror}") from None
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise ConfigError(f"{path} is not valid YAML: {error}") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{path} must hold a mapping of keys")
        data = loaded or {}
    if values:
        data = _merge(data, values)
    env = os.environ if environ is None else environ
    data = _merge(data, _from_environment(env))
    if overrides:
        data = _merge(data, overrides)
    data = _with_limit_defaults(data, source)
    data = _with_resilience_defaults(data)
    config: GatewayConfig = _build(GatewayConfig, data, source, "")
    _check(config, source)
    return config


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _with_limit_defaults(data: dict[str, Any], source: str) -> dict[str, Any]:
    """`limits` change the mode's default limits, and a client's `limits` change the
    gateway's: never a new set with everything else unlimited."""
    production = _convert(bool, data.get("production", False), source, "production")
    defaults = PRODUCTION_LIMITS if production else DEVELOPMENT_LIMITS
    base = {
        item.name: getattr(defaults, item.name)
        for item in dataclasses.fields(OperationLimits)
    }
    limits = data.get("limits")
    if limits is not None and not isinstance(limits, dict):
        return data  # _build names the key
    limits = _merge(base, limits or {})
    data = {**data, "limits": limits}
    clients = data.get("clients")
    if not isinstance(clients, list):
        return data
    merged = []
    for client in clients:
        if isinstance(client, dict) and isinstance(client.get("limits"), dict):
            client = {**client, "limits": _merge(limits, client["limits"])}
        merged.append(client)
    return {**data, "clients": merged}


def _with_resilience_defaults(data: dict[str, Any]) -> dict[str, Any]:
    """A subgraph's `subgraph_resilience` entry changes the gateway's `resilience`
    (file and environment): the keys it leaves out keep the gateway's values."""
    entries = data.get("subgraph_resilience")
    base = data.get("resilience") or {}
    if not isinstance(entries, dict) or not isinstance(base, dict):
        return data  # _build names the key
    merged = {
        name: _merge(base, entry) if isinstance(entry, dict) else entry
        for name, entry in entries.items()
    }
    return {**data, "subgraph_resilience": merged}


# Variables every Agora process shares, and the keys they set.
_SHARED_VARIABLES: dict[str, tuple[str, ...]] = {
    "HOST": ("server", "host"),
    "PORT": ("server", "port"),
    "LOG_LEVEL": ("server", "log_level"),
    "JWT_SECRET": ("auth", "jwt_secret"),
    "JWT_ISSUER": ("auth", "jwt_issuer"),
    "REDIS_URL": ("redis_url",),
}
# Keys the environment cannot set (structured values: only the file holds them).
_FILE_ONLY = {
    ("clients",),
    ("authorization", "policies"),
    ("rate_limits", "per_client"),
    ("rate_limits", "per_caller"),
    ("subgraph_resilience",),
}


def _from_environment(env: Mapping[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}

    def put(path: tuple[str, ...], raw: str) -> None:
        target = found
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = _EnvText(raw)

    for name, path in _SHARED_VARIABLES.items():
        raw = env.get(name, "").strip()
        if raw:
            put(path, raw)
    if env.get("AGORA_ENV", "").strip().lower() == "production":
        put(("production",), "true")
    dedup = env.get(_PREFIX + "DEDUP", "").strip()
    if dedup:  # both kinds at once
        put(("dedup", "inbound"), dedup)
        put(("dedup", "upstream"), dedup)
    for path in _leaf_paths(GatewayConfig, ()):
        raw = env.get(_PREFIX + "_".join(path).upper(), "").strip()
        if raw:
            put(path, raw)
    return found


def _leaf_paths(cls: type, prefix: tuple[str, ...]) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []
    hints = typing.get_type_hints(cls)
    for item in dataclasses.fields(cls):
        path = (*prefix, item.name)
        if path in _FILE_ONLY:
            continue
        hint = hints[item.name]
        if dataclasses.is_dataclass(hint):
            paths.extend(_leaf_paths(hint, path))  # type: ignore[arg-type]  # a dataclass type
        else:
            paths.append(path)
    return paths


class _EnvText(str):
    """A value read from the environment: text to convert to the key's type."""

    __slots__ = ()


def _build(cls: type, data: object, source: str, where: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: {where or 'the top level'} must be a mapping")
    hints = typing.get_type_hints(cls)
    names = [item.name for item in dataclasses.fields(cls)]
    unknown = [key for key in data if key not in names]
    if unknown:
        key = str(unknown[0])
        close = difflib.get_close_matches(key, names, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ConfigError(f"{source}: {where}{key}: unknown key{hint}")
    for item in dataclasses.fields(cls):
        required = (
            item.default is dataclasses.MISSING
            and item.default_factory is dataclasses.MISSING
        )
        if required and item.name not in data:
            raise ConfigError(f"{source}: {where}{item.name}: required")
    kwargs: dict[str, Any] = {}
    for name in names:
        if name in data:
            kwargs[name] = _convert(hints[name], data[name], source, f"{where}{name}")
    return cls(**kwargs)


def _convert(hint: Any, value: object, source: str, key: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None or (isinstance(value, _EnvText) and value.lower() == "none"):
            return None
        options = [a for a in args if a is not type(None)]
        return _convert(options[0], value, source, key)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, source, f"{key}.")  # type: ignore[arg-type]  # a dataclass type
    if hint is bool:
        return _boolean(value, source, key)
    if hint is int or hint is float:
        return _number(hint, value, source, key)
    if hint is str:
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
        raise ConfigError(f"{source}: {key}: expected a string, got {value!r}")
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        if isinstance(value, hint):
            return value
        for member in hint:
            if str(value).lower() == member.value:
                return member
        allowed = [member.value for member in hint]
        raise ConfigError(f"{source}: {key}: expected one of {allowed}, got {value!r}")
    if origin in (tuple, frozenset):
        items = [
            _convert(args[0], item, source, f"{key}[{index}]")
            for index, item in enumerate(_items(value, source, key))
        ]
        return tuple(items) if origin is tuple else frozenset(items)
    if origin is Mapping:
        return {
            name: _convert(args[1], item, source, f"{key}.{name}")
            for name, item in _entries(value, source, key).items()
        }
    raise ConfigError(f"{source}: {key}: unsupported setting type {hint!r}")


def _boolean(value: object, source: str, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, _EnvText):
        lowered = value.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
    raise ConfigError(f"{source}: {key}: expected true or false, got {value!r}")


def _number(kind: type[float], value: object, source: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ConfigError(f"{source}: {key}: expected a number, got {value!r}")
    try:
        number = kind(value)
    except ValueError:
        raise ConfigError(
            f"{source}: {key}: expected a number, got {value!r}"
        ) from None
    if kind is int and isinstance(value, float) and value != number:
        raise ConfigError(f"{source}: {key}: expected a whole number, got {value}")
    if number < 0:
        raise ConfigError(f"{source}: {key}: must not be negative, got {value}")
    return number


def _items(value: object, source: str, key: str) -> list[object]:
    if isinstance(value, _EnvText):
        return [_EnvText(part.strip()) for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple):
        return list(value)
    raise ConfigError(f"{source}: {key}: expected a list, got {value!r}")


def _entries(value: object, source: str, key: str) -> dict[str, object]:
    if isinstance(value, dict):
        return {str(name): item for name, item in value.items()}
    if not isinstance(value, _EnvText):
        raise ConfigError(f"{source}: {key}: expected a mapping, got {value!r}")
    entries: dict[str, object] = {}
    for part in value.split(","):
        name, sep, item = part.partition("=")
        if not sep or not name.strip():
            raise ConfigError(
                f"{source}: {key}: expected name=value pairs, got {part!r}"
            )
        entries[name.strip()] = _EnvText(item.strip())
    return entries


def _check_rate_limits(limits: RateLimitsConfig, source: str, where: str) -> None:
    for name in ("per_client", "per_caller"):
        limit: RateLimit | None = getattr(limits, name)
        if limit is None:
            continue
        if limit.limit < 1 or limit.period <= 0:
            raise ConfigError(
                f"{source}: {where}.{name}: limit must be at least 1 and period "
                "more than 0"
            )
        if limit.burst is not None and limit.burst < 1:
            raise ConfigError(f"{source}: {where}.{name}.burst: at least 1")


def _check(config: GatewayConfig, source: str) -> None:
    if config.http_client not in ("http11", "httpx"):
        raise ConfigError(
            f"{source}: http_client: expected http11 or httpx, "
            f"got {config.http_client!r}"
        )
    if config.log_format not in ("text", "json"):
        raise ConfigError(
            f"{source}: log_format: expected text or json, got {config.log_format!r}"
        )
    sections = {"resilience": config.resilience}
    for name, section in config.subgraph_resilience.items():
        sections[f"subgraph_resilience.{name}"] = section
    for where, section in sections.items():
        breaker = section.breaker
        if breaker.failure_rate > 1:
            raise ConfigError(
                f"{source}: {where}.breaker.failure_rate: a share from 0 to 1, "
                f"got {breaker.failure_rate}"
            )
        if breaker.half_open_probes < 1:
            raise ConfigError(f"{source}: {where}.breaker.half_open_probes: at least 1")
    if config.subgraph_timeout <= 0:
        raise ConfigError(f"{source}: subgraph_timeout: more than 0")
    if config.operation_cache_size < 1:
        raise ConfigError(f"{source}: operation_cache_size: at least 1")
    if config.entity_cache.max_entries < 0:
        raise ConfigError(f"{source}: entity_cache.max_entries: at least 0 (0: off)")
    if config.entity_cache.max_bytes < 0:
        raise ConfigError(f"{source}: entity_cache.max_bytes: at least 0")
    if config.entity_cache.max_ttl <= 0:
        raise ConfigError(f"{source}: entity_cache.max_ttl: more than 0")
    if config.operation_cache_text_bytes < config.max_body_bytes:
        raise ConfigError(
            f"{source}: operation_cache_text_bytes: at least max_body_bytes "
            f"({config.max_body_bytes}), got {config.operation_cache_text_bytes}"
        )
    if config.server.port > 65535:
        raise ConfigError(f"{source}: server.port: {config.server.port} is no port")
    _check_rate_limits(config.rate_limits, source, "rate_limits")
    for index, client in enumerate(config.clients):
        if client.rate_limits is not None:
            where = f"clients[{index}].rate_limits"
            _check_rate_limits(client.rate_limits, source, where)
        if client.max_batch is not None and client.max_batch < 1:
            raise ConfigError(f"{source}: clients[{index}].max_batch: at least 1")
        if not client.free_form and not client.manifests:
            raise ConfigError(
                f"{source}: clients[{index}].manifests: a client without free_form "
                "needs at least one manifest"
            )
    names = [client.name for client in config.clients]
    for index, client in enumerate(config.clients):
        for digest in client.api_key_sha256:
            if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise ConfigError(
                    f"{source}: clients[{index}].api_key_sha256: expected the SHA-256 "
                    "hex digest of the key (python -m gateway hash-key KEY), not a key"
                )
    if len(set(names)) != len(names):
        raise ConfigError(f"{source}: clients: names must be distinct, got {names}")
    if not config.auth.jwt_issuer:
        raise ConfigError(f"{source}: auth.jwt_issuer (JWT_ISSUER): must not be empty")
    if not config.production:
        return
    if config.auth.jwt_secret == DEV_JWT_SECRET:
        raise ConfigError(
            f"{source}: auth.jwt_secret (JWT_SECRET) holds the development secret; "
            "production needs your own (or none, with a JWKS)"
        )
    if config.secret == DEV_GATEWAY_SECRET:
        raise ConfigError(
            f"{source}: secret (AGORA_GATEWAY_SECRET) holds the development secret; "
            "production needs your own, shared with the subgraphs"
        )
    if len(config.secret) < 32:
        raise ConfigError(
            f"{source}: secret (AGORA_GATEWAY_SECRET) must be at least 32 characters "
            "in production"
        )
