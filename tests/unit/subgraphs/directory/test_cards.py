"""Membership cards: the PDF reads right, its QR code decodes, the token verifies."""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING, Any

import pypdfium2
import zxingcpp
from pypdf import PdfReader

from subgraphs.directory.cards import public_key_from, verify_card

from .conftest import MEMBER, STRANGER, gql

if TYPE_CHECKING:
    from subgraphs.kit.settings import Settings

CARD = """
query($id: ID!) {
  membershipCard(membershipId: $id) { filename contentType pdfBase64 token }
}
"""
VERIFY = """
query($token: String!) {
  verifyMembershipCard(token: $token) { valid number name status chamberId }
}
"""
MINE = """
query($id: ID!) {
  _entities(representations: [{__typename: "User", id: $id}]) {
    ... on User { memberships { id number chamber { cardPublicKey } } }
  }
}
"""


async def test_a_card_pdf_shows_the_member_and_its_qr_token_verifies_offline(
    directory_client: Any, directory_settings: Settings
) -> None:
    async with directory_client() as client:
        mine = await gql(client, directory_settings, MEMBER, MINE, id=MEMBER.user_id)
        membership = mine["data"]["_entities"][0]["memberships"][0]
        card = (
            await gql(client, directory_settings, MEMBER, CARD, id=membership["id"])
        )["data"]["membershipCard"]
        online = await gql(
            client, directory_settings, None, VERIFY, token=card["token"]
        )
        forged = await gql(
            client, directory_settings, None, VERIFY, token=card["token"][:-4] + "AAAA"
        )
        refused = await gql(
            client,
            directory_settings,
            STRANGER,
            CARD,
            id=membership["id"],
        )
    pdf = base64.b64decode(card["pdfBase64"])
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Demo Chamber" in text
    assert "Support Agent" in text
    assert f"Member No. {membership['number']}" in text
    assert "Valid until" in text
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=8).to_pil()
    decoded = zxingcpp.read_barcodes(image)
    assert [code.text for code in decoded] == [card["token"]]
    key = public_key_from(membership["chamber"]["cardPublicKey"])
    claims = verify_card(decoded[0].text, key)
    assert claims is not None
    assert (claims.membership_id, claims.number) == (
        membership["id"],
        membership["number"],
    )
    assert online["data"]["verifyMembershipCard"] == {
        "valid": True,
        "number": membership["number"],
        "name": "Support Agent",
        "status": "ACTIVE",
        "chamberId": "7d3c0a2e-0000-4000-8000-000000000201",
    }
    assert forged["data"]["verifyMembershipCard"]["valid"] is False
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
