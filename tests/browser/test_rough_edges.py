"""The rough edges a user meets daily (issue 11, item 5), each where a person notices it: a 390-px phone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ggzy.core.db import unit_of_work
from ggzy.entities.models import User
from tests.browser.conftest import Site, check_fits_the_phone, log_in, screenshot


def _user_id(site: Site, username: str) -> int:
    with unit_of_work(site.factory, read_only=True) as db:
        user_id = db.scalar(select(User.id).where(User.username == username))
    assert user_id is not None, username
    return user_id


def _owner_username(site: Site, key: str) -> str:
    from ggzy.entities.models import Entity

    with unit_of_work(site.factory, read_only=True) as db:
        rows = db.execute(select(User.username, User.display_name, Entity.name).join(Entity, User.entity_id == Entity.id)).all()
    return str(rows)


def test_survey(phone: Any, site: Site) -> None:
    print(_owner_username(site, ""))
    with unit_of_work(site.factory, read_only=True) as db:
        from ggzy.tendering.models import Tender
        print(db.execute(select(Tender.id, Tender.title, Tender.procedure)).all())


WIDEST = """() => { const out = []; for (const e of document.querySelectorAll('body *')) { const r = e.getBoundingClientRect(); if (r.right > 392 || e.scrollWidth > e.clientWidth + 2 && e.clientWidth > 0 && r.right + e.scrollWidth - e.clientWidth > 392) out.push([e.tagName + '.' + e.className + '#' + e.id, Math.round(r.right), e.scrollWidth, e.clientWidth, (e.innerText||'').slice(0,40)]); } return out.slice(0, 8); }"""


def test_survey_widths(phone: Any, site: Site) -> None:
    owner = _user_id_of_entity(site, "昆明市第一中学")
    agent = _user_id_of_entity(site, "云南建诚招标代理有限公司")
    bidder = _user_id_of_entity(site, "云南滇建工程有限公司")
    plan = {
        None: ["/", "/notices", "/notices?q=教学", "/openings", "/openings/1", "/openings/2", "/statistics", "/projects/1", "/projects/2", "/notices/sole-supplier", "/login", "/projects/9999", "/workspace"],
        owner: ["/workspace", "/workspace/projects"] + [f"/workspace/projects/tenders/{n}" for n in range(1, 8)],
        agent: ["/workspace/projects", "/workspace/negotiations/5", "/workspace/openings/6"],
        bidder: ["/workspace/bidder"] + [f"/workspace/bidder/tenders/{n}" for n in (1, 6, 7)],
        _user_id(site, "staff"): ["/workspace", "/workspace/centre", "/workspace/violations", "/workspace/openings/1"],
        _user_id(site, "expert"): ["/workspace/expert"],
        _user_id(site, "expert-1"): ["/workspace/expert", "/workspace/expert/tenders/1"],
    }
    for user, paths in plan.items():
        if user is None:
            phone.context.clear_cookies()
        else:
            log_in(phone, site, user)
        for path in paths:
            phone.goto(site.url + path)
            width = phone.evaluate("document.documentElement.scrollWidth")
            screenshot(phone, "survey" + path.replace("/", "-").replace("?", "_"))
            print(user, path, width, phone.evaluate(WIDEST) if width > 390 else "")


def _user_id_of_entity(site: Site, name: str) -> int:
    with unit_of_work(site.factory, read_only=True) as db:
        return db.scalar(select(User.id).where(User.display_name == name))
