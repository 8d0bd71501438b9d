"""Who may do what in a prequalification: the endpoints' typed dependencies.

The owner or its agent runs it (tendering's ``check_manager``), the owner, its agent or the centre's staff host the
opening (``check_host``), the centre's staff draw the committee (as for a tender's committee), a member of the
committee reviews (checked in the service against the committee), and any market entity but the owner and its agent
applies or objects (``check_bidder_may_register``). The applications are read by the applicant alone until the
opening (the service's ``my_applications`` and ``applications_of``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ggzy.core.permissions import Permission, Principal, require

Manager = Annotated[Principal, Depends(require(Permission.TENDER_MANAGE))]
Host = Annotated[Principal, Depends(require(Permission.OPENING_HOST))]
Drawer = Annotated[Principal, Depends(require(Permission.COMMITTEE_DRAW))]
Reviewer = Annotated[Principal, Depends(require(Permission.EVALUATION_SIT))]
Applicant = Annotated[Principal, Depends(require(Permission.TENDER_REGISTER))]
Objector = Annotated[Principal, Depends(require(Permission.TENDER_OBJECT))]
Reader = Annotated[Principal, Depends(require(Permission.AUTHENTICATED))]
