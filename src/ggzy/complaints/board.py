"""What complaints tell the supervisor's live view (decision 0046), registered into it by the composition root
(``ggzy.wiring``): supervision and complaints are siblings (DESIGN §3), so neither imports the other.

For each round: how many complaints are undecided (lodged: acceptance pending; accepted: decision pending), and the
earliest statutory last day among them — acceptance within 3 working days of receipt, the decision within 30 working
days of acceptance (招标投标法实施条例 第61条; under 政府采购法 its 第56条), as ``acceptance_due`` and
``decision_due`` already hold them. Complainants are never named here.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from ggzy.complaints import rules
from ggzy.complaints.models import Complaint


def undecided_of(db: Session, tender_ids: Select[int]) -> dict[int, tuple[int, date | None]]:
    """{tender id: (undecided complaints, earliest last day to accept or decide one)}, in one query."""
    due = case((Complaint.status == rules.LODGED, Complaint.acceptance_due), else_=Complaint.decision_due)
    rows = db.execute(
        select(Complaint.tender_id, func.count(), func.min(due))
        .where(Complaint.tender_id.in_(tender_ids), Complaint.status.in_((rules.LODGED, rules.ACCEPTED)))
        .group_by(Complaint.tender_id)
    )
    return {tender_id: (count, earliest) for tender_id, count, earliest in rows}
