"""One spelling per email: NFKC, case folded; lookalikes and controls refused."""

from __future__ import annotations

import pytest

from subgraphs.kit.emails import normalise_email
from subgraphs.kit.errors import BadUserInput


def fullwidth(text: str) -> str:
    """`text` in fullwidth forms (U+FF01..U+FF5E), as some keyboards type it."""
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


@pytest.mark.parametrize(
    "spelling",
    [
        "demo@agora.dev",
        "  DEMO@Agora.Dev ",
        pytest.param(fullwidth("demo@agora.dev"), id="fullwidth"),
        pytest.param(fullwidth("Demo@") + "agora.dev", id="fullwidth-capital-and-at"),
    ],
)
def test_fullwidth_and_case_variants_are_the_same_address(spelling: str) -> None:
    assert normalise_email(spelling) == "demo@agora.dev"


@pytest.mark.parametrize(
    "address",
    ["дмитрий@пример.рф", "σοφία@example.gr", "たなか@例え.jp", "o'brien+tag@x-y.io"],
)
def test_one_script_per_part_is_an_address(address: str) -> None:
    assert normalise_email(address) == address.casefold()


@pytest.mark.parametrize(
    "address",
    [
        pytest.param("d\u0435mo@agora.dev", id="cyrillic-e-in-local-part"),
        pytest.param("demo@\u0430gora.dev", id="cyrillic-a-in-domain"),
        pytest.param("demo@agora.d\u0435v", id="cyrillic-e-in-tld"),
        pytest.param("de\x00mo@agora.dev", id="nul"),
        pytest.param("demo@agora.dev\u200b", id="zero-width-space"),
        pytest.param("demo@agora", id="no-dot"),
        pytest.param("not-an-email", id="no-at"),
        pytest.param("a" * 320 + "@agora.dev", id="too-long"),
    ],
)
def test_lookalikes_control_characters_and_non_addresses_are_refused(
    address: str,
) -> None:
    with pytest.raises(BadUserInput) as refused:
        normalise_email(address)
    assert refused.value.extensions == {"field": "email", "code": "BAD_USER_INPUT"}
