"""Settings for a subgraph process, read from the environment with embedded defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

DEV_JWT_SECRET = "agora-dev-secret-change-me-in-production-0123456789"
DEV_GATEWAY_SECRET = "agora-dev-gateway-secret"

_POSTGRES_SCHEMES = ("postgres", "postgresql", "asyncpg")


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a subgraph reads from its environment.

    `database_url` None means the embedded default: one SQLite file per subgraph under
    `data_dir`. `redis_url` None means in-memory pub/sub (one process only).
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

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Read DATABASE_URL, REDIS_URL, AGORA_DATA_DIR, JWT_*, AGORA_* variables."""
        env = os.environ if environ is None else environ
        defaults = cls()

        def number(name: str, default: float) -> float:
            raw = env.get(name)
            if not raw:
                return default
            try:
                value = float(raw)
            except ValueError:
                raise ValueError(f"{name} must be a number, got {raw!r}") from None
            if value <= 0:
                raise ValueError(f"{name} must be positive, got {raw!r}")
            return value

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
