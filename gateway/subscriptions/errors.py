"""Errors of the subscription layer, each with the `extensions.code` a client sees.

AgoraError                  (gateway.errors)
├── SubscriptionEnded          the gateway ended a subscription on its side
│   ├── ClientFellBehind           the client's bounded queue overflowed
│   └── GatewayShuttingDown        the gateway is stopping
└── PolicyRefused           (gateway.errors; see gateway.policy for token errors)
"""

from __future__ import annotations

from ..errors import AgoraError

__all__ = ["ClientFellBehind", "GatewayShuttingDown", "SubscriptionEnded"]


class SubscriptionEnded(AgoraError):
    """Raised (or sent) when the gateway ends a subscription itself."""

    code = "SUBSCRIPTION_ENDED"


class ClientFellBehind(SubscriptionEnded):
    """Raised when a client leaves more than `limit` messages unread."""

    code = "CLIENT_TOO_SLOW"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The client fell more than {limit} messages behind.")
        self.limit = limit


class GatewayShuttingDown(SubscriptionEnded):
    """Raised when the gateway stops while subscriptions are open."""

    code = "SHUTTING_DOWN"

    def __init__(self) -> None:
        super().__init__("The gateway is shutting down.")
