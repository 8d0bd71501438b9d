"""The command line: migrations, the demo data, and the demo CA mounted as ``ggzy ca``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ggzy.cli import app
from ggzy.core.codes import validate_project_code
from ggzy.core.events import Event
from ggzy.crypto import load_certificate
from ggzy.demo import demo_credit_code, has_data, load_demo
from ggzy.entities.models import Centre, Certificate, Entity, TrustAnchor, User
from ggzy.projects.models import Lot, Project
from tests.conftest import demo_parts

runner = CliRunner()


def test_demo_registers_centres_entities_with_both_suites_and_a_project(fresh_engine: Engine, tmp_path: Path) -> None:
    assert not has_data(fresh_engine)
    result = load_demo(fresh_engine, directory=tmp_path / "demo", **demo_parts(tmp_path))

    with Session(fresh_engine) as db:
        centres = {c.region_code: c for c in db.scalars(select(Centre))}
        assert set(centres) == {"530000", "530100", "530102"}
        assert centres["530102"].parent_id == centres["530100"].id
        assert centres["530100"].parent_id == centres["530000"].id
        assert db.scalar(select(func.count()).select_from(TrustAnchor)) == 2
        suites = set(db.scalars(select(Certificate.suite)))
        assert suites == {"gm", "intl"}
        # owner, agent, 5 bidders, 3 custodians, 7 experts' employers (the `expert` account's too), the guarantee
        # company (decision 0039), the 5 province experts' employers (decision 0041)
        assert db.scalar(select(func.count()).select_from(Entity)) == 23
        projects = {p.trade_type: p for p in db.scalars(select(Project))}
        # and the rights trades' land and property projects (decision 0051)
        assert set(projects) == {"construction", "gov_procurement", "land", "property"}
        project = projects["construction"]
        assert all(p.status == "accepted" for p in projects.values())
        assert validate_project_code(project.code).region_code == "530102"
        assert db.scalar(select(func.count()).select_from(Lot).where(Lot.project_id == project.id)) == 3
        assert db.scalar(select(func.count()).select_from(User).where(User.username == "staff")) == 1
        assert db.scalar(select(func.count()).select_from(Event)) > 10

    # The tender story: lot 1 opened with five bids (one by custodians), lot 2 failed and is open again; the
    # procurement's lot A is awarded from its report (no publicity, 政府采购法实施条例 第43条), lot B fails after its
    # evaluation with two responsive suppliers of three (政府采购法 第36条) and is procured again.
    lots = result.report["lots"]
    assert [(lot["procedure"], lot["round"], lot["stages"][-1]) for lot in lots] == [
        ("open", 1, "contracted"), ("open", 1, "failed"), ("open", 2, "published"),
        ("gp_open", 1, "contracted"), ("gp_open", 1, "failed"), ("gp_open", 2, "published"),
        ("consultation", 1, "contracted"), ("open", 1, "evaluating"),
    ]  # fmt: skip
    assert "publicity" in lots[0]["stages"]
    assert "publicity" not in lots[3]["stages"]
    assert "publicity" not in lots[3]["procedure_stages"]
    assert lots[4]["stages"][-2:] == ["evaluating", "failed"]
    assert {lot["law"] for lot in lots} == {"招标投标法", "政府采购法"}
    assert lots[0]["winner"] == "曲靖麒麟建筑有限公司"  # the lowest price (经评审的最低投标价法)
    assert lots[0]["award_price_fen"] == 1_742_315_000
    assert lots[0]["bids"] == 5
    assert lots[2]["round"] == 2
    with Session(fresh_engine) as db:
        from ggzy.tendering.models import DecryptedBid, Tender

        methods = sorted(db.scalars(select(DecryptedBid.method)))
        assert methods == ["bidder"] * 16 + ["custodians"]  # lot 1's five, three in each procurement lot and lot 3
        # 实施条例 第34条: a declared minority stake between two bidders is a warning, not a bar (the winner stands)
        from ggzy.tendering.models import Opening

        record = json.loads(db.scalars(select(Opening.record).where(Opening.tender_id == lots[0]["tender_id"])).one())
        assert record["related_bidders"] == []
        assert [w["ground"] for w in record["related_bidder_warnings"]] == ["minority_stake"]
        retender = db.get(Tender, lots[2]["tender_id"])
        assert retender is not None
        assert retender.bid_deadline > datetime.now(UTC)  # left open for bidding
        # the centre's rooms: lot 1's opening and evaluation booked, and the re-tender's opening room
        from ggzy.venues.models import VenueBooking

        booked = {(b.tender_id, b.purpose) for b in db.scalars(select(VenueBooking))}
        assert booked == {(lots[0]["tender_id"], "opening"), (lots[0]["tender_id"], "evaluation"),
                          (lots[2]["tender_id"], "opening")}  # fmt: skip

    # The supervision after the story (issue 13): a dishonest bidder intercepted at registration, a complaint
    # accepted and dismissed (its decision public), a random inspection drawn, replayed and published.
    oversight = result.report["oversight"]
    assert oversight["interception"]["intercepted_at"] == "registration"
    assert oversight["complaint"]["status"] == "dismissed"
    assert oversight["inspection"]["replayed"] is True
    assert oversight["site_record"]["tender_id"] == lots[0]["tender_id"]  # a phone used at its opening (0048)
    with Session(fresh_engine) as db:
        actions = set(db.scalars(select(Event.action).where(Event.action.like("c%") | Event.action.like("i%"))))
        assert {"credit.list_imported", "credit.intercepted", "complaint.accepted", "complaint.dismissed",
                "inspection.planned", "inspection.drawn", "inspection.published"} <= actions  # fmt: skip
        # the complaint investigated and heard before its decision (实施条例 第62条; decision 0047)
        heard = {"complaint.investigation_recorded", "complaint.hearing_scheduled", "complaint.hearing_recorded"}
        assert heard <= actions
        assert oversight["complaint"]["hearing_id"] is not None
        entity_codes = set(db.scalars(select(Entity.credit_code)))
        assert oversight["interception"]["credit_code"] not in entity_codes  # refused: never registered
        dismissed = db.scalar(select(Event).where(Event.action == "complaint.dismissed"))
        assert dismissed is not None
        assert dismissed.disclosed  # on the project page's table of decisions (portal.process)
        recorded = db.scalar(select(Event).where(Event.action == "site_record.recorded"))
        assert recorded is not None
        assert not recorded.disclosed  # kept out of the public ledger (decision 0048)

    # The keys it wrote log in (the files are what a person trying the demo uses).
    certificate = load_certificate((tmp_path / "demo" / "owner.pem").read_text())
    assert certificate.credit_code is not None
    assert (tmp_path / "demo" / "owner-key.pem").stat().st_mode & 0o077 == 0

    # A second run changes nothing.
    load_demo(fresh_engine, directory=tmp_path / "demo", **demo_parts(tmp_path))
    with Session(fresh_engine) as db:
        assert db.scalar(select(func.count()).select_from(Project)) == 4  # works, procurement, land, property


def test_cli_db_upgrade_and_demo_on_the_embedded_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ggzy.config import get_settings

    monkeypatch.setenv("GGZY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("GGZY_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        upgraded = runner.invoke(app, ["db", "upgrade"])
        assert upgraded.exit_code == 0, upgraded.output
        assert (tmp_path / "var" / "ggzy.db").exists()
        demo = runner.invoke(app, ["demo"])
        assert demo.exit_code == 0, demo.output
        assert "lot 1 awarded" in demo.output
    finally:
        get_settings.cache_clear()


def test_ca_commands_are_mounted(tmp_path: Path) -> None:
    ca_dir = tmp_path / "ca"
    init = runner.invoke(app, ["ca", "init", "--dir", str(ca_dir), "--suite", "gm", "--name", "测试CA"])
    assert init.exit_code == 0, init.output
    issued = runner.invoke(
        app,
        [
            "ca",
            "issue",
            "--dir",
            str(ca_dir),
            "--kind",
            "entity",
            "--name",
            "测试企业",
            "--credit-code",
            demo_credit_code("530100", "MA6K1A001"),
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert issued.exit_code == 0, issued.output
    written = sorted(path.name for path in (tmp_path / "out").glob("*.pem"))
    assert len(written) == 2, written  # the certificate and its key
    certificates = [load_certificate(p.read_text()) for p in (tmp_path / "out").glob("*.pem") if "key" not in p.name]
    assert certificates[0].credit_code == demo_credit_code("530100", "MA6K1A001")
    bad = runner.invoke(
        app,
        ["ca", "issue", "--dir", str(ca_dir), "--kind", "entity", "--name", "x", "--credit-code", "123"],
    )
    assert bad.exit_code != 0


def test_demo_json_reports_both_lots_with_their_stages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from ggzy.config import get_settings

    monkeypatch.setenv("GGZY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("GGZY_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["demo", "--json"])
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        assert report["ok"] is True
        assert [lot["stages"] for lot in report["lots"]] == [
            [
                "draft",
                "published",
                "closed",
                "opening",
                "opened",
                "evaluating",
                "evaluated",
                "publicity",
                "awarded",
                "contracted",
            ],
            ["draft", "published", "closed", "failed"],
            ["draft", "published"],
            ["draft", "published", "closed", "opening", "opened", "evaluating", "evaluated", "awarded", "contracted"],
            ["draft", "published", "closed", "opening", "opened", "evaluating", "failed"],
            ["draft", "published"],
            # 竞争性磋商: the quotation rounds run during the evaluation, then the supplier is determined
            ["draft", "published", "closed", "opening", "opened", "evaluating", "evaluated", "awarded", "contracted"],
            # lot 3: its committee (the README's `expert` account on it) is evaluating now
            ["draft", "published", "closed", "opening", "opened", "evaluating"],
        ]
        # every lot with its procedure and the stages its procedure declares
        assert [(lot["procedure"], lot["law"]) for lot in report["lots"]] == [("open", "招标投标法")] * 3 + [
            ("gp_open", "政府采购法")
        ] * 3 + [("consultation", "政府采购法"), ("open", "招标投标法")]
        assert "publicity" not in report["lots"][3]["procedure_stages"]
        # lot C: two rounds of quotations; the score, not the lowest final quotation, chose the supplier
        assert (report["lots"][6]["award_price_fen"], report["lots"][6]["bids"]) == (48_200_000, 3)
        assert report["events"] > 50
        verified = runner.invoke(app, ["ledger", "verify"])
        # no witness is configured here: the demo's ledger is whole, and verify says it could check no more than that
        assert verified.exit_code == 3, verified.output
        assert "ONLY SELF-CONSISTENT" in verified.output
    finally:
        get_settings.cache_clear()


def test_the_demo_story_runs_whatever_the_day_counting_every_period_on_the_holiday_calendar(
    fresh_engine: Engine, tmp_path: Path
) -> None:
    """Monday 7 December 2026: the story publishes on Sunday 8 November, whose 20th day is a Saturday, so its bid
    deadline is Monday 30 November (招标投标法 第24条, 民法典 第203条); its contract falls due in 2027, whose
    schedule is not published yet, so the demo, and only the demo, loads a placeholder that says so."""
    from ggzy.core.calendar_store import CalendarYear
    from ggzy.core.clock import CHINA_STANDARD_TIME, FixedClock
    from ggzy.tendering.models import Tender

    clock = FixedClock(datetime(2026, 12, 7, 2, 0, tzinfo=UTC))
    result = load_demo(fresh_engine, directory=tmp_path / "demo", clock=clock, **demo_parts(tmp_path))
    assert [lot["stages"][-1] for lot in result.report["lots"]] == ["contracted", "failed", "published"] * 2 + [
        "contracted",
        "evaluating",
    ]
    with Session(fresh_engine) as db:
        # the story's first tender (the rights trades' deposit rounds come before it, decision 0051)
        first = db.scalars(select(Tender).where(Tender.procedure != "rights").order_by(Tender.id)).first()
        assert first is not None
        assert first.bid_deadline.astimezone(CHINA_STANDARD_TIME).isoformat() == "2026-11-30T09:30:00+08:00"
        placeholder = db.get(CalendarYear, 2027)
        assert placeholder is not None
        assert placeholder.source is not None
        assert "演示数据" in placeholder.source
        assert "not the State Council's schedule" in placeholder.source
