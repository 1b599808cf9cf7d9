"""Settings for a subgraph process, read from the environment with embedded defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

DEV_JWT_SECRET = "agora-dev-secret-change-me-in-production-0123456789"
DEV_GATEWAY_SECRET = "agora-dev-gateway-secret"
ENVIRONMENTS = ("development", "production")
# HMAC keys shorter than SHA-256's output weaken it (RFC 2104 section 3).
MIN_SECRET_LENGTH = 32

_POSTGRES_SCHEMES = ("postgres", "postgresql", "asyncpg")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


class SettingsError(ValueError):
    """Raised for a setting that is malformed or unsafe; the message names it."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a subgraph reads from its environment.

    `database_url` None means the embedded default: one SQLite file per subgraph under
    `data_dir`. `redis_url` None means in-memory pub/sub (one process only).

    Who may call (see subgraphs.kit.context): the gateway signs the caller's
    identity with `gateway_secret`; a signature older than `identity_max_age`
    seconds (or more than `identity_clock_skew` in the future) is not believed.
    `accept_bearer` lets a client call a subgraph directly with a token (tests,
    standalone use); production never does. `gateway_only` refuses `_entities` and
    `_service` to any request the gateway did not sign; None means on in
    production, off otherwise. `idempotency_ttl`: seconds a mutation's idempotency
    record is kept, so a retry within it is answered from the record
    (subgraphs.kit.idempotency). `metrics`: `/metrics` and the counting behind it;
    `tracing`: OpenTelemetry spans exported over OTLP/HTTP to `tracing_endpoint`
    (None: the `OTEL_EXPORTER_OTLP_*` variables decide) (subgraphs.kit.telemetry).
    """

    database_url: str | None = None
    redis_url: str | None = None
    redis_prefix: str = "agora:"
    data_dir: Path = field(default_factory=lambda: Path("data"))
    jwt_secret: str = DEV_JWT_SECRET
    jwt_algorithm: str = "HS256"
    jwt_issuer: str = "agora"
    access_token_ttl: float = 900.0
    refresh_token_ttl: float = 30 * 24 * 3600.0
    gateway_secret: str = DEV_GATEWAY_SECRET
    subscriber_queue_size: int = 1000
    environment: str = "development"
    identity_max_age: float = 60.0
    identity_clock_skew: float = 5.0
    accept_bearer: bool = True
    gateway_only: bool | None = None
    idempotency_ttl: float = 86_400.0
    metrics: bool = True
    tracing: bool = False
    tracing_endpoint: str | None = None

    def __post_init__(self) -> None:
        if self.environment not in ENVIRONMENTS:
            raise SettingsError(
                f"environment must be one of {', '.join(ENVIRONMENTS)}, "
                f"got {self.environment!r}"
            )

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Read DATABASE_URL, REDIS_URL, AGORA_DATA_DIR, JWT_*, AGORA_* variables.

        Raises SettingsError naming the variable for a malformed value, and for
        AGORA_SUBGRAPH_ACCEPT_BEARER turned on with AGORA_ENV=production.
        """
        env = os.environ if environ is None else environ
        defaults = cls()

        def number(name: str, default: float) -> float:
            raw = env.get(name)
            if not raw:
                return default
            try:
                value = float(raw)
            except ValueError:
                raise SettingsError(f"{name} must be a number, got {raw!r}") from None
            if value <= 0:
                raise SettingsError(f"{name} must be positive, got {raw!r}")
            return value

        def flag(name: str) -> bool | None:
            raw = (env.get(name) or "").strip().lower()
            if not raw:
                return None
            if raw not in _TRUE + _FALSE:
                raise SettingsError(f"{name} must be 1 or 0 (true/false), got {raw!r}")
            return raw in _TRUE

        environment = (env.get("AGORA_ENV") or defaults.environment).strip().lower()
        if environment not in ENVIRONMENTS:
            raise SettingsError(
                f"AGORA_ENV must be one of {', '.join(ENVIRONMENTS)}, "
                f"got {environment!r}"
            )
        accept_bearer = flag("AGORA_SUBGRAPH_ACCEPT_BEARER")
        if accept_bearer and environment == "production":
            raise SettingsError(
                "AGORA_SUBGRAPH_ACCEPT_BEARER cannot be on with AGORA_ENV=production: "
                "in production subgraphs believe only the gateway's signed identity"
            )

        return cls(
            database_url=env.get("DATABASE_URL") or None,
            redis_url=env.get("REDIS_URL") or None,
            redis_prefix=env.get("REDIS_PREFIX", defaults.redis_prefix),
            data_dir=Path(env.get("AGORA_DATA_DIR") or defaults.data_dir),
            jwt_secret=env.get("JWT_SECRET") or defaults.jwt_secret,
            jwt_algorithm=env.get("JWT_ALGORITHM") or defaults.jwt_algorithm,
            jwt_issuer=env.get("JWT_ISSUER") or defaults.jwt_issuer,
            access_token_ttl=number("ACCESS_TOKEN_TTL", defaults.access_token_ttl),
            refresh_token_ttl=number("REFRESH_TOKEN_TTL", defaults.refresh_token_ttl),
            gateway_secret=env.get("AGORA_GATEWAY_SECRET") or defaults.gateway_secret,
            subscriber_queue_size=int(
                number("AGORA_SUBSCRIBER_QUEUE_SIZE", defaults.subscriber_queue_size)
            ),
            environment=environment,
            identity_max_age=number(
                "AGORA_IDENTITY_MAX_AGE", defaults.identity_max_age
            ),
            identity_clock_skew=number(
                "AGORA_IDENTITY_CLOCK_SKEW", defaults.identity_clock_skew
            ),
            accept_bearer=environment != "production" and accept_bearer is not False,
            gateway_only=flag("AGORA_SUBGRAPH_GATEWAY_ONLY"),
            idempotency_ttl=number("AGORA_IDEMPOTENCY_TTL", defaults.idempotency_ttl),
            metrics=flag("AGORA_SUBGRAPH_METRICS") is not False,
            tracing=flag("AGORA_SUBGRAPH_TRACING") is True,
            tracing_endpoint=env.get("AGORA_SUBGRAPH_TRACING_ENDPOINT") or None,
        )

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def accepts_bearer(self) -> bool:
        """Whether a bearer token sent straight to the subgraph names the caller."""
        return self.accept_bearer and not self.production

    @property
    def entities_gateway_only(self) -> bool:
        """Whether `_entities` and `_service` need the gateway's signature."""
        return self.production if self.gateway_only is None else self.gateway_only

    def check_production(self) -> None:
        """Raise SettingsError, naming the variable, when this is a production
        subgraph that still holds a development secret (or too short a secret)."""
        if not self.production:
            return
        for variable, value, default in (
            ("JWT_SECRET", self.jwt_secret, DEV_JWT_SECRET),
            ("AGORA_GATEWAY_SECRET", self.gateway_secret, DEV_GATEWAY_SECRET),
        ):
            if value == default:
                raise SettingsError(
                    f"AGORA_ENV=production but {variable} is the development "
                    f"default from the repository: set {variable} to a secret of "
                    f"your own (at least {MIN_SECRET_LENGTH} characters)"
                )
            if len(value) < MIN_SECRET_LENGTH:
                raise SettingsError(
                    f"AGORA_ENV=production but {variable} is shorter than "
                    f"{MIN_SECRET_LENGTH} characters"
                )

    @property
    def uses_dev_secrets(self) -> bool:
        """True while JWT_SECRET or AGORA_GATEWAY_SECRET still hold the dev defaults."""
        return (
            self.jwt_secret == DEV_JWT_SECRET
            or self.gateway_secret == DEV_GATEWAY_SECRET
        )

    def database_url_for(self, subgraph_name: str) -> str:
        """The database URL of one subgraph: its own SQLite file or PostgreSQL schema.

        SQLite: `<data_dir>/<name>.sqlite3` by default; a given `sqlite://path/x.db`
        becomes `path/x-<name>.db`; `sqlite://:memory:` stays in memory.
        PostgreSQL: the same database with `?schema=<name>` (search_path), so each
        subgraph owns its tables, migrations record included.
        """
        if self.database_url is None:
            return f"sqlite://{self.data_dir / subgraph_name}.sqlite3"
        parts = urlsplit(self.database_url)
        if parts.scheme == "sqlite":
            path = self.database_url[len("sqlite://") :]
            if path.startswith(":memory:"):
                return self.database_url
            base, dot, ext = path.rpartition(".")
            if not dot or "/" in ext:
                return f"sqlite://{path}-{subgraph_name}"
            return f"sqlite://{base}-{subgraph_name}.{ext}"
        if parts.scheme in _POSTGRES_SCHEMES:
            query = dict(parse_qsl(parts.query))
            query.setdefault("schema", subgraph_name)
            return urlunsplit(parts._replace(query=urlencode(query)))
        return self.database_url
