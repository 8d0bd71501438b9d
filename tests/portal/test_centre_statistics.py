"""Reports roll up the centre hierarchy (统分结合, decision 0041): a province's statistics include its cities and
counties, with a row per centre directly below; a city's its counties; a county's its own; never a sibling's."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ggzy.core.permissions import Role
from ggzy.entities.models import Centre
from ggzy.entities.schemas import RoleGrantIn
from ggzy.portal.statistics import rollup_for
from tests.factories import make_awarded_tender, make_centres, make_user, token_for

PAGE = "/workspace/centre/statistics"


@pytest.fixture
def awarded(db: Session, gm_ca: Path) -> dict[str, Centre]:
    """One award (budget 100.00 万元, awarded at 10.00 万元) at the county branch, one at the city, one at a sibling
    city: three lifecycles in one hierarchy."""
    centres = make_centres(db)
    for level in ("county", "city", "other_city"):
        make_awarded_tender(db, gm_ca, centre_level=level, centres=centres)
    db.commit()
    return centres


def _staff(db: Session, centre: Centre) -> dict[str, str]:
    return token_for(db, make_user(db, roles=[RoleGrantIn(role=Role.CENTRE_STAFF, centre_id=centre.id)]))


def test_the_province_counts_every_award_below_it_with_a_row_per_city(db: Session, awarded: dict) -> None:
    province, city, other = awarded["province"], awarded["city"], awarded["other_city"]
    result = rollup_for(db, year=2026, centre_id=province.id)
    assert result.total.count == 3
    assert result.total.amount_fen == 3 * 10_000_000
    rows = {int(t.key): t.count for t in result.by_centre}
    assert rows == {province.id: 0, city.id: 2, other.id: 1}  # the county's award is counted in its city's row
    assert sum(t.amount_fen for t in result.by_centre) == result.total.amount_fen
    assert [(t.key, t.count) for t in result.by_trade_type] == [("construction", 3)]


def test_a_city_counts_itself_and_its_counties_and_a_county_only_itself(db: Session, awarded: dict) -> None:
    city, county = awarded["city"], awarded["county"]
    by_city = rollup_for(db, year=2026, centre_id=city.id)
    assert by_city.total.count == 2
    assert {int(t.key): t.count for t in by_city.by_centre} == {city.id: 1, county.id: 1}
    by_county = rollup_for(db, year=2026, centre_id=county.id)
    assert by_county.total.count == 1
    assert {int(t.key): t.count for t in by_county.by_centre} == {county.id: 1}


def test_the_page_rolls_up_for_the_province_and_follows_a_city_down(
    client: TestClient, db: Session, awarded: dict
) -> None:
    province, city = awarded["province"], awarded["city"]
    headers = _staff(db, province)
    db.commit()
    page = client.get(f"{PAGE}?year=2026", headers=headers)
    assert page.status_code == 200
    assert province.name in page.text
    assert city.name in page.text
    assert awarded["other_city"].name in page.text
    assert "30.00 万元" in page.text  # three awards of 10.00 万元
    assert f'href="{PAGE}?centre_id={city.id}&amp;year=2026"' in page.text
    down = client.get(f"{PAGE}?centre_id={city.id}&year=2026", headers=headers)
    assert down.status_code == 200
    assert "20.00 万元" in down.text
    assert awarded["county"].name in down.text
    assert awarded["other_city"].name not in down.text


@pytest.mark.parametrize(("reader", "asked"), [("city", "province"), ("city", "other_city"), ("county", "city")])
def test_a_centre_reads_no_parents_or_siblings_statistics(
    client: TestClient, db: Session, reader: str, asked: str
) -> None:
    centres = make_centres(db)
    headers = _staff(db, centres[reader])
    db.commit()
    refused = client.get(f"{PAGE}?centre_id={centres[asked].id}", headers=headers)
    assert refused.status_code == 403
    assert "该交易中心既不是您所在的中心，也不在其下级" in refused.text
    assert centres[asked].name not in refused.text


def test_only_centre_staff_open_the_page(client: TestClient, db: Session) -> None:
    supervisor = make_user(db, roles=[RoleGrantIn(role=Role.SUPERVISOR, region_code="530000")])
    headers = token_for(db, supervisor)
    db.commit()
    assert client.get(PAGE, headers=headers).status_code == 403
