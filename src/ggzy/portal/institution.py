"""The financial institution's workspace (decision 0035): its own guarantees — bidder, tender, amount in 元, validity
and status, in Beijing time — and the letters of award offered to it for loans (中标贷). The same services as the
API, with the same permission: an institution sees only what concerns its own guarantees."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from ggzy.core.permissions import Permission, Principal, require
from ggzy.core.web import DB
from ggzy.entities.service import entity_names
from ggzy.finance import guarantees
from ggzy.portal.rendering import PageRoute, render
from ggzy.tendering import service as tendering

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)

InstitutionUser = Annotated[Principal, Depends(require(Permission.GUARANTEE_ISSUE))]


@router.get("/workspace/institution", summary="Financial institution workspace: its guarantees and loan offers")
def institution_home(request: Request, db: DB, actor: InstitutionUser) -> HTMLResponse:
    rows = guarantees.guarantees_of_institution(db, actor)
    offers = guarantees.offers_to_institution(db, actor)
    tender_ids = {row.tender_id for row in rows} | {offer.tender_id for offer in offers}
    titles = {tender_id: tendering.get_tender(db, tender_id).title for tender_id in tender_ids}
    names = entity_names(db, [row.applicant_entity_id for row in rows] + [offer.entity_id for offer in offers])
    return render(
        request,
        "ws_institution.html",
        {"active": "workspace", "section": "institution", "guarantees": rows, "offers": offers, "titles": titles,
         "names": names},
    )  # fmt: skip
