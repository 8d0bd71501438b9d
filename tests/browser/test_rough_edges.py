"""The rough edges a user meets daily (issue 11, item 5), each where a person notices it: on a 390-px phone."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import func, select

from ggzy.core.db import unit_of_work
from ggzy.entities.models import User
from ggzy.venues.models import Venue
from tests.browser.conftest import Site, check_fits_the_phone, log_in, screenshot

OWNER, AGENT, FIRST_BIDDER = "昆明市第一中学", "云南建诚招标代理有限公司", "云南滇建工程有限公司"
LOT3 = "施工三标段（运动场及室外管网）"


def _user(site: Site, *, username: str | None = None, display_name: str | None = None) -> int:
    with unit_of_work(site.factory, read_only=True) as db:
        column, value = (User.username, username) if username else (User.display_name, display_name)
        user_id = db.scalar(select(User.id).where(column == value))
    assert user_id is not None, (username, display_name)
    return user_id


def _tender_id(site: Site, index: int) -> int:
    return int(site.demo["lots"][index]["tender_id"])


# -- nothing wider than the phone ----------------------------------------------------------------------------------

PUBLIC_PAGES = ("/", "/notices", "/notices?q=教学楼", "/notices/sole-supplier", "/openings", "/openings/1",
                "/openings/2", "/statistics", "/projects/1", "/projects/2", "/login", "/projects/99999")  # fmt: skip


def test_every_public_page_fits_the_phone(phone: Any, site: Site) -> None:
    for path in PUBLIC_PAGES:
        phone.goto(site.url + path)
        check_fits_the_phone(phone, "edges" + re.sub(r"[/?=]", "-", path))


def test_every_workspace_page_fits_the_phone(phone: Any, site: Site) -> None:
    tenders = [_tender_id(site, index) for index in range(len(site.demo["lots"]))]
    plan = {
        _user(site, display_name=OWNER): ["/workspace", "/workspace/projects"],
        _user(site, display_name=AGENT): ["/workspace/projects", "/workspace/negotiations/5"]
        + [f"/workspace/openings/{tender}" for tender in (1, 6)],
        _user(site, display_name=FIRST_BIDDER): ["/workspace/bidder", "/workspace/objections"]
        + [f"/workspace/bidder/tenders/{tender}" for tender in (1, 6, 7)]
        + [f"/workspace/objections/tenders/{tender}" for tender in (1, 3)],
        _user(site, username="staff"): ["/workspace", "/workspace/centre", "/workspace/violations"]
        + [f"/workspace/committee/tenders/{tender}" for tender in (1, 6)],
        _user(site, username="expert"): ["/workspace/expert", "/workspace/expert/tenders/6"],
        _user(site, username="supervisor"): ["/workspace", "/workspace/complaints"],
    }
    for user, paths in plan.items():
        log_in(phone, site, user)
        for path in paths:
            phone.goto(site.url + path)
            check_fits_the_phone(phone, "edges" + path.replace("/", "-"))
    # every tender of the demo as its owner manages it: its records are tables, never raw JSON
    log_in(phone, site, _user(site, display_name=OWNER))
    for tender in tenders:
        phone.goto(f"{site.url}/workspace/projects/tenders/{tender}")
        check_fits_the_phone(phone, f"edges-owner-tender-{tender}")


def test_the_notice_table_reads_as_cards_on_a_phone_never_a_character_a_line(phone: Any, site: Site) -> None:
    phone.goto(f"{site.url}/notices")
    first_row = phone.locator("table.notice-table tbody tr").first
    region = first_row.locator('td[data-label="地区"]')
    expect(region).to_contain_text("昆明市五华区")  # a name, never "云南省 530102"
    trade = first_row.locator('td[data-label="交易类型"]')
    box = trade.bounding_box()
    assert box is not None
    assert box["width"] > 200, box  # a row of its own, not a column one character wide
    line = float(trade.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
    assert box["height"] < 2 * line, "the trade type wraps"
    assert not re.search(r"省 ?\d{6}", phone.locator("table.notice-table").inner_text())  # no "云南省 530102"
    screenshot(phone, "edges-notices-cards")


# -- names instead of ids -------------------------------------------------------------------------------------------


def test_the_header_names_who_is_logged_in(phone: Any, site: Site) -> None:
    log_in(phone, site, _user(site, display_name=FIRST_BIDDER))
    phone.goto(f"{site.url}/workspace")
    expect(phone.locator(".account .who")).to_have_text(FIRST_BIDDER)
    expect(phone.locator("body")).not_to_contain_text("entity-")
    expect(phone.locator(".account-name")).to_have_text(FIRST_BIDDER)
    log_in(phone, site, _user(site, username="staff"))
    phone.goto(f"{site.url}/")
    expect(phone.locator(".account .who")).to_have_text("昆明中心工作人员")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "edges-header-name")


def test_the_registration_form_offers_centres_and_regions_by_name(phone: Any, site: Site) -> None:
    log_in(phone, site, _user(site, display_name=AGENT))
    phone.goto(f"{site.url}/workspace/projects")
    centres = phone.locator("#centre_id option").all_inner_texts()
    assert centres
    assert all(not text.strip().isdigit() for text in centres), centres
    assert "昆明市公共资源交易中心" in centres
    region = phone.locator("select#region_code")
    expect(region).to_be_visible()  # a select, not a box for a six-digit code
    regions = region.locator("option").all_inner_texts()
    assert "昆明市" in regions, regions
    assert "昆明市五华区" in regions, regions
    assert not any(re.fullmatch(r"\d{6}", text.strip()) for text in regions)
    region.select_option(label="昆明市五华区")
    assert region.input_value() == "530102"  # what the form sends is still the code
    check_fits_the_phone(phone, "edges-registration-form")


# -- checkboxes beside their labels ---------------------------------------------------------------------------------


def test_a_checkbox_sits_beside_its_label(phone: Any, site: Site) -> None:
    log_in(phone, site, _user(site, display_name=AGENT))
    phone.goto(f"{site.url}/workspace/projects/tenders/{_tender_id(site, 2)}")  # lot 2's new round, open
    boxes = phone.locator('label > input[type="checkbox"]')
    assert boxes.count() >= 1  # 终止 "I confirm", and 澄清 "affects the bids" while the clock is before the deadline
    for box in boxes.all():
        label = box.locator("xpath=..")
        mine, theirs = box.bounding_box(), label.bounding_box()
        assert mine is not None
        assert theirs is not None
        assert mine["width"] < 30, mine  # a box, not a full-width field
        assert abs(mine["x"] - theirs["x"]) < 2  # at the start of its label's line
        line = float(label.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
        assert mine["y"] - theirs["y"] < line, "the box sits on its label's first line"
        words = label.evaluate(
            "e => { const r = document.createRange(); r.selectNodeContents(e); const t = [...r.getClientRects()]"
            ".filter(x => x.width > 30); return t.length ? t[0].left : null }"
        )
        assert words is not None
        assert words > mine["x"] + mine["width"] - 1
    phone.locator('input[name="confirmed"]').scroll_into_view_if_needed()
    screenshot(phone, "edges-checkbox-label")


# -- asking before an irreversible step, and saying what was done ---------------------------------------------------


def _venues(site: Site) -> tuple[int, int]:
    with unit_of_work(site.factory, read_only=True) as db:
        total = db.scalar(select(func.count()).select_from(Venue)) or 0
        active = db.scalar(select(func.count()).select_from(Venue).where(Venue.active.is_(True))) or 0
    return total, active


def test_retiring_a_room_asks_first_and_the_page_says_what_was_done(phone: Any, site: Site) -> None:
    log_in(phone, site, _user(site, username="staff"))
    phone.goto(f"{site.url}/workspace/centre")
    phone.locator("#room-name").fill("临时开标室（测试）")
    phone.get_by_role("button", name="登记", exact=True).click()
    expect(phone.locator("p.flash-done")).to_have_text("场地已登记。")
    assert "done=" not in phone.url  # the outcome rode in a one-time cookie, not in the address
    phone.reload()
    expect(phone.locator("p.flash-done")).to_have_count(0)  # shown once
    card = phone.locator("article.card", has=phone.locator("h3", has_text="临时开标室（测试）"))
    before = _venues(site)

    questions: list[str] = []

    def dismiss(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    phone.once("dialog", dismiss)
    card.get_by_role("button", name="停用场地").click()
    phone.wait_for_timeout(300)
    assert questions
    assert "临时开标室（测试）" in questions[0]
    assert "不可撤销" in questions[0]
    assert _venues(site) == before  # "Cancel": nothing sent, the room still in use
    expect(card).to_be_visible()

    phone.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="停用场地").click()
    expect(phone.locator("p.flash-done")).to_have_text("场地已停用，不能再预约；已有记录保留。")
    assert _venues(site) == (before[0], before[1] - 1)
    check_fits_the_phone(phone, "edges-room-retired")


def test_the_hosts_irreversible_steps_ask_first(phone: Any, site: Site) -> None:
    """The opening's forms carry their question; the question names what cannot be undone."""
    log_in(phone, site, _user(site, username="staff"))
    phone.goto(f"{site.url}/workspace/centre")
    for form in phone.locator("form[action$='/accept'], form[action$='/return'], form[action$='/retire']").all():
        assert "不可撤销" in (form.get_attribute("data-confirm") or "")


# -- the error page ---------------------------------------------------------------------------------------------------


def test_an_error_page_speaks_chinese_first_with_the_code_small(phone: Any, site: Site) -> None:
    response = phone.goto(f"{site.url}/projects/99999")
    assert response is not None
    assert response.status == 404
    title = phone.locator("#problem-title")
    expect(title).to_have_text(re.compile(r"^[\u4e00-\u9fff，、]+$"))  # a Chinese sentence: 未找到公开的项目
    main = phone.locator("main").inner_text()
    assert not re.search(r"[A-Za-z]{4,} (?:not|does|was)", main), main  # no English sentence
    code = phone.locator(".problem-meta")
    expect(code).to_contain_text("not_found")
    title_size = float(title.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    code_size = float(code.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    assert code_size < title_size * 0.7
    above = title.bounding_box()
    below = code.bounding_box()
    assert above is not None
    assert below is not None
    assert below["y"] > above["y"]
    check_fits_the_phone(phone, "edges-error-page")


# -- search and filters -----------------------------------------------------------------------------------------------


def _search(phone: Any, site: Site, text: str) -> list[str]:
    phone.goto(f"{site.url}/notices")
    phone.locator("#q").fill(text)
    phone.get_by_role("button", name="搜索").click()
    phone.wait_for_load_state()
    return phone.locator("table.notice-table td.title-cell a").all_inner_texts()


def test_search_finds_notices_by_project_code_agent_and_public_bidder(phone: Any, site: Site) -> None:
    code = site.demo["project_code"]
    found = _search(phone, site, code)
    assert found
    assert all("教学楼改扩建工程" in title for title in found), found
    assert any("施工一标段" in title for title in found)
    assert len(_search(phone, site, "建诚招标代理")) >= 8  # the agent of every demo notice
    winner = site.demo["lots"][0]["winner"]
    by_bidder = _search(phone, site, winner)
    assert any("施工一标段（教学楼主体）" in title for title in by_bidder), by_bidder
    # lot 2's re-tender is open for bidding: nobody's bid there is told (招标投标法 第22条)
    assert not any("重新招标" in title for title in by_bidder), by_bidder
    check_fits_the_phone(phone, "edges-search-by-bidder")


def test_notice_type_and_region_filters_by_name(phone: Any, site: Site) -> None:
    phone.goto(f"{site.url}/notices")
    phone.locator("#kind").select_option(label="中标（成交）结果公告")
    phone.locator("#region").select_option(label="昆明市")
    phone.get_by_role("button", name="搜索").click()
    phone.wait_for_load_state()
    results = phone.locator("table.notice-table td.title-cell a").all_inner_texts()
    # the demo's lots with a result, all titled 昆明市…; other browser tests may add tenders to the shared site
    awarded = [lot for lot in site.demo["lots"] if lot["stages"][-1] == "contracted"]
    assert len([title for title in results if title.startswith("昆明市")]) == len(awarded), results
    assert not any("重新招标" in title for title in results)
    expect(phone.locator("#kind")).to_have_value("result")
    regions = phone.locator("#region option").all_inner_texts()
    assert "云南省" in regions
    assert "昆明市五华区" in regions
    assert not any(re.search(r"\d{6}", text) for text in regions)
    check_fits_the_phone(phone, "edges-notice-filters")


# -- statistics, the opening hall ------------------------------------------------------------------------------------


LEGEND_AND_LABELS = """() => {
  const chart = echarts.getInstanceByDom(document.querySelector('#chart-month'));
  const model = chart.getModel();
  const legend = chart.getViewOfComponentModel(model.getComponent('legend')).group.getBoundingRect();
  const legendTop = model.getComponent('legend').getBoxLayoutParams().top;
  const plot = model.getComponent('grid').coordinateSystem.getRect();
  const axis = chart.getViewOfComponentModel(model.getComponent('xAxis'));
  let labelTop = Infinity;
  axis.group.traverse((element) => {
    if (element.type === 'text' && element.style && element.style.text) {
      const box = element.getBoundingRect().clone();
      box.applyTransform(element.getComputedTransform());
      labelTop = Math.min(labelTop, box.y);
    }
  });
  return [Number(legendTop) + legend.height, plot.y, plot.y + plot.height, labelTop];
}"""


def test_statistics_are_in_wan_yuan_and_the_legend_keeps_clear_of_the_months(phone: Any, site: Site) -> None:
    phone.goto(f"{site.url}/statistics")
    total = phone.locator("#total").locator("xpath=..").inner_text()
    assert "万元" in total
    assert not re.search(r"\d 元", total)
    phone.wait_for_function("() => document.querySelector('#chart-month canvas') !== null")
    # the legend's box ends above the plot; the month labels hang below the plot: they cannot meet
    legend_bottom, plot_top, plot_bottom, label_top = phone.evaluate(LEGEND_AND_LABELS)
    assert legend_bottom <= plot_top, (legend_bottom, plot_top)
    assert plot_bottom - 1 <= label_top < plot_bottom + 200, (label_top, plot_bottom)  # found, and below the plot
    legend = phone.evaluate("echarts.getInstanceByDom(document.querySelector('#chart-month')).getOption().legend[0]")
    assert "成交金额（万元）" in legend["data"]
    kept = screenshot(phone, "edges-statistics-page").parent / "edges-statistics-chart.png"
    phone.locator("#chart-month").screenshot(path=str(kept))
    check_fits_the_phone(phone, "edges-statistics")


def test_the_opening_hall_replays_only_openings_that_took_place(phone: Any, site: Site) -> None:
    phone.goto(f"{site.url}/openings")
    replayed = phone.locator("section[aria-labelledby='recent']")
    failed_lot = site.demo["lots"][1]
    assert failed_lot["stages"][-1] == "failed"  # lot 2: two bids, never opened (实施条例 第44条)
    expect(replayed.locator(f"a[href='/openings/{failed_lot['tender_id']}']")).to_have_count(0)
    expect(replayed.locator(f"a[href='/openings/{_tender_id(site, 0)}']")).to_have_count(1)
    unopened = phone.locator("section[aria-labelledby='unopened']")
    expect(unopened.locator(f"a[href='/openings/{failed_lot['tender_id']}']")).to_have_count(1)
    check_fits_the_phone(phone, "edges-openings")


# -- the README's expert ---------------------------------------------------------------------------------------------


def test_the_readmes_expert_sits_on_a_committee_evaluating_now(phone: Any, site: Site) -> None:
    evaluating = site.demo["lots"][-1]
    assert evaluating["stages"][-1] == "evaluating"
    log_in(phone, site, _user(site, username="expert"))
    phone.goto(f"{site.url}/workspace/expert")
    link = phone.get_by_role("link", name=re.compile(LOT3))
    expect(link.first).to_be_visible()
    link.first.click()
    expect(phone.locator("h1")).to_contain_text(LOT3)
    assert phone.url.endswith(f"/workspace/expert/tenders/{evaluating['tender_id']}")
    screenshot(phone, "edges-expert-committee")
