"""The request and response a transport carries, and the transport protocol."""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable, ItemsView, Iterator

    from ..types import JSONObject

__all__ = [
    "FetchProgress",
    "SignedHeaders",
    "SubgraphRequest",
    "SubgraphResponse",
    "SubgraphTransport",
    "current_progress",
]


class SignedHeaders(Mapping[str, str]):
    """`headers` and the caller's signed identity, signed when a transport first
    reads them: a fetch the entity cache answers is never sent, and its HMAC would
    be wasted (issue 14: signing was ~9 % of the gateway's CPU per chat event)."""

    __slots__ = ("_base", "_headers", "_sign")

    def __init__(
        self, base: Mapping[str, str], sign: Callable[[], Mapping[str, str]]
    ) -> None:
        self._base = base
        self._sign = sign
        self._headers: dict[str, str] | None = None

    def _signed(self) -> dict[str, str]:
        headers = self._headers
        if headers is None:
            headers = self._headers = {**self._base, **self._sign()}
        return headers

    def __getitem__(self, name: str) -> str:
        return self._signed()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._signed())

    def __len__(self) -> int:
        return len(self._signed())

    def items(self) -> ItemsView[str, str]:  # the dict's own view: no lookups
        return self._signed().items()


@dataclass(frozen=True, slots=True)
class SubgraphRequest:
    """One GraphQL request to one subgraph, as the executor builds it."""

    subgraph: str
    query: str
    variables: JSONObject = field(default_factory=dict)
    operation_name: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    # False for mutations: a transport must never send one twice, since a subgraph
    # that dropped the connection may still have applied it.
    idempotent: bool = True
    # An `_entities` fetch: `variables["representations"]` lists the entities asked
    # for, and `data._entities[i]` answers representation i (entity_cache.py).
    entity_fetch: bool = False

    def body(self) -> JSONObject:
        """The GraphQL-over-HTTP request body."""
        body: JSONObject = {"query": self.query}
        if self.variables:
            body["variables"] = self.variables
        if self.operation_name is not None:
            body["operationName"] = self.operation_name
        return body


@dataclass(frozen=True, slots=True)
class SubgraphResponse:
    """A subgraph's GraphQL response: `data` may be None, `errors` may be empty.

    `public_max_age`: the seconds the subgraph lets any caller share this answer
    (`Cache-Control: public, max-age=N`, or `s-maxage`); 0 when it did not say so.
    """

    data: JSONObject | None = None
    errors: tuple[JSONObject, ...] = ()
    extensions: JSONObject | None = None
    public_max_age: int = 0


class SubgraphTransport(Protocol):
    """Reaches one subgraph; raises only `gateway.errors.SubgraphError`."""

    async def fetch(self, request: SubgraphRequest) -> SubgraphResponse: ...


class FetchProgress:
    """How far one fetch got, told by the transport that sends it to the one that
    wraps it (through `current_progress`): `sent` is False until a byte of the
    request may be on its way, then True; None when the transport does not say."""

    __slots__ = ("sent",)

    def __init__(self) -> None:
        self.sent: bool | None = None


current_progress: ContextVar[FetchProgress | None] = ContextVar(
    "agora_fetch_progress", default=None
)
