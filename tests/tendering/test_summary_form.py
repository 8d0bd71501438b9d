"""The opening summary (开标一览表) a tender declares: one pure rule (summary_form.check_summary) for the bidder's
client and evaluation, the declaration through the API, its amendment by a clarification only (实施条例 第21条), and
evaluation's last line (实施条例 第51条 (六))."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.core.clock import FixedClock
from ggzy.core.errors import InvalidInput
from ggzy.core.events import Event
from ggzy.core.money import MAX_FEN
from ggzy.core.permissions import Permission
from ggzy.evaluation import rules as evaluation_rules
from ggzy.evaluation import service as evaluation
from ggzy.experts import service as experts
from ggzy.tendering import summary_form
from ggzy.tendering.summary_form import (
    DEFAULT_FIELDS,
    PRICE_KEY,
    FieldKind,
    SummaryField,
    check_summary,
    declare,
    summary_from_texts,
)
from tests.factories import make_accepted_project, make_expert, make_opened_tender, principal, token_for
from tests.tendering.test_tenders import _draft_body, _refused

LAWS = Path("/work/shared/laws")
SCHEDULE = SummaryField("schedule_days", "工期（日历天）", "Schedule (calendar days)", FieldKind.DAYS, True)
QUALITY = SummaryField("quality", "质量标准", "Quality standard", FieldKind.TEXT, True)
MANAGER = SummaryField("project_manager", "项目经理", "Project manager", FieldKind.TEXT, False)
RATE = SummaryField("rate_percent", "费率（%）", "Rate (%)", FieldKind.PERCENTAGE, False)
DECLARED = declare([SCHEDULE, QUALITY, MANAGER, RATE])


def _codes(problems: list[summary_form.Problem]) -> list[tuple[str, str]]:
    return [(problem.code, problem.key) for problem in problems]


# -- the pure rule ---------------------------------------------------------------------------------------------------


def test_the_issues_example_is_refused_naming_the_missing_price() -> None:
    problems = check_summary(DEFAULT_FIELDS, {"投标报价": 420000000, "工期": 300})
    assert problems[0].code == "missing"
    assert problems[0].key == PRICE_KEY
    assert "投标报价" in problems[0].message_zh
    assert "price_fen" in problems[0].message_en
    # the label written as a key is named with the key it belongs under
    assert any(p.key == "投标报价" and "price_fen" in p.message_zh for p in problems)
    assert ("unknown", "工期") in _codes(problems)


def test_a_complete_summary_has_no_problem() -> None:
    summary = {"price_fen": 42_000_000_000, "schedule_days": 300, "quality": "合格", "rate_percent": "95.5"}
    assert check_summary(DECLARED, summary) == []
    assert check_summary(DECLARED, summary | {"rate_percent": 100, "project_manager": "张三"}) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"price_fen": 0}, ("price_invalid", "price_fen")),
        ({"price_fen": -1}, ("price_invalid", "price_fen")),
        ({"price_fen": True}, ("price_invalid", "price_fen")),
        ({"price_fen": "4200000.00"}, ("price_invalid", "price_fen")),
        ({"price_fen": MAX_FEN + 1}, ("price_invalid", "price_fen")),
        ({"price_fen": None}, ("missing", "price_fen")),
        ({"schedule_days": 0}, ("wrong_kind", "schedule_days")),
        ({"schedule_days": "300"}, ("wrong_kind", "schedule_days")),
        ({"quality": "  "}, ("missing", "quality")),
        ({"quality": "合" * 501}, ("wrong_kind", "quality")),
        ({"rate_percent": "100.01"}, ("wrong_kind", "rate_percent")),
        ({"rate_percent": "9.555"}, ("wrong_kind", "rate_percent")),
        ({"project_manager": 7}, ("wrong_kind", "project_manager")),
        ({"工期": 300}, ("unknown", "工期")),
    ],
)
def test_each_kind_of_problem_is_named_with_its_item(change: dict[str, Any], expected: tuple[str, str]) -> None:
    summary = {"price_fen": 100, "schedule_days": 300, "quality": "合格"} | change
    problems = check_summary(DECLARED, summary)
    assert _codes(problems) == [expected]
    assert all(problem.message_zh and problem.message_en for problem in problems)


def test_not_an_object_is_one_problem() -> None:
    assert _codes(check_summary(DEFAULT_FIELDS, [1, 2])) == [("not_an_object", "")]


def test_an_optional_item_may_be_left_out_and_unknown_items_pass_where_allowed() -> None:
    summary = {"price_fen": 1, "schedule_days": 1, "quality": "合格", "extra": "x"}
    assert _codes(check_summary(DECLARED, summary)) == [("unknown", "extra")]
    assert check_summary(DECLARED, summary, allow_unknown=True) == []


@given(price=st.integers(min_value=-(10**18), max_value=10**18), days=st.integers(min_value=-5, max_value=40_000))
def test_the_price_is_valid_exactly_when_it_is_a_positive_amount_within_range(price: int, days: int) -> None:
    problems = check_summary(DECLARED, {"price_fen": price, "schedule_days": days, "quality": "合格"})
    assert (("price_invalid", PRICE_KEY) in _codes(problems)) == (not 1 <= price <= MAX_FEN)
    assert (("wrong_kind", "schedule_days") in _codes(problems)) == (not 1 <= days <= summary_form.MAX_DAYS)


@given(st.dictionaries(st.text(max_size=8), st.one_of(st.integers(), st.text(max_size=8), st.none(), st.booleans())))
def test_a_summary_without_a_positive_integer_price_always_has_a_price_problem(summary: dict[str, Any]) -> None:
    problems = check_summary(DEFAULT_FIELDS, summary, allow_unknown=True)
    price = summary.get(PRICE_KEY)
    valid = type(price) is int and 1 <= price <= MAX_FEN
    assert (problems == []) == valid


@given(fen=st.integers(min_value=1, max_value=MAX_FEN))
def test_an_amount_typed_in_yuan_is_sealed_in_fen(fen: int) -> None:
    typed = f"{fen // 100}.{fen % 100:02d}"
    summary, problems = summary_from_texts(DEFAULT_FIELDS, {"price_fen": typed})
    assert problems == []
    assert summary == {"price_fen": fen}


def test_items_typed_by_label_or_key_make_the_summary() -> None:
    summary, problems = summary_from_texts(
        DECLARED, {"price_fen": "4200000.00", "工期": "300", "质量标准": "合格", "Rate": "95.5%"}
    )
    assert problems == []
    assert summary == {"price_fen": 420_000_000, "schedule_days": 300, "quality": "合格", "rate_percent": "95.5"}
    _, wrong = summary_from_texts(DECLARED, {"price_fen": "4200000.001", "工期": "三百", "监理": "x"})
    assert set(_codes(wrong)) == {
        ("price_invalid", "price_fen"), ("wrong_kind", "schedule_days"), ("unknown", "监理"), ("missing", "quality"),
    }  # fmt: skip


def test_the_price_cannot_be_declared_away() -> None:
    assert declare([])[0] == summary_form.PRICE_FIELD
    assert declare([SCHEDULE])[0].key == PRICE_KEY
    for price in (
        SummaryField(PRICE_KEY, "投标报价", "Price", FieldKind.AMOUNT, False),
        SummaryField(PRICE_KEY, "投标报价", "Price", FieldKind.TEXT, True),
    ):
        with pytest.raises(InvalidInput, match="price_fen"):
            declare([price])
    for bad in (
        [SCHEDULE, SCHEDULE],
        [SummaryField("1st", "第一", "First", FieldKind.TEXT, True)],
        [SummaryField("a b", "空格", "Space", FieldKind.TEXT, True)],
        [SummaryField(f"item{n}", f"项目{n}", "x", FieldKind.TEXT, True) for n in range(20)],
    ):
        with pytest.raises(InvalidInput):
            declare(bad)


def test_the_declaration_is_stored_and_read_back_and_the_migrations_default_is_the_price() -> None:
    assert summary_form.from_json(summary_form.to_json(DECLARED)) == DECLARED
    assert summary_form.from_json(None) == DEFAULT_FIELDS
    migration = Path(__file__).resolve().parents[2] / "src/ggzy/migrations/versions/0024_summary_fields.py"
    written = re.search(r"DEFAULT_DECLARATION = \(\s*'(.*)'\s*\)", migration.read_text(encoding="utf-8"))
    assert written is not None
    assert written.group(1) == summary_form.to_json(DEFAULT_FIELDS)


# -- the declaration through the API ---------------------------------------------------------------------------------

ITEMS = [
    {"key": "schedule_days", "label_zh": "工期（日历天）", "label_en": "Schedule (days)", "kind": "days"},
    {"key": "质量标准", "label_zh": "质量标准", "kind": "text", "required": False},
]


def test_a_tender_declares_its_summary_when_prepared_and_publishes_it(client: TestClient, db: Session) -> None:
    setup = make_accepted_project(db)
    headers = token_for(db, setup["agent_user"])
    draft = client.post("/api/v1/tenders", json=_draft_body(setup["lots"][0].id, summary_fields=ITEMS), headers=headers)
    assert draft.status_code == 201, draft.text
    declared = draft.json()["summary_fields"]
    assert [item["key"] for item in declared] == ["price_fen", "schedule_days", "质量标准"]
    assert declared[0] == {
        "key": "price_fen", "label_zh": "投标报价", "label_en": "Bid price", "kind": "amount", "required": True,
    }  # fmt: skip
    assert declared[2]["label_en"] == "质量标准"  # no English given: the Chinese
    tender_id = draft.json()["id"]
    client.put(f"/api/v1/tenders/{tender_id}/documents", files={"file": ("招标文件.pdf", b"%PDF")}, headers=headers)
    assert client.post(f"/api/v1/tenders/{tender_id}/publish", headers=headers).status_code == 200
    public = client.get(f"/api/v1/tenders/{tender_id}").json()
    assert public["summary_fields"] == declared
    published = db.scalar(select(Event).where(Event.action == "tender.published"))
    assert published is not None
    assert [item["key"] for item in json.loads(published.payload)["summary_fields"]] == ["schedule_days", "质量标准"]


def test_without_a_declaration_a_tender_asks_for_the_price_alone(client: TestClient, db: Session) -> None:
    setup = make_accepted_project(db)
    headers = token_for(db, setup["agent_user"])
    draft = client.post("/api/v1/tenders", json=_draft_body(setup["lots"][0].id), headers=headers)
    assert [item["key"] for item in draft.json()["summary_fields"]] == ["price_fen"]


@pytest.mark.parametrize(
    ("items", "code"),
    [
        ([{"key": "price_fen", "label_zh": "投标报价", "kind": "amount", "required": False}], "invalid_input"),
        ([{"key": "price_fen", "label_zh": "投标报价", "kind": "text"}], "invalid_input"),
        ([ITEMS[0], ITEMS[0]], "invalid_input"),
        ([{"key": "9x", "label_zh": "x", "kind": "text"}], "validation_failed"),
        ([{"key": "x", "label_zh": "x", "kind": "money"}], "validation_failed"),
    ],
)
def test_a_refused_declaration_leaves_no_tender_and_no_event(
    client: TestClient, db: Session, items: list[dict[str, Any]], code: str
) -> None:
    setup = make_accepted_project(db)
    headers = token_for(db, setup["agent_user"])
    body = _draft_body(setup["lots"][0].id, summary_fields=items)
    _refused(client, db, "POST", "/api/v1/tenders", status=422, code=code, json=body, headers=headers)


def test_regulations_art_21_only_a_clarification_that_affects_the_bids_amends_the_summary(
    client: TestClient, db: Session, clock: FixedClock
) -> None:
    """实施条例 第21条 lets the tenderer amend the documents it issued, the form of the bid among them; an amendment
    that may affect the bids moves the deadline when fewer than 15 days remain. A new summary item affects every bid,
    so it is refused as a clarification "that cannot affect the bids"."""
    article = (LAWS / "招标投标法实施条例(2019-03-02).md").read_text(encoding="utf-8")
    assert "招标人可以对已发出的资格预审文件或者招标文件进行必要的澄清或者修改" in article
    from tests.factories import make_published_tender

    tender, setup = make_published_tender(db)
    db.commit()
    headers = token_for(db, setup["agent_user"])
    url = f"/api/v1/tenders/{tender.id}/clarifications"
    body = {"text": "开标一览表增加工期", "summary_fields": [ITEMS[0]]}
    _refused(
        client, db, "POST", url, status=422, code="invalid_input", json=body | {"affects_bids": False}, headers=headers
    )
    clock.advance(timedelta(days=15))  # 10 days left: the amendment moves the deadline
    amended = client.post(url, json=body, headers=headers)
    assert amended.status_code == 201, amended.text
    assert amended.json()["deadline_after"] > amended.json()["deadline_before"]
    public = client.get(f"/api/v1/tenders/{tender.id}").json()
    assert [item["key"] for item in public["summary_fields"]] == ["price_fen", "schedule_days"]
    event = db.scalar(select(Event).where(Event.action == "tender.clarified").order_by(Event.id.desc()))
    assert event is not None
    assert json.loads(event.payload)["summary_fields"][0]["key"] == "schedule_days"


# -- evaluation, the law's last line ---------------------------------------------------------------------------------


def test_regulations_art_51_6_evaluation_rejects_a_bid_whose_summary_lacks_a_declared_item(
    db: Session, gm_ca: Path
) -> None:
    article = (LAWS / "招标投标法实施条例(2019-03-02).md").read_text(encoding="utf-8")
    assert "(六)投标文件没有对招标文件的实质性要求和条件作出响应" in article
    opened = make_opened_tender(
        db, gm_ca, prices=[90_000_000, 80_000_000, 70_000_000, 60_000_000], method="lowest_price",
        summary_fields=[SCHEDULE, MANAGER],
        summaries=[{"schedule_days": 300}, {"schedule_days": 300, "extra": "多填一项"}, {}, {"schedule_days": "三百"}],
    )  # fmt: skip
    prices_only = make_opened_tender(
        db, gm_ca, prices=[90_000_000, 0, 70_000_000, 60_000_000], method="lowest_price", summaries=[{}] * 4
    )
    for _ in range(10):
        make_expert(db)
    results = []
    for scene in (opened, prices_only):
        staff = principal(db, scene["staff"], Permission.COMMITTEE_DRAW)
        tender_id, now = scene["tender"].id, scene["opened_at"]
        experts.draw_committee(
            db, staff, tender_id=tender_id, specialty_code="A01", size=5, reserve=0, owner_representative_user_ids=[],
            now=now,
        )  # fmt: skip
        scheme = evaluation_rules.Scheme(("licence",), (), Decimal(0), evaluation_rules.PriceFormula.LOWEST_BASE)
        evaluation.start_evaluation(db, staff, tender_id=tender_id, scheme=scheme, lead_member_id=None, now=now)
        found = evaluation.find_evaluation(db, tender_id)
        assert found is not None
        results.append(evaluation._rejected(db, found.id))
    rejected, price_rejected = results
    bids = opened["bid_ids"]
    assert set(rejected) == {bids[2], bids[3]}, "an extra item is no ground; a missing or wrong declared one is"
    assert {r.ground for r in rejected.values()} == {"not_responsive"}
    assert "工期（日历天）" in rejected[bids[2]].note
    assert "第五十一条（六）" in rejected[bids[3]].note
    assert {bid: r.note for bid, r in price_rejected.items()} == {
        prices_only["bid_ids"][1]: "开标一览表未载明有效投标报价 / no valid price in the opening summary"
    }
