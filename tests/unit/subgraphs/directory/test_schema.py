"""The directory through its GraphQL schema: onboarding, members, businesses, events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from subgraphs.kit.database import count_statements
from subgraphs.kit.principal import Principal

from .conftest import ADMIN, DEMO_CHAMBER, MEMBER, STRANGER, gql

if TYPE_CHECKING:
    from subgraphs.kit.settings import Settings

REGISTER = """
mutation($name: String!) {
  registerChamber(input: {name: $name, region: "North"}) {
    id tenantId slug cardPublicKey
  }
}
"""
INVITE = """
mutation($chamber: ID!, $emails: [String!]!) {
  inviteMembers(chamberId: $chamber, emails: $emails) { id email token membershipId }
}
"""
MEMBERS = """
query($chamber: ID!, $status: MembershipStatus, $after: String) {
  members(chamberId: $chamber, status: $status, first: 2, after: $after) {
    edges { node { number status role email user { id } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
SEARCH = """
query($search: String, $categories: [String!], $near: NearInput, $first: Int!) {
  businesses(search: $search, categories: $categories, near: $near, first: $first) {
    edges { node { name verified owner { id } chamber { name }
                   categories { slug } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def _names(result: dict[str, Any]) -> list[str]:
    return [e["node"]["name"] for e in result["data"]["businesses"]["edges"]]


async def test_a_registered_chamber_is_run_by_its_founder_and_invites_by_token(
    directory_client: Any, directory_settings: Settings
) -> None:
    founder = Principal("user-founder", None, frozenset({"member"}))
    async with directory_client() as client:
        made = await gql(
            client, directory_settings, founder, REGISTER, name="Harbour Chamber"
        )
        chamber = made["data"]["registerChamber"]
        invited = await gql(
            client,
            directory_settings,
            founder,
            INVITE,
            chamber=chamber["id"],
            emails=["Ann@Example.com", "ann@example.com", "bob@example.com"],
        )
        refused = await gql(
            client,
            directory_settings,
            STRANGER,
            INVITE,
            chamber=chamber["id"],
            emails=["x@y.io"],
        )
        first = await gql(
            client, directory_settings, founder, MEMBERS, chamber=chamber["id"]
        )
        cursor = first["data"]["members"]["pageInfo"]["endCursor"]
        second = await gql(
            client,
            directory_settings,
            founder,
            MEMBERS,
            chamber=chamber["id"],
            after=cursor,
        )
    assert chamber["slug"] == "harbour-chamber"
    assert chamber["tenantId"] != chamber["id"]
    invitations = invited["data"]["inviteMembers"]
    assert [i["email"] for i in invitations] == ["ann@example.com", "bob@example.com"]
    assert all(i["token"] and i["membershipId"] for i in invitations)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    page = [e["node"] for e in first["data"]["members"]["edges"]]
    assert [(m["number"], m["role"], m["status"]) for m in page] == [
        (1, "CHAMBER_ADMIN", "ACTIVE"),
        (2, "MEMBER", "PENDING"),
    ]
    assert page[0]["user"] == {"id": "user-founder"}
    assert [e["node"]["email"] for e in second["data"]["members"]["edges"]] == [
        "bob@example.com"
    ]
    assert second["data"]["members"]["pageInfo"]["hasNextPage"] is False


async def test_an_accepted_invitation_makes_the_membership_active(
    directory_client: Any, directory_settings: Settings
) -> None:
    from subgraphs.directory.chambers import accept_invitation

    async with directory_client() as client:
        invited = await gql(
            client,
            directory_settings,
            ADMIN,
            INVITE,
            chamber=DEMO_CHAMBER,
            emails=["c@d.io"],
        )
        invitation = invited["data"]["inviteMembers"][0]
        wrong_tenant = await accept_invitation(
            invitation["id"], "user-c", "other-tenant"
        )
        first = await accept_invitation(
            invitation["id"], "user-c", ADMIN.tenant_id or ""
        )
        again = await accept_invitation(
            invitation["id"], "user-c", ADMIN.tenant_id or ""
        )
        mine = await gql(
            client,
            directory_settings,
            Principal("user-c"),
            '{ _entities(representations: [{__typename: "User", id: "user-c"}]) '
            "{ ... on User { memberships { status email chamber { name } } } } }",
        )
    assert (wrong_tenant, first, again) == (False, True, False)
    assert mine["data"]["_entities"][0]["memberships"] == [
        {"status": "ACTIVE", "email": "c@d.io", "chamber": {"name": "Demo Chamber"}}
    ]


async def test_only_a_chamber_admin_approves_renews_and_changes_roles(
    directory_client: Any, directory_settings: Settings
) -> None:
    joiner = Principal("user-joiner")
    async with directory_client() as client:
        joined = await gql(
            client,
            directory_settings,
            joiner,
            "mutation($c: ID!) { joinChamber(chamberId: $c) { id status number } }",
            c=DEMO_CHAMBER,
        )
        membership = joined["data"]["joinChamber"]
        approve = (
            "mutation($m: ID!) { approveMembership(membershipId: $m) "
            "{ status renewsAt } }"
        )
        by_member = await gql(
            client, directory_settings, MEMBER, approve, m=membership["id"]
        )
        by_admin = await gql(
            client, directory_settings, ADMIN, approve, m=membership["id"]
        )
        twice = await gql(
            client, directory_settings, ADMIN, approve, m=membership["id"]
        )
        promoted = await gql(
            client,
            directory_settings,
            ADMIN,
            "mutation($m: ID!) { setMemberRole(membershipId: $m, role: CHAMBER_ADMIN) "
            "{ role } }",
            m=membership["id"],
        )
        cancelled = await gql(
            client,
            directory_settings,
            joiner,
            "mutation($m: ID!) { cancelMembership(membershipId: $m) { status } }",
            m=membership["id"],
        )
    assert membership["status"] == "PENDING"
    assert by_member["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert by_admin["data"]["approveMembership"]["status"] == "ACTIVE"
    assert twice["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert promoted["data"]["setMemberRole"]["role"] == "CHAMBER_ADMIN"
    assert cancelled["data"]["cancelMembership"]["status"] == "CANCELLED"


async def test_the_directory_searches_filters_by_category_and_distance(
    directory_client: Any, directory_settings: Settings
) -> None:
    async with directory_client() as client:
        bakery = await gql(
            client, directory_settings, MEMBER, SEARCH, search="bakery", first=10
        )
        cafes = await gql(
            client, directory_settings, MEMBER, SEARCH, categories=["cafe"], first=10
        )
        near = await gql(
            client,
            directory_settings,
            MEMBER,
            SEARCH,
            near={"lat": 52.52, "lng": 13.405, "km": 0.5},
            first=10,
        )
        anonymous = await gql(client, directory_settings, None, SEARCH, first=1)
        page = await gql(client, directory_settings, MEMBER, SEARCH, first=3)
        cursor = page["data"]["businesses"]["pageInfo"]["endCursor"]
        rest = await gql(
            client,
            directory_settings,
            MEMBER,
            SEARCH.replace("first: $first)", "first: $first, after: $after)").replace(
                "$first: Int!)", "$first: Int!, $after: String)"
            ),
            first=10,
            after=cursor,
        )
    # A name match ranks above a description match, on either backend.
    assert _names(bakery)[0] == "Sunrise Bakery"
    assert "Harbour Hardware" in _names(bakery)
    assert _names(bakery).index("Harbour Hardware") > _names(bakery).index(
        "Sunrise Bakery"
    )
    assert _names(cafes) == ["Corner Café", "Sunrise Bakery"]
    assert set(_names(near)) == {"Corner Café", "Old Town Patisserie", "Sunrise Bakery"}
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert len(_names(page)) == 3
    assert len(_names(rest)) == 5
    assert not set(_names(page)) & set(_names(rest))


async def test_listing_businesses_costs_the_same_statements_for_3_or_100(
    directory_client: Any, directory_settings: Settings
) -> None:
    from subgraphs.directory.models import Business, BusinessCategory, Category, Chamber

    async with directory_client() as client:
        chamber = await Chamber.get(id=DEMO_CHAMBER)
        bakery = await Category.get(slug="bakery")
        await Business.bulk_create(
            [
                Business(chamber=chamber, name=f"Shop {n:03d}", owner_id=f"owner-{n}")
                for n in range(100)
            ]
        )
        stored = await Business.filter(name__startswith="Shop ")
        await BusinessCategory.bulk_create(
            [BusinessCategory(business=b, category=bakery) for b in stored]
        )
        counts = []
        for first in (3, 100):
            with count_statements() as counter:
                result = await gql(
                    client, directory_settings, MEMBER, SEARCH, first=first
                )
            assert len(result["data"]["businesses"]["edges"]) == first
            counts.append(counter.total)
    # The ids, the rows, their chambers, their categories (with a JOIN).
    assert counts[0] == counts[1]
    assert counts[1] <= 5


async def test_updates_belong_to_the_owner_or_an_admin_and_verifying_to_admins(
    directory_client: Any, directory_settings: Settings
) -> None:
    sunrise = "7d3c0a2e-0000-4000-8000-000000000301"  # owned by ADMIN in the seed
    byteworks = "7d3c0a2e-0000-4000-8000-000000000305"  # owned by MEMBER
    update = """mutation($id: ID!, $input: BusinessInput!) {
      updateBusiness(id: $id, input: $input) { name website categories { slug } } }"""
    verify = "mutation($id: ID!) { verifyBusiness(id: $id) { verified } }"
    async with directory_client() as client:
        own = await gql(
            client,
            directory_settings,
            MEMBER,
            update,
            id=byteworks,
            input={
                "website": "https://byteworks.example",
                "categories": ["it", "cafe"],
            },
        )
        other = await gql(
            client,
            directory_settings,
            MEMBER,
            update,
            id=sunrise,
            input={"name": "Mine"},
        )
        bad = await gql(
            client,
            directory_settings,
            MEMBER,
            update,
            id=byteworks,
            input={"website": "ftp://x"},
        )
        hours_list = await gql(
            client,
            directory_settings,
            MEMBER,
            update,
            id=byteworks,
            input={"openingHours": ["mon 9-17"]},
        )
        by_member = await gql(client, directory_settings, MEMBER, verify, id=byteworks)
        by_admin = await gql(client, directory_settings, ADMIN, verify, id=byteworks)
    assert own["data"]["updateBusiness"] == {
        "name": "ByteWorks",
        "website": "https://byteworks.example",
        "categories": [{"slug": "cafe"}, {"slug": "it"}],
    }
    assert other["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # JSON admits any value; opening hours are an object or nothing is stored.
    assert hours_list["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert by_member["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert by_admin["data"]["verifyBusiness"] == {"verified": True}


async def test_events_are_created_by_admins_and_registration_is_idempotent(
    directory_client: Any, directory_settings: Settings
) -> None:
    start = datetime.now(UTC) + timedelta(days=3)
    create = """mutation($c: ID!, $input: CreateEventInput!) {
      createEvent(chamberId: $c, input: $input) { id capacity placesLeft timezone } }"""
    register = "mutation($e: ID!) { registerForEvent(eventId: $e) { id user { id } } }"
    event_input = {
        "title": "Tiny meetup",
        "startsAt": start.isoformat(),
        "endsAt": (start + timedelta(hours=1)).isoformat(),
        "capacity": 1,
    }
    async with directory_client() as client:
        refused = await gql(
            client,
            directory_settings,
            MEMBER,
            create,
            c=DEMO_CHAMBER,
            input=event_input,
        )
        made = await gql(
            client, directory_settings, ADMIN, create, c=DEMO_CHAMBER, input=event_input
        )
        event = made["data"]["createEvent"]
        first = await gql(client, directory_settings, MEMBER, register, e=event["id"])
        again = await gql(client, directory_settings, MEMBER, register, e=event["id"])
        full = await gql(client, directory_settings, ADMIN, register, e=event["id"])
        listed = await gql(
            client,
            directory_settings,
            MEMBER,
            "query($c: ID!, $from: DateTime) { events(chamberId: $c, from: $from) "
            "{ title placesLeft } }",
            c=DEMO_CHAMBER,
            **{"from": start.isoformat()},
        )
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (event["capacity"], event["placesLeft"], event["timezone"]) == (
        1,
        1,
        "Europe/Berlin",
    )
    assert first["data"]["registerForEvent"] == again["data"]["registerForEvent"]
    assert full["errors"][0]["extensions"]["reason"] == "EVENT_FULL"
    assert {"title": "Tiny meetup", "placesLeft": 0} in listed["data"]["events"]


async def test_accounts_event_activates_an_invitation_and_chambers_are_announced(
    directory_settings: Settings, asgi_client: Any
) -> None:
    import asyncio

    from subgraphs.accounts.events import INVITATION_ACCEPTED, InvitationAccepted
    from subgraphs.directory.app import create_app
    from subgraphs.directory.events import CHAMBER_REGISTERED
    from subgraphs.directory.models import Membership
    from subgraphs.directory.tenants import announce_chambers_once

    app = create_app(directory_settings)
    broker = app.state.broker
    async with asgi_client(app) as client:
        invited = await gql(
            client,
            directory_settings,
            ADMIN,
            INVITE,
            chamber=DEMO_CHAMBER,
            emails=["e@f.io"],
        )
        invitation = invited["data"]["inviteMembers"][0]
        accepted = InvitationAccepted(
            invitation_id=invitation["id"],
            user_id="user-e",
            tenant_id=ADMIN.tenant_id or "",
        )
        await INVITATION_ACCEPTED.publish(broker, ADMIN.tenant_id, accepted)
        for _ in range(200):  # the background task takes it from the broker
            member = await Membership.get(id=invitation["membershipId"])
            if member.user_id is not None:
                break
            await asyncio.sleep(0.01)
        async with broker.subscribe(CHAMBER_REGISTERED.name()) as events:
            announced = await announce_chambers_once(broker)
            first = CHAMBER_REGISTERED.decode(await anext(events))
    assert (member.user_id, member.status.value) == ("user-e", "ACTIVE")
    assert announced == 1
    assert (first.tenant_id, first.name, first.admin_user_id) == (
        ADMIN.tenant_id,
        "Demo Chamber",
        ADMIN.user_id,
    )


async def test_listing_members_with_emails_costs_the_same_statements_for_2_or_50(
    directory_client: Any, directory_settings: Settings
) -> None:
    emails = [f"person{n}@example.com" for n in range(60)]
    listing = """query($chamber: ID!, $first: Int!) {
      members(chamberId: $chamber, first: $first) {
        edges { node { email chamber { name } user { id } } } } }"""
    async with directory_client() as client:
        await gql(
            client,
            directory_settings,
            ADMIN,
            INVITE,
            chamber=DEMO_CHAMBER,
            emails=emails,
        )
        counts = []
        for first in (2, 50):
            with count_statements() as counter:
                result = await gql(
                    client,
                    directory_settings,
                    ADMIN,
                    listing,
                    chamber=DEMO_CHAMBER,
                    first=first,
                )
            edges = result["data"]["members"]["edges"]
            assert len(edges) == first
            assert all(edge["node"]["email"] for edge in edges[2:])
            counts.append(counter.total)
    assert counts[0] == counts[1]
