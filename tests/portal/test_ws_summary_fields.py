"""The opening summary (开标一览表) on the pages: the owner or agent declares its items on the tender-preparation form,
the tender's pages show them as a table, and the bid summary partial renders them as checked inputs."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.core.clock import to_china_time
from ggzy.portal.i18n import Language, translations
from ggzy.portal.rendering import environment
from ggzy.tendering import service as tendering
from ggzy.tendering.models import Tender
from ggzy.tendering.summary_form import FieldKind, SummaryField, declare
from tests.conftest import TEST_NOW
from tests.factories import bidder_user, event_count, make_accepted_project, make_published_tender
from tests.portal.ws_support import browser_login, csrf_from, problem_code


def _local(moment) -> str:  # type: ignore[no-untyped-def]
    return to_china_time(moment).strftime("%Y-%m-%dT%H:%M")


def _form(token: str, **rows: list[str]) -> dict[str, object]:
    return {
        "csrf_token": token,
        "title": "开标一览表页面招标",
        "notice_text": "公告正文",
        "procedure": "open",
        "method": "scoring",
        "documents_until": _local(TEST_NOW + timedelta(days=10)),
        "bid_deadline": _local(TEST_NOW + timedelta(days=25)),
        **rows,
    }


def test_the_agent_declares_the_summary_items_on_the_preparation_form(
    client: TestClient, db: Session, trusted: dict[str, int]
) -> None:
    setup = make_accepted_project(db)
    browser_login(client, db, setup["agent_user"])
    home = client.get("/workspace/projects")
    assert 'name="summary_label"' in home.text
    assert "投标报价" in home.text
    assert "必填" in home.text
    assert '<option value="工期（日历天）"' in home.text  # a common item suggested
    token = csrf_from(client, "/workspace/projects")
    rows = {
        "summary_label": ["工期（日历天）", "", "投标有效期（日历天）"],
        "summary_label_en": ["", "", "Validity (days)"],
        "summary_kind": ["days", "text", "days"],
        "summary_required": ["yes", "yes", "no"],
    }
    created = client.post(
        f"/workspace/projects/lots/{setup['lots'][0].id}/tenders", data=_form(token, **rows), follow_redirects=False
    )
    assert created.status_code == 303, created.text
    tender = db.scalar(select(Tender).where(Tender.title == "开标一览表页面招标"))
    assert tender is not None
    assert tendering.summary_fields_of(tender) == declare(
        [
            SummaryField("schedule_days", "工期（日历天）", "Schedule (calendar days)", FieldKind.DAYS, True),
            SummaryField("投标有效期", "投标有效期（日历天）", "Validity (days)", FieldKind.DAYS, False),
        ]
    )
    page = client.get(created.headers["location"]).text
    assert "<code>schedule_days</code>" in page
    assert "投标有效期（日历天）" in page
    assert "选填" in page


def test_a_refused_declaration_on_the_page_is_shown_and_leaves_no_tender_or_event(
    client: TestClient, db: Session, trusted: dict[str, int]
) -> None:
    setup = make_accepted_project(db)
    browser_login(client, db, setup["agent_user"])
    token = csrf_from(client, "/workspace/projects")
    before = (db.scalar(select(func.count()).select_from(Tender)), event_count(db))
    url = f"/workspace/projects/lots/{setup['lots'][0].id}/tenders"
    for rows in (
        {"summary_label": ["工期", "工期"], "summary_kind": ["days", "days"], "summary_required": ["yes", "yes"]},
        {"summary_label": ["（）"], "summary_kind": ["text"], "summary_required": ["yes"]},
        {"summary_label": ["工期"], "summary_kind": ["money"], "summary_required": ["yes"]},
    ):
        refused = client.post(url, data=_form(token, **rows))
        assert (refused.status_code, problem_code(refused)) == (422, "invalid_input"), refused.text
        assert 'role="alert"' in refused.text
    assert (db.scalar(select(func.count()).select_from(Tender)), event_count(db)) == before


def test_a_bidder_reads_the_declared_items_as_a_table(client: TestClient, db: Session, trusted: dict[str, int]) -> None:
    tender, _ = make_published_tender(
        db, summary_fields=[SummaryField("quality", "质量标准", "Quality standard", FieldKind.TEXT, False)]
    )
    browser_login(client, db, bidder_user(db))
    page = client.get(f"/workspace/bidder/tenders/{tender.id}").text
    table = page[page.index('id="summary-fields"') :]
    table = table[: table.index("</table>")]
    assert "投标报价" in table
    assert "<code>price_fen</code>" in table
    assert "金额（元）" in table
    assert "质量标准" in table
    assert "选填" in table


def test_the_bid_summary_partial_renders_each_item_as_a_checked_input() -> None:
    fields = declare(
        [
            SummaryField("schedule_days", "工期（日历天）", "Schedule", FieldKind.DAYS, True),
            SummaryField("rate_percent", "费率", "Rate", FieldKind.PERCENTAGE, False),
            SummaryField("quality", "质量标准", "Quality", FieldKind.TEXT, True),
        ]
    )
    html = render_partial(fields)
    assert 'name="summary.price_fen"' in html
    price = html[html.index('name="summary.price_fen"') :].split(">", 1)[0]
    assert 'type="number"' in price
    assert 'min="0.01"' in price
    assert 'inputmode="decimal"' in price
    assert " required" in price
    days = html[html.index('name="summary.schedule_days"') :].split(">", 1)[0]
    assert 'min="1"' in days
    assert 'inputmode="numeric"' in days
    assert " required" in days
    rate = html[html.index('name="summary.rate_percent"') :].split(">", 1)[0]
    assert 'max="100"' in rate
    assert "required" not in rate
    assert 'maxlength="500"' in html
    assert "投标报价（元）" in html
    assert "data-msg-missing=" in html


def render_partial(fields: tuple[SummaryField, ...], lang: Language = "zh") -> str:
    """The partial as a sealing form includes it, rendered by the portal's own templates in ``lang``."""
    catalogue = translations(lang)
    template = environment.get_template("_bid_summary_fields.html")
    return template.render(summary_fields=fields, lang=lang, _=catalogue.gettext, gettext=catalogue.gettext)
