"""Redis clients for what subgraphs share across processes: publishing, presence,
rate limits, the login throttle, the user directory.

redis-py's default pool answers a command that finds its 100 connections busy with
MaxConnectionsError at once, and a client without a socket timeout waits forever on
a Redis that stopped answering. Callers read both as "Redis is unavailable": a burst
of subscriptions failed with `Redis cannot be reached for presence` (131 of 1,000
opened together), the login throttle and the user directory let callers through
unchecked (they fail open), and a hung Redis held requests without end. Here a
command waits up to POOL_TIMEOUT for a free connection, and up to SOCKET_TIMEOUT
for Redis's answer. Both, and the pool size, may be set in REDIS_URL's query
(`redis://host:6379/0?max_connections=200&timeout=2&socket_timeout=1`).

The pub/sub subscriber connection is not made here: it waits for messages for as
long as none come (subgraphs.kit._redis_backend pings it when idle).
"""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis

__all__ = ["MAX_CONNECTIONS", "POOL_TIMEOUT", "SOCKET_TIMEOUT", "redis_client"]

MAX_CONNECTIONS = 100
# Seconds a command waits for a free connection, then for Redis's answer.
POOL_TIMEOUT = 2.0
SOCKET_TIMEOUT = 1.0


def redis_client(url: str, *, client_name: str | None = None) -> Redis:
    """A client on a pool of its own (closed with it, `aclose`)."""
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=POOL_TIMEOUT,
        socket_timeout=SOCKET_TIMEOUT,
        socket_connect_timeout=SOCKET_TIMEOUT,
        socket_keepalive=True,
        client_name=client_name,
    )
    return Redis.from_pool(pool)
