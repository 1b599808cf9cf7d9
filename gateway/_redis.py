"""The gateway's Redis client (APQ documents and rate limits of several instances).

redis-py's default pool answers a command that finds its 100 connections busy with
MaxConnectionsError at once, and a client without a socket timeout waits forever on
a Redis that stopped answering. Both reach callers as "Redis is unavailable", on
which APQ misses and rate limits are not applied: a client sending more requests at
once than the pool holds got past its rate limit (310 of 400 requests with a limit
of 10), and a hung Redis held every request that checks a limit. Here a command
waits up to POOL_TIMEOUT for a free connection, and up to SOCKET_TIMEOUT for Redis's
answer. Both, and the pool size, may be set in the URL's query
(`redis://host:6379/0?max_connections=200&timeout=2&socket_timeout=1`).
"""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis

__all__ = ["MAX_CONNECTIONS", "POOL_TIMEOUT", "SOCKET_TIMEOUT", "redis_client"]

MAX_CONNECTIONS = 100
# Seconds a command waits for a free connection, then for Redis's answer.
POOL_TIMEOUT = 2.0
SOCKET_TIMEOUT = 1.0


def redis_client(url: str) -> Redis:
    """A client on a pool of its own (closed with it, `aclose`)."""
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=POOL_TIMEOUT,
        socket_timeout=SOCKET_TIMEOUT,
        socket_connect_timeout=SOCKET_TIMEOUT,
        socket_keepalive=True,
    )
    return Redis.from_pool(pool)
