"""Builders of public notices for the portal's tests, through the same services as the API."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ggzy.core.permissions import Permission
from ggzy.projects import service as projects
from ggzy.projects.schemas import LotIn, ProjectIn
from ggzy.tendering import service as tendering
from ggzy.tendering.models import Tender
from ggzy.tendering.procedures import Method
from tests.conftest import TEST_NOW
from tests.factories import make_accepted_project, principal

_names = itertools.count(1)


class NoticeMaker:
    """Publishes notices of new projects of one centre, owner and agent (made once by ``make_accepted_project``)."""

    def __init__(self, db: Session) -> None:
        self.db = db
        self.setup = make_accepted_project(db)

    def project(self, *, trade_type: str = "construction", region_code: str = "530102", lots: int = 1) -> list[int]:
        setup = self.setup
        project = projects.register_project(
            self.db,
            principal(self.db, setup["agent_user"], Permission.PROJECT_REGISTER),
            data=ProjectIn(
                centre_id=setup["centres"]["city"].id,
                name=f"门户测试项目{next(_names)}",
                trade_type=trade_type,
                region_code=region_code,
                owner_id=setup["owner"].id,
                agent_id=setup["agent"].id,
                lots=[LotIn(name=f"第{n}标段", budget="1000000.00") for n in range(1, lots + 1)],
            ),
            now=TEST_NOW,
        )
        projects.accept_registration(
            self.db, principal(self.db, setup["staff"], Permission.PROJECT_REVIEW), project_id=project.id, now=TEST_NOW
        )
        return [lot.id for lot in projects.lots_of(self.db, [project.id])[project.id]]

    def notice(
        self,
        *,
        title: str = "测试工程施工招标",
        notice_text: str = "招标公告正文",
        trade_type: str = "construction",
        region_code: str = "530102",
        published_at: datetime = TEST_NOW,
        lot_id: int | None = None,
        publish: bool = True,
    ) -> Tender:
        lot_id = lot_id or self.project(trade_type=trade_type, region_code=region_code)[0]
        agent = principal(self.db, self.setup["agent_user"], Permission.TENDER_MANAGE)
        tender = tendering.create_tender(
            self.db,
            agent,
            lot_id=lot_id,
            procedure_key="gp_open" if trade_type == "gov_procurement" else "open",
            method=Method.SCORING,
            title=title,
            notice_text=notice_text,
            documents_until=published_at + timedelta(days=10),
            bid_deadline=published_at + timedelta(days=25),
            invited_entity_ids=[],
            now=published_at,
        )
        tendering.attach_documents(
            self.db, agent, tender_id=tender.id, sha256="a" * 64, name="招标文件.pdf", size=10, now=published_at
        )
        if publish:
            tendering.publish_tender(self.db, agent, tender_id=tender.id, now=published_at)
        return tender
