"""The custodian's workspace (开标密钥保管): the shares of lots' opening keys its entity's custodians keep, and their
release after the bid deadline through the local assistant (decision 0029).

The page lists each share (``tendering.custody.own_shares``: the user's own entity's only) with its tender, lot code,
suite, deadline and status. After the deadline, the release button asks the assistant on the custodian's computer
(``static/js/assistant.js``, kind ``share-release``): the assistant fetches the tender and its published opening
keys itself, checks that the deadline has passed by its own clock and that the encrypted share the page gives is
the one the tender published for its certificate (by its SHA-256), shows the tender to the user and, once approved,
decrypts the share and signs ``opening.release_message``. The page puts the share and the signature into its own
form, which posts them here (``custody.release_own_share``: exactly the API's ``opening.release_share``).
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ggzy.core.errors import Conflict, DomainError, InvalidInput, NotFound
from ggzy.core.inputs import Ascii, Id
from ggzy.core.permissions import Permission, Principal, require
from ggzy.core.problems import problem_responses
from ggzy.core.web import DB, Now, public_api_url
from ggzy.crypto import SignatureInvalid
from ggzy.portal.csrf import CsrfChecked
from ggzy.portal.outcomes import N_, outcome
from ggzy.portal.rendering import PageRoute, render
from ggzy.portal.session import form_refused, see_other
from ggzy.tendering import custody, opening

router = APIRouter(tags=["portal (HTML pages)"], route_class=PageRoute, default_response_class=HTMLResponse)

LoggedIn = Annotated[Principal, Depends(require(Permission.AUTHENTICATED))]
Releaser = Annotated[Principal, Depends(require(Permission.CUSTODY_RELEASE))]

SHARE_RELEASED = outcome("share_released", N_("开标密钥份额已释放并记录在案。"))
PAGE = "/workspace/custody"


def _context(request: Request, db: Session, actor: Principal, now: datetime) -> dict[str, Any]:
    api = public_api_url(request, "/tenders")
    shares = custody.own_shares(db, actor)
    return {
        "active": "workspace",
        "section": "custody",
        "shares": [{"share": share, "status": share.status(now), "tender_url": f"{api}/{share.tender_id}"}
                   for share in shares],
        "assistant_url": request.app.state.settings.assistant_url,
        "encoded": _encoded,
    }  # fmt: skip


def _encoded(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _decoded(text: str, field: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(field=field, reason_zh="应为 Base64", reason_en="must be base64") from None


@router.get("/workspace/custody", summary="Custodian's page: the opening-key shares its entity keeps, and releases")
def custody_home(request: Request, db: DB, actor: LoggedIn, now: Now) -> HTMLResponse:
    return render(request, "ws_custody.html", _context(request, db, actor, now))


@router.post(
    "/workspace/custody/releases",
    summary="Release a share of an opening key, decrypted and signed by the custodian's assistant (after the deadline)",
    responses=problem_responses(
        custody.NotYourShare, NotFound, Conflict, opening.ShareReleaseTooEarly, SignatureInvalid, InvalidInput
    ),
)
def release(
    request: Request,
    actor: Releaser,
    _: CsrfChecked,
    db: DB,
    now: Now,
    tender_id: Annotated[Id, Form()],
    suite: Annotated[str, Form(pattern="^(gm|intl)$")],
    share_index: Annotated[int, Form(ge=1, le=255)],
    share: Annotated[Ascii, Form(max_length=200)],
    signature: Annotated[Ascii, Form(max_length=400)],
) -> Response:
    try:
        custody.release_own_share(
            db, actor, tender_id=tender_id, suite=suite, share_index=share_index,
            share=_decoded(share, "share"), signature=_decoded(signature, "signature"), now=now,
        )  # fmt: skip
    except DomainError as error:
        return form_refused(request, db, "ws_custody.html", lambda: _context(request, db, actor, now), error)
    return see_other(f"{PAGE}#share-{tender_id}-{suite}-{share_index}", done=SHARE_RELEASED)
