"""Membership cards: a PDF with a QR code of a token the chamber signs (Ed25519).

The token is a JWT (RFC 8037, `alg: EdDSA`) whose `kid` is the chamber id: a
scanner holding the chamber's public key (`Chamber.cardPublicKey`, the raw 32
bytes in base64url) verifies a card offline with any JWT library;
`verifyMembershipCard` verifies it online. The card says who the member is and
until when (`exp`: the membership's renewal date).
"""

from __future__ import annotations

import base64
import io
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import jwt
import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fpdf import FPDF

if TYPE_CHECKING:
    from subgraphs.directory.models import Chamber, Membership

__all__ = [
    "CardClaims",
    "new_card_key",
    "public_key_of",
    "render_card",
    "sign_card",
    "verify_card",
]

ALGORITHM = "EdDSA"
CARD_TYPE = "membership-card"


def new_card_key() -> str:
    """A fresh Ed25519 seed for a chamber, hex."""
    return secrets.token_bytes(32).hex()


def _private(chamber: Chamber) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(chamber.card_key))


def public_key_of(chamber: Chamber) -> str:
    """The chamber's card public key: raw 32 bytes, base64url without padding."""
    raw = _private(chamber).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_key_from(text: str) -> Ed25519PublicKey:
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    return Ed25519PublicKey.from_public_bytes(raw)


@dataclass(frozen=True, slots=True)
class CardClaims:
    membership_id: str
    chamber_id: str
    number: int
    name: str
    valid_until: datetime | None


def sign_card(chamber: Chamber, membership: Membership) -> str:
    """The card token of a membership, signed with its chamber's key."""
    claims: dict[str, Any] = {
        "typ": CARD_TYPE,
        "sub": str(membership.id),
        "chamber": str(chamber.id),
        "number": membership.number,
        "name": membership.display_name or membership.email or "",
        "iat": int(datetime.now(UTC).timestamp()),
    }
    if membership.renews_at is not None:
        claims["exp"] = int(membership.renews_at.timestamp())
    return jwt.encode(
        claims, _private(chamber), algorithm=ALGORITHM, headers={"kid": str(chamber.id)}
    )


def chamber_of_token(token: str) -> str | None:
    """The chamber id a token names (unverified: it picks the key to verify with)."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError:
        return None
    return kid if isinstance(kid, str) else None


def verify_card(token: str, public_key: Ed25519PublicKey) -> CardClaims | None:
    """The claims of a card token that `public_key` signed and that has not
    expired; None for anything else."""
    try:
        claims = jwt.decode(
            token,
            public_key,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "chamber", "number", "typ"]},
        )
    except jwt.PyJWTError:
        return None
    if claims.get("typ") != CARD_TYPE:
        return None
    expires = claims.get("exp")
    return CardClaims(
        membership_id=str(claims["sub"]),
        chamber_id=str(claims["chamber"]),
        number=int(claims["number"]),
        name=str(claims.get("name", "")),
        valid_until=None if expires is None else datetime.fromtimestamp(expires, UTC),
    )


def render_card(chamber: Chamber, membership: Membership, token: str) -> bytes:
    """A one-page PDF card (85.6 x 54 mm, ID-1): chamber, name, number, validity and
    the QR code of `token`."""
    pdf = FPDF(orientation="L", unit="mm", format=(54, 85.6))
    pdf.set_auto_page_break(False)
    pdf.set_margins(4, 4, 4)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(48, 6, _latin1(chamber.name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8)
    name = membership.display_name or membership.email or ""
    pdf.cell(48, 5, _latin1(name), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(48, 5, f"Member No. {membership.number}", new_x="LMARGIN", new_y="NEXT")
    until = (
        membership.renews_at.date().isoformat()
        if membership.renews_at is not None
        else "open-ended"
    )
    pdf.cell(48, 5, f"Valid until {until}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(48, 5, f"Tier: {_latin1(membership.tier)}", new_x="LMARGIN", new_y="NEXT")
    qr = io.BytesIO()
    segno.make(token, error="m").save(qr, kind="png", scale=4, border=2)
    qr.seek(0)
    pdf.image(qr, x=52, y=4, w=30, h=30)
    return bytes(pdf.output())


def _latin1(text: str) -> str:
    # The core PDF fonts are Latin-1: anything else becomes '?', never a crash.
    return text.encode("latin-1", "replace").decode("latin-1")
