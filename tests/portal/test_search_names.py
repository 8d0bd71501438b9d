"""Finding a notice by what people know it by besides its words: its project's code, its owner's or agent's name,
and a bidder's name where the bidder is public — from the opening on (招标投标法 第36条: the opening reads the
bidders out), never before it (招标投标法 第22条); and the notice-type filter."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ggzy.core.permissions import Permission, Role
from ggzy.entities.schemas import RoleGrantIn
from ggzy.portal.search import NoticeQuery, search_notices
from ggzy.storage import LocalBlobStore
from ggzy.tendering import bids
from ggzy.tendering import service as tendering
from tests.conftest import LEDGER_KEYS, TEST_NOW
from tests.factories import make_entity, make_opened_tender, make_published_tender, make_user, principal

LAWS = Path("/work/shared/laws")


def _titles(db: Session, text: str = "", kind: str | None = None) -> set[int]:
    return {row.tender_id for row in search_notices(db, NoticeQuery(text=text, kind=kind)).rows}


def test_the_law_that_keeps_bidders_secret_before_the_opening_says_so() -> None:
    law = next(LAWS.glob("招标投标法(*.md")).read_text()
    assert "第二十二条 招标人不得向他人透露已获取招标文件的潜在投标人的名称、数量" in law
    assert "宣读投标人名称、投标价格" in law  # 第三十六条: the opening reads them out


def test_a_notice_is_found_by_its_project_code_its_owner_and_its_agent(db: Session) -> None:
    tender, setup = make_published_tender(db)
    project, agent, owner = setup["project"], setup["agent"], setup["owner"]
    db.commit()
    assert tender.id in _titles(db, project.code)
    assert tender.id in _titles(db, project.code[:11])  # a part of it: region and year
    assert tender.id in _titles(db, agent.name)
    assert tender.id in _titles(db, owner.name)
    assert tender.id not in _titles(db, "没有这家代理机构")


def test_a_bidder_is_found_from_the_opening_on_never_before_it(db: Session, gm_ca: Path, tmp_path: Path) -> None:
    from tests.tendering.test_bids import Bidder, seal

    opened = make_opened_tender(db, gm_ca, prices=[100_000_000, 95_000_000, 97_000_000])
    named = make_entity(db, name="滇池唯一测试投标人有限公司")
    user = make_user(db, roles=[RoleGrantIn(role=Role.BIDDER)], entity_id=named.id)
    # the same bidder bids on a second tender whose deadline is still ahead: sealed, not opened
    waiting, _ = make_published_tender(db)
    bidder = Bidder(db, gm_ca, waiting.id, user=user)
    bids.submit_bid(
        db, principal(db, user, Permission.TENDER_REGISTER), tender_id=waiting.id,
        envelope=io.BytesIO(seal(db, waiting, bidder)), store=LocalBlobStore(tmp_path / "blobs"), max_bytes=10**8,
        details={}, signer=LEDGER_KEYS.ed25519_key, now=TEST_NOW,
    )  # fmt: skip
    db.commit()
    assert _titles(db, "滇池唯一测试投标人") == set()  # 第22条: a bid before the opening names nobody

    opened_bidder = db.get(type(named), opened["bidders"][0].entity_id)
    assert opened_bidder is not None
    assert opened["tender"].id in _titles(db, opened_bidder.name)  # read out at the opening: public
    assert waiting.id not in _titles(db, opened_bidder.name)


def test_a_negotiations_suppliers_stay_secret_until_its_result(db: Session, gm_ca: Path) -> None:
    """政府采购法 第38条 (四): who responded to a 竞争性谈判 or 竞争性磋商 is not told until the result."""
    opened = make_opened_tender(db, gm_ca, prices=[100_000_000, 95_000_000, 97_000_000])
    tender = opened["tender"]
    name = db.get(type(opened["owner"]), opened["bidders"][0].entity_id).name
    tender.procedure = "consultation"  # as if the round were a consultation: its responses are secret
    db.commit()
    assert tender.id not in _titles(db, name)
    tender.stage = "awarded"  # the result is public, and who took part with it
    db.commit()
    assert tender.id in _titles(db, name)


def test_the_notice_type_filter(db: Session, gm_ca: Path) -> None:
    published, _ = make_published_tender(db)
    opened = make_opened_tender(db, gm_ca, prices=[100_000_000, 95_000_000, 97_000_000])
    cancelled, other = make_published_tender(db)
    tendering.cancel_tender(
        db, principal(db, other["agent_user"], Permission.TENDER_MANAGE), tender_id=cancelled.id,
        reason="招标人决定终止招标", now=TEST_NOW + timedelta(days=1),
    )  # fmt: skip
    db.commit()
    assert published.id in _titles(db, kind="notice")
    assert cancelled.id not in _titles(db, kind="notice")
    assert _titles(db, kind="termination") == {cancelled.id}
    assert opened["tender"].id not in _titles(db, kind="notice")  # it is past its call for bids
    opened["tender"].stage = "awarded"
    db.commit()
    assert _titles(db, kind="result") == {opened["tender"].id}
    assert opened["tender"].id not in _titles(db, kind="candidates")


def test_the_list_offers_the_type_filter_and_refuses_an_unknown_type(client: TestClient, db: Session) -> None:
    make_published_tender(db)
    db.commit()
    page = client.get("/notices").text
    assert 'id="kind"' in page
    assert "中标（成交）结果公告" in page
    refused = client.get("/notices?kind=nonsense")
    assert refused.status_code == 422
    assert client.get("/notices?q=测试工程&kind=notice").status_code == 200
