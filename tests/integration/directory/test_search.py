"""Business search on PostgreSQL: ranking, misspellings, and the GIN index at scale."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest
from tortoise import connections

from subgraphs.directory.businesses import list_businesses
from subgraphs.directory.search import BusinessQuery, Mode, explain_search

if TYPE_CHECKING:
    from subgraphs.kit.settings import Settings

pytestmark = [
    pytest.mark.integration,
    pytest.mark.parametrize("database_url", ["postgres"], indirect=True),
]

# 100,000 businesses in one statement. Each name has one of 1,000 made-up family
# names (prefix + middle + suffix: "Holsilworth"), so a name search selects 0.1%.
SEED = """
INSERT INTO directory_business
    (id, chamber_id, name, description, address, phone, website, opening_hours,
     verified, created_at, updated_at)
SELECT gen_random_uuid(), '7d3c0a2e-0000-4000-8000-000000000201',
       initcap((ARRAY['bra','clo','dre','fla','gri','hol','kra','lum','mor','pla'])
                   [1 + n % 10]
               || (ARRAY['ven','tar','sil','dor','mak','ber','lin','pos','qua','ris'])
                   [1 + (n / 10) % 10]
               || (ARRAY['ton','wick','field','ford','ley','more','worth','bury',
                         'dale','mont'])[1 + (n / 100) % 10])
       || ' ' ||
       (ARRAY['Plumbing','Tailoring','Printing','Roofing','Catering','Upholstery',
              'Locksmiths','Glaziers','Couriers','Opticians'])[1 + (n / 1000) % 10],
       'Serving the district since ' || (1950 + n % 70) || ' with '
           || (ARRAY['care','speed','craft','quality'])[1 + n % 4],
       '', '', '', '{}', false, now(), now()
FROM generate_series(1, 100000) AS n
"""


async def test_a_name_match_ranks_above_a_description_match_and_misspellings_match(
    directory_db: Settings,
) -> None:
    found = await list_businesses(search="bakery", first=20)
    typo = await list_businesses(search="bakry", first=20)
    names = [b.name for b in found.businesses]
    # Sunrise Bakery has it in its name; Harbour Hardware and Corner Café in the
    # description ("bakery oven", "the bakery next door").
    assert names[0] == "Sunrise Bakery"
    assert set(names[1:]) == {"Corner Café", "Harbour Hardware"}
    assert "Sunrise Bakery" in [b.name for b in typo.businesses]


async def test_the_search_uses_the_gin_index_with_100000_businesses(
    directory_db: Settings,
) -> None:
    client = connections.get("directory")
    started = time.perf_counter()
    await client.execute_script(SEED)
    await client.execute_script("ANALYZE directory_business")
    seeded = time.perf_counter() - started
    plan = await explain_search(BusinessQuery(search="holsilworth", limit=21))
    typo_plan = await explain_search(
        BusinessQuery(search="holsilwoth", limit=21), mode=Mode.SIMILAR_NAMES
    )
    page = await list_businesses(search="holsilworth", first=5)
    typo = await list_businesses(search="holsilwoth", first=5)
    assert "directory_business_search" in plan, plan
    assert "Bitmap Index Scan" in plan, plan
    assert "Seq Scan" not in plan, plan
    assert "directory_business_name_trgm" in typo_plan, typo_plan
    assert len(page.businesses) == 5
    assert all(b.name.startswith("Holsilworth ") for b in page.businesses)
    assert [b.name for b in typo.businesses] == [b.name for b in page.businesses]
    assert seeded < 120
