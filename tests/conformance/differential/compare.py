"""Run operations through Agora and the reference gateways and judge the answers.

An answer is judged as the published audit judges it: its `data`, and whether it
has errors. @apollo/server reports value-completion errors (an object whose
`__typename` the API schema does not know) in `extensions.valueCompletion`, not in
`errors`: they count as errors here, as Agora reports them.

A verdict is one of AGREE (every gateway answers alike), AGORA_DIFFERS (the
references agree with each other and Agora does not), REFERENCES_DIFFER (the
references disagree: a behaviour federation leaves open), and, when references
crashed, SOLE_REFERENCE_DIFFERS or NO_REFERENCE; README.md documents each kind
of difference found.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from gateway.config import load_config
from gateway.server import create_app

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping

    from gateway.transport import SubgraphTransport

    from .operations import Operation
    from .peers import PeerGateways

__all__ = ["Answer", "Verdict", "agora_client", "judge", "run_operations"]

# Agora as the references run: no operation limit and no CSRF rule of its own.
AGORA_SETTINGS: dict[str, Any] = {
    "limits": {
        name: None
        for name in (
            "max_depth",
            "max_aliases",
            "max_root_fields",
            "max_directives",
            "max_tokens",
            "max_cost",
            "max_height",
        )
    },
    "csrf": {"enabled": False},
    "subgraph_timeout": 10.0,
}


class Verdict(enum.Enum):
    AGREE = "agree"
    AGORA_DIFFERS = "agora differs"
    REFERENCES_DIFFER = "references differ"
    # One reference crashed and Agora differs from the other: no agreement to
    # lean on, each one read by hand (README.md).
    SOLE_REFERENCE_DIFFERS = "sole reference differs"
    NO_REFERENCE = "no reference answered"


# A reference gateway's own crash (a JavaScript TypeError in its message): that
# answer says nothing about federation and is left out of the verdict.
_CRASH = re.compile(
    r"Cannot (read|set) properties of (undefined|null)|is not a function"
    r"|is not iterable|Unexpected error\.$"
)


@dataclass(frozen=True, slots=True)
class Answer:
    """What of a response is compared; `crashed` when a reference broke."""

    data: Any
    errors: bool
    crashed: bool = False

    @classmethod
    def of(cls, response: Any) -> Answer:
        if not isinstance(response, dict) or "error" in response:
            # peers.cjs could not run the operation at all (e.g. a supergraph
            # feature the reference refuses).
            return cls(None, True, crashed=True)
        errors = response.get("errors") or []
        extensions = response.get("extensions") or {}
        completion = (
            extensions.get("valueCompletion") if isinstance(extensions, dict) else None
        )
        crashed = any(
            isinstance(e, dict) and _CRASH.search(str(e.get("message", "")))
            for e in errors
        )
        return cls(response.get("data"), bool(errors or completion), crashed)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One operation's answers: Agora's, and each reference's by name."""

    suite: str
    operation: Operation
    agora: Any
    references: Mapping[str, Any]

    @property
    def verdict(self) -> Verdict:
        return judge(
            Answer.of(self.agora),
            {n: Answer.of(r) for n, r in self.references.items()},
        )


def judge(agora: Answer, references: Mapping[str, Answer]) -> Verdict:
    """AGREE, AGORA_DIFFERS or REFERENCES_DIFFER (module docstring); references
    that crashed are left out, and with none left the verdict is NO_REFERENCE."""
    answers = [a for a in references.values() if not a.crashed]
    if not answers:
        return Verdict.NO_REFERENCE
    if any(a != answers[0] for a in answers[1:]):
        return Verdict.REFERENCES_DIFFER
    if agora == answers[0]:
        return Verdict.AGREE
    if len(answers) == 1 and len(references) > 1:
        return Verdict.SOLE_REFERENCE_DIFFERS
    return Verdict.AGORA_DIFFERS


@contextlib.asynccontextmanager
async def agora_client(
    supergraph_sdl: str, transports: Mapping[str, SubgraphTransport] | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """Agora's gateway for `supergraph_sdl`, in process (its lifespan running),
    over `transports` (default: HTTP to the supergraph's subgraph URLs)."""
    config = load_config(environ={}, values=AGORA_SETTINGS)
    app = create_app(supergraph_sdl, transports=transports, config=config)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://agora"
        ) as client,
    ):
        yield client


async def run_operations(
    suite: str,
    agora: httpx.AsyncClient,
    peers: PeerGateways,
    references: tuple[str, ...],
    operations: list[Operation],
    *,
    together: bool = True,
) -> list[Outcome]:
    """Each operation through Agora and each reference registered as `suite`: all
    at once (`together`: the references answer in their own process while Agora
    answers here), or one gateway after the other for subgraphs that keep state
    between requests (the audit's mutations suite)."""
    outcomes = []
    for operation in operations:
        asked = [
            agora.post(
                "/graphql",
                json={"query": operation.query, "variables": operation.variables},
            ),
            *(peers.query(name, suite, operation) for name in references),
        ]
        if together:
            response, *answers = await asyncio.gather(*asked)
        else:
            response, *answers = [await answer for answer in asked]
        outcomes.append(
            Outcome(
                suite,
                operation,
                response.json(),
                dict(zip(references, answers, strict=True)),
            )
        )
    return outcomes
