"""What each document says, gathered through the other domains' services, views and access functions.

Each builder checks who may read the document by the same rule as the data it shows, and raises what that rule
raises: the receipt is its bidder's (``bids.my_bids``); the opening record is anyone's once the record is read out
(``opening.opening_view``); the evaluation report is for the owner, its agent and the centre
(``evaluation.access.reads_report``, 实施条例 第53条 as the API applies it); the publicity is public while it exists
(``awards.views.award_stage_view``); a letter is its addressee's, the owner's and the agent's
(``awards.views.letter_view``); the 交易见证书 is for whoever may read the project — its owner and agent, the
centre, supervisors and inspectors of its region (``projects.access.visible_project_ids``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.auctions.confirmation import confirmation_view as auction_confirmation_view
from ggzy.awards import service as awards
from ggzy.awards import views as award_views
from ggzy.core.errors import DomainError, NotFound
from ggzy.core.events import Event
from ggzy.core.money import format_yuan, format_yuan_uppercase
from ggzy.core.permissions import Principal, Role
from ggzy.documents.layout import Document, LedgerLine, Section, Table, beijing
from ggzy.entities.service import entity_names, get_entity
from ggzy.evaluation import access as evaluation_access
from ggzy.evaluation import service as evaluation
from ggzy.ledger import service as ledger
from ggzy.ledger.keys import LedgerKeys
from ggzy.projects.access import visible_project_ids
from ggzy.tendering import bids, opening
from ggzy.tendering import service as tendering
from ggzy.tendering.procedures import procedure

if TYPE_CHECKING:  # the tender the tendering service hands over; its table is never read here
    from ggzy.tendering.models import Tender


class DocumentNotReady(DomainError):
    code = "document_not_ready"
    status = 409
    message_zh = "{what_zh}尚未产生"
    message_en = "The {what_en} does not exist yet"


class NotYourDocument(DomainError):
    code = "document_not_yours"
    status = 403
    message_zh = "无权查看该文件：{reason_zh}"
    message_en = "You may not read this document: {reason_en}"


BID_STATUS = {
    "active": "有效（以此为准）",
    "replaced": "已被后一份投标文件替换",
    "withdrawn": "已撤回",
    "revoked": "开标时未解密，视为撤销",
    "withdrawn_unopened": "开标时未解密，非投标人原因，退回",
}
METHOD = {"lowest_price": "经评审的最低投标价法", "scoring": "综合评估法"}

# The stages of the 交易见证书: each recorded action, in words.
STAGES = {
    "project.registered": "项目登记",
    "project.accepted": "项目登记受理",
    "project.returned": "项目登记退回",
    "tender.created": "招标项目创建",
    "tender.documents_attached": "招标文件上传",
    "tender.sole_supplier_publicised": "单一来源公示",
    "tender.published": "招标公告发布",
    "tender.clarified": "招标文件澄清或修改",
    "tender.objection_raised": "对招标文件的异议",
    "tender.objection_answered": "招标文件异议答复",
    "tender.cancelled": "招标终止",
    "tender.failed": "流标",
    "opening.started": "开标开始",
    "opening.recorded": "开标记录",
    "opening.share_released": "开标密钥份额释放",
    "bid.decrypted": "投标文件解密",
    "bid.opened_by_custodians": "投标文件由密钥保管人开启",
    "quotation.round_called": "发起报价轮次",
    "quotation.opened": "报价开启",
    "negotiation.change_notified": "谈判变更通知",
    "tender.sole_supplier_objection_raised": "单一来源公示异议",
    "tender.sole_supplier_objection_answered": "单一来源公示异议答复",
    "evaluation.qualification_marked": "资格审查",
    "evaluation.score_sheet_submitted": "评分表提交",
    "opening.objection_raised": "开标异议",
    "opening.objection_answered": "开标异议答复",
    "committee.drawn": "评标专家抽取",
    "evaluation.started": "评标开始",
    "evaluation.bid_rejected": "否决投标",
    "evaluation.finalised": "评标报告",
    "award.publicity_published": "中标候选人公示",
    "award.publicity_republished": "中标候选人重新公示",
    "award.objection_raised": "公示异议",
    "award.objection_answered": "公示异议答复",
    "award.awarded": "确定中标人并发出中标通知书",
    "award.contract_recorded": "合同备案",
    "award.result_challenged": "质疑",
    "award.process_challenged": "对采购过程的质疑",
    "award.result_challenge_answered": "质疑答复",
    "complaint.tender_suspended": "投诉处理期间暂停",
    "complaint.suspension_lifted": "恢复",
    "venue.opening_booked": "开标场地预约",
}
# Stages the public ledger withholds (招标投标法 第37条, 第38条: the committee and the evaluation are closed) that the
# certificate's readers — owner, agent, centre, supervisors — may know happened, and when: it prints no payload.
CLOSED_STAGES = frozenset({"committee.drawn", "evaluation.started", "evaluation.finalised", "opening.recorded"})
# A round's stage in words (the portal's labels are a layer above: ggzy.portal.labels.STAGES says the same).
TENDER_STAGES = {
    "draft": "草稿", "published": "公告中", "closed": "已截标", "opening": "开标中", "opened": "已开标",
    "failed": "流标", "evaluating": "评标中", "evaluated": "评标结束", "publicity": "候选人公示",
    "awarded": "已定标", "contracted": "已签合同", "cancelled": "已终止",
}  # fmt: skip
ROLES = {
    Role.PLATFORM_ADMIN.value: "平台管理员",
    Role.CENTRE_STAFF.value: "交易中心",
    Role.OWNER.value: "招标人",
    Role.AGENT.value: "招标代理机构",
    Role.BIDDER.value: "投标人",
    Role.EXPERT.value: "评标专家",
    Role.SUPERVISOR.value: "行政监督部门",
    "system": "平台",
}


# Who the witness certificate names: those who act in public for the tender. A bidder, an objector or a complainant
# is shown by its role only: who takes part stays secret before the opening (招标投标法 第22条), and the public
# ledger drops the actor's entity for the same reason.
NAMED_ROLES = frozenset(
    {Role.PLATFORM_ADMIN.value, Role.CENTRE_STAFF.value, Role.OWNER.value, Role.AGENT.value, Role.SUPERVISOR.value}
)


def yuan(fen: int | None) -> str:
    return "—" if fen is None else f"{format_yuan(fen)} 元"


def yuan_in_words(fen: int | None) -> str:
    """``1,000,000.00 元（人民币壹佰万元整）``: the amount as figures and in capitals, as a letter states it."""
    return "—" if fen is None else f"{format_yuan(fen)} 元（人民币{format_yuan_uppercase(fen)}）"


# --- the ledger -----------------------------------------------------------------------------------------------------


def _checkpoint_head(note: str | None) -> tuple[int | None, str | None]:
    """The tree size and root hash of a checkpoint note (tlog-checkpoint: origin, size, root)."""
    if not note:
        return None, None
    lines = note.split("\n")
    return int(lines[1]), lines[2]


def ledger_of(db: Session, events: list[tuple[str, Event]]) -> tuple[list[LedgerLine], list[dict[str, Any]]]:
    """Each event's place in the ledger, printed and as the ledger's receipt (entry, inclusion proof, checkpoint)."""
    lines, proofs = [], []
    for what, event in events:
        try:
            receipt = ledger.event_receipt(db, event_id=event.id)
        except NotFound:  # recorded in this very transaction: numbered when it commits
            receipt = {"event_id": event.id, "index": None}
        size, root = _checkpoint_head(receipt.get("checkpoint"))
        lines.append(
            LedgerLine(what, event.id, event.occurred_at, receipt.get("index"), receipt.get("leaf_hash"), size, root)
        )
        proofs.append({"what": what, **receipt})
    return lines, proofs


def _events(db: Session, subjects: list[tuple[str, int]], *, actions: set[str] | None = None) -> list[Event]:
    query = select(Event).where(
        Event.subject_type.in_([kind for kind, _ in subjects]),
        Event.subject_id.in_([str(key) for _, key in subjects]),
    )
    if actions is not None:
        query = query.where(Event.action.in_(actions))
    wanted = {(kind, str(key)) for kind, key in subjects}
    return [event for event in db.scalars(query.order_by(Event.id)) if (event.subject_type, event.subject_id) in wanted]


def _latest(db: Session, tender_id: int, *actions: str) -> list[tuple[str, Event]]:
    found = _events(db, [("tender", tender_id)], actions=set(actions))
    return [(STAGES.get(found[-1].action, found[-1].action), found[-1])] if found else []


def _published(db: Session, tender_id: int) -> Tender:
    tender = tendering.get_tender(db, tender_id)
    if tender.published_at is None:
        raise NotFound(field="tender_id", what_zh="招标项目", what_en="Tender")
    return tender


def _heading_facts(db: Session, tender: Tender) -> tuple[list[tuple[str, str]], str]:
    project, lot = tendering.project_of(db, tender)
    code = bids.lot_code(project, lot)
    owner = get_entity(db, project.owner_id).name
    facts = [
        ("项目名称", project.name),
        ("招标项目", tender.title),
        ("标段", f"{lot.name}（{code}）"),
        ("招标人", owner),
    ]
    if project.agent_id is not None:
        facts.append(("招标代理机构", get_entity(db, project.agent_id).name))
    facts.append(("交易方式", procedure(tender.procedure).name_zh))
    return facts, code


# --- the documents --------------------------------------------------------------------------------------------------


def bid_receipt(db: Session, actor: Principal, *, tender_id: int, bid_id: str, ledger_keys: LedgerKeys) -> Document:
    """投标文件递交回执: the bidder's own envelope, when it arrived, what ciphertext, under which event."""
    tender = _published(db, tender_id)
    bid = next((mine for mine in bids.my_bids(db, actor, tender.id) if mine.public_id == bid_id), None)
    if bid is None:  # another's bid is not found, not refused: its existence is nobody's business (第22条)
        raise NotFound(field="bid_id", what_zh="投标文件", what_en="Bid")
    submitted = [
        event
        for event in _events(db, [("tender", tender.id)], actions={"bid.submitted", "quotation.submitted"})
        if event.actor_entity_id == bid.entity_id and json.loads(event.payload).get("bid_id") in (bid.public_id, bid.id)
    ]
    if not submitted:
        raise DocumentNotReady(what_zh="该投标文件的递交记录", what_en="record of this bid's submission")
    event = submitted[-1]
    receipt = bids.signed_receipt(
        bid_id=bid.public_id, tender_id=tender.id, received_at=bid.submitted_at,
        ciphertext_sha256=bid.ciphertext_sha256, ciphertext_size=bid.ciphertext_size, event=event,
        signer=ledger_keys.ed25519_key,
    )  # fmt: skip
    facts, code = _heading_facts(db, tender)
    bidder = get_entity(db, bid.entity_id)
    lines, proofs = ledger_of(db, [("投标文件递交", event)])
    return Document(
        kind=f"receipt-{bid.public_id}",
        title="投标文件递交回执",
        subtitle=f"标段编号 {code}",
        sections=[
            Section(facts=facts),
            Section(
                heading="递交情况",
                facts=[
                    ("投标人", f"{bidder.name}（统一社会信用代码 {bidder.credit_code}）"),
                    ("递交时间", beijing(bid.submitted_at)),
                    ("投标截止时间", beijing(tender.bid_deadline)),
                    ("投标文件编号", bid.public_id),
                    ("密文 SHA-256", bid.ciphertext_sha256),
                    ("密文大小", f"{bid.ciphertext_size:,} 字节"),
                    ("状态", BID_STATUS.get(bid.status, bid.status)),
                ],
                paragraphs=[
                    "平台已收到上述加密投标文件。投标文件在开标前以密文保存，平台与任何人均无法解密；"
                    "开标时由投标人远程解密。",
                    f"平台回执签名（Ed25519，账本密钥）：{receipt.signature}",
                ],
            ),
        ],
        ledger=lines,
        proofs=proofs,
        data={**receipt.document(), "signature": receipt.signature, "bidder": bidder.name, "lot_code": code},
        reason="投标文件递交回执",
    )


def _summary_text(summary: dict[str, Any], labels: dict[str, str]) -> list[str]:
    """The price in 元, and the other items of the summary by the labels the tender declared (开标一览表)."""
    price = summary.get("price_fen")
    cells = [yuan(price) if isinstance(price, int) and not isinstance(price, bool) else "—"]
    others = [f"{labels.get(key, key)}：{value}" for key, value in summary.items() if key != "price_fen"]
    return [*cells, "；".join(others)]


def opening_record(db: Session, *, tender_id: int, now: datetime) -> Document:
    """开标记录: the record read out at the opening, public once it exists (what ``GET …/opening`` shows)."""
    tender = _published(db, tender_id)
    view = opening.opening_view(db, tender, now)
    record = view.get("record")
    if not record:
        raise DocumentNotReady(what_zh="开标记录", what_en="opening record")
    facts, code = _heading_facts(db, tender)
    labels = {field.key: field.label_zh for field in tendering.summary_fields_of(tender)}
    rows = [
        [str(n), line["bidder"], line.get("credit_code", ""), *_summary_text(line.get("summary") or {}, labels)]
        for n, line in enumerate(record["bids"], start=1)
    ]
    unopened = [[item["bidder"], BID_STATUS.get(item["status"], item["status"])] for item in record.get("unopened", [])]
    objections = [
        [o["text"], beijing(o["raised_at"]), o.get("answer") or "—", beijing(o.get("answered_at"))]
        for o in view.get("objections", [])
    ]
    related = [
        ["关联投标人（第2款，依第3款投标无效）", "、".join(group["bidders"])]
        for group in record.get("related_bidders", [])
    ]
    related += [
        ["与招标人存在利害关系（第1款）", "、".join(f["entities"])] for f in record.get("interested_bidders", [])
    ]
    related += [
        ["关联关系待评标委员会核实", "、".join(f["entities"])] for f in record.get("related_bidders_unconfirmed", [])
    ]
    lines, proofs = ledger_of(
        db, _latest(db, tender.id, "opening.started") + _latest(db, tender.id, "opening.recorded")
    )
    return Document(
        kind=f"opening-record-{tender.id}",
        title="开标记录",
        subtitle=f"标段编号 {code}",
        sections=[
            Section(
                facts=[
                    *facts,
                    ("投标截止时间", beijing(datetime.fromisoformat(record["bid_deadline"]))),
                    ("开标时间", beijing(view.get("started_at"))),
                    ("开标记录时间", beijing(datetime.fromisoformat(record["opened_at"]))),
                    ("递交的投标文件", f"{view.get('bids', len(rows))} 份"),
                    ("开标结果", "开标完成" if record.get("outcome") == "opened" else "开标后流标"),
                ]
            ),
            Section(
                heading="开标一览表",
                table=Table(["序号", "投标人", "统一社会信用代码", "投标报价", "其他内容"], rows, (6, 26, 22, 18, 28)),
                empty="无开启的投标文件。",
            ),
            Section(
                heading="未解密的投标文件",
                table=Table(["投标人", "处理"], unopened, (3, 4)),
                empty="无。",
            ),
            Section(
                heading="开标现场异议及答复",
                table=Table(["异议", "提出时间", "答复", "答复时间"], objections, (3, 2, 3, 2)),
                empty="无。",
            ),
            Section(
                heading="关联关系（招标投标法实施条例 第三十四条）",
                table=Table(["情形", "投标人"], related, (2, 5)),
                empty="无。",
            ),
        ],
        ledger=lines,
        proofs=proofs,
        data={"record": record, "record_note": view.get("record_note")},
        reason="开标记录",
    )


def evaluation_report(db: Session, actor: Principal, *, tender_id: int) -> Document:
    """评标报告: to the owner, its agent and the centre (实施条例 第53条), with names, prices and ranks."""
    tender, project = evaluation.load(db, tender_id)
    if tender.published_at is None:
        raise NotFound(field="tender_id", what_zh="招标项目", what_en="Tender")
    found = evaluation.find_evaluation(db, tender.id)
    report = evaluation.report_of(db, found.id) if found is not None else None
    if report is None:
        raise DocumentNotReady(what_zh="评标报告", what_en="evaluation report")
    if not evaluation_access.reads_report(actor, project):
        raise NotYourDocument(
            reason_zh="评标报告只提交招标人及其代理机构，并由交易中心存档",
            reason_en="the report goes to the owner and its agent, and the centre keeps it",
        )
    body = json.loads(report.body)
    ids = [line["entity_id"] for line in body["ranking"]] + [line["entity_id"] for line in body["rejected"]]
    ids += [line["entity_id"] for line in body.get("failed_qualification", [])]
    names = entity_names(db, sorted(set(ids)))
    scoring = body["method"] == "scoring"
    ranking = [
        [
            str(line["rank"]),
            names.get(line["entity_id"], ""),
            yuan(line["price_fen"]),
            *([line["technical_score"], line["price_score"], line["total"]] if scoring else []),
        ]
        for line in body["ranking"]
    ]
    columns = ["排名", "投标人", "评标价", *(["技术得分", "价格得分", "总分"] if scoring else [])]
    widths = (6, 30, 18, *((12, 12, 12) if scoring else ()))
    by_bid = {line["bid_id"]: line for line in body["ranking"]}
    recommended = [
        [str(n), names.get(by_bid[bid_id]["entity_id"], ""), yuan(by_bid[bid_id]["price_fen"])]
        for n, bid_id in enumerate(body["recommended"], start=1)
    ]
    rejected = [
        [
            names.get(line["entity_id"], ""),
            line["ground_zh"],
            line.get("note") or "",
            "自动" if line["automatic"] else "评标委员会",
        ]
        for line in body["rejected"]
    ]
    failed = [[names.get(line["entity_id"], "")] for line in body.get("failed_qualification", [])]
    facts, code = _heading_facts(db, tender)
    lines, proofs = ledger_of(db, _latest(db, tender.id, "evaluation.finalised"))
    return Document(
        kind=f"evaluation-report-{tender.id}",
        title="评标报告",
        subtitle=f"标段编号 {code}",
        sections=[
            Section(
                facts=[
                    *facts,
                    ("评标方法", METHOD.get(body["method"], body["method"])),
                    ("评标委员会人数", f"{body['committee_size']} 人"),
                    ("报告完成时间", beijing(report.finalised_at)),
                    ("报告 SHA-256", report.sha256),
                ]
            ),
            Section(
                heading="推荐的中标候选人",
                table=Table(["顺序", "投标人", "评标价"], recommended, (6, 30, 18)),
                empty="无。",
            ),
            Section(heading="评审排名", table=Table(columns, ranking, widths), empty="无有效投标。"),
            Section(
                heading="否决的投标",
                table=Table(["投标人", "否决理由", "说明", "认定"], rejected, (5, 6, 6, 3)),
                empty="无。",
            ),
            Section(heading="资格审查未通过", table=Table(["投标人"], failed), empty="无。"),
        ],
        ledger=lines,
        proofs=proofs,
        data={"report": body, "sha256": report.sha256, "names": {str(k): v for k, v in names.items()}},
        reason="评标报告",
    )


def candidate_publicity(db: Session, actor: Principal, *, tender_id: int, now: datetime) -> Document:
    """中标候选人公示: the ranked candidates and their prices, and the publicity's period (实施条例 第54条)."""
    tender = _published(db, tender_id)
    stage = award_views.award_stage_view(db, actor, tender_id=tender.id, now=now)
    publicity = awards.find_publicity(db, tender.id)
    if stage.publicity is None or publicity is None:
        raise DocumentNotReady(what_zh="中标候选人公示", what_en="publicity of the candidates")
    objections = stage.publicity
    rows = [[str(c["rank"]), c["name"], yuan_in_words(c["price_fen"])] for c in awards.candidates_of(publicity)]
    facts, code = _heading_facts(db, tender)
    lines, proofs = ledger_of(db, _latest(db, tender.id, "award.publicity_published", "award.publicity_republished"))
    return Document(
        kind=f"publicity-{tender.id}",
        title="中标候选人公示",
        subtitle=f"标段编号 {code}",
        sections=[
            Section(
                facts=[
                    *facts,
                    ("公示开始", beijing(publicity.starts_at)),
                    ("公示结束", beijing(publicity.ends_at)),
                    ("公示轮次", f"第 {publicity.round} 次"),
                    ("异议", f"已提出 {objections.objections_raised} 件，待答复 {objections.objections_pending} 件"),
                ]
            ),
            Section(heading="中标候选人", table=Table(["排名", "中标候选人", "投标报价"], rows, (6, 30, 34))),
            Section(
                paragraphs=[
                    "投标人或者其他利害关系人对依法必须进行招标的项目的评标结果有异议的，应当在中标候选人公示期间提出"
                    "（招标投标法实施条例 第五十四条）。"
                ]
            ),
        ],
        ledger=lines,
        proofs=proofs,
        data={"publicity": stage.publicity.model_dump(mode="json")},
        reason="中标候选人公示",
    )


def letter(db: Session, actor: Principal, *, letter_id: int) -> Document:
    """中标通知书 / 中标结果通知书: the letter's signed text, for its addressee, the owner or its agent."""
    shown = award_views.letter_view(db, actor, letter_id=letter_id)
    tender = tendering.get_tender(db, shown.tender_id)
    addressee = get_entity(db, shown.entity_id)
    award = awards.find_award(db, tender.id)
    facts, code = _heading_facts(db, tender)
    title = "中标通知书" if shown.kind == "award" else "中标结果通知书"
    awarded = [
        (label, event)
        for label, event in _latest(db, tender.id, "award.awarded")
        if any(item.get("letter_id") == shown.id for item in json.loads(event.payload).get("letters", []))
    ]
    lines, proofs = ledger_of(db, awarded)
    price = (
        [("中标价", yuan_in_words(award.price_fen)), ("中标人", get_entity(db, award.entity_id).name)]
        if award is not None and shown.void_since is None
        else []
    )
    void = (
        [f"投诉处理决定已认定中标无效（{beijing(shown.void_since)}），本通知书仅作记录。"] if shown.void_since else []
    )
    return Document(
        kind=f"letter-{shown.id}",
        title=title,
        subtitle=f"标段编号 {code}",
        sections=[
            Section(paragraphs=void),
            Section(paragraphs=[paragraph for paragraph in shown.text.split("\n") if paragraph.strip()][1:]),
            Section(
                heading="通知书信息",
                facts=[
                    ("收件人", f"{addressee.name}（统一社会信用代码 {addressee.credit_code}）"),
                    *facts,
                    *price,
                    ("签发时间", beijing(shown.issued_at)),
                    ("正文 SHA-256", shown.sha256),
                ],
            ),
        ],
        ledger=lines,
        proofs=proofs,
        data={**shown.model_dump(mode="json"), "addressee": addressee.name},
        reason=title,
    )


def witness_certificate(db: Session, actor: Principal, *, tender_id: int, now: datetime) -> Document:
    """交易见证书: the platform witnesses one tender's whole process — each recorded stage, when, by whom, and its
    ledger entry. Listed: what the ledger discloses, and the closed stages of the evaluation (:data:`CLOSED_STAGES`);
    never a registration or a sealed bid (招标投标法 第22条)."""
    tender = _published(db, tender_id)
    project, _ = tendering.project_of(db, tender)
    readable = visible_project_ids(actor).subquery()
    if not db.scalar(select(func.count()).select_from(readable).where(readable.c.id == project.id)):
        raise NotYourDocument(
            reason_zh="交易见证书提供给招标人、招标代理机构、交易中心和行政监督部门",
            reason_en="the witness certificate is for the owner, its agent, the centre and the supervisors",
        )
    events = [
        e
        for e in _events(db, [("project", project.id), ("tender", tender.id)])
        if e.disclosed or e.action in CLOSED_STAGES
    ]
    names = entity_names(db, sorted({e.actor_entity_id for e in events if e.actor_entity_id is not None}))
    stages = [(STAGES.get(event.action, event.action), event) for event in events]
    lines, proofs = ledger_of(db, stages)
    rows = [
        [
            str(n),
            what,
            beijing(event.occurred_at),
            names.get(event.actor_entity_id, "")
            if event.actor_entity_id and event.actor_role in NAMED_ROLES
            else ROLES.get(event.actor_role, event.actor_role),
            f"#{event.id} / {line.index if line.index is not None else '待编号'}",
        ]
        for n, ((what, event), line) in enumerate(zip(stages, lines, strict=True), start=1)
    ]
    facts, code = _heading_facts(db, tender)
    award = awards.find_award(db, tender.id)
    result = (
        [("中标人", get_entity(db, award.entity_id).name), ("中标价", yuan_in_words(award.price_fen))] if award else []
    )
    return Document(
        kind=f"witness-certificate-{tender.id}",
        title="交易见证书",
        subtitle=f"标段编号 {code}",
        sections=[
            Section(
                facts=[
                    *facts,
                    ("当前阶段", TENDER_STAGES.get(tender.stage, tender.stage)),
                    *result,
                    ("见证截至", beijing(now)),
                ]
            ),
            Section(
                paragraphs=[
                    f"兹证明：上述项目的交易过程在本平台进行，下列各环节由平台在其发生时记录，并写入平台的账本"
                    f"（透明日志）。截至 {beijing(now)}，账本共记录本项目 {len(rows)} 个公开环节。"
                ]
            ),
            Section(
                heading="交易过程",
                table=Table(["序号", "环节", "时间", "办理人", "事件 / 账本序号"], rows, (5, 22, 34, 24, 15)),
            ),
        ],
        ledger=lines,
        proofs=proofs,
        data={
            "tender_id": tender.id,
            "lot_code": code,
            "stages": [{"what": w, "event_id": e.id, "action": e.action} for w, e in stages],
        },
        reason="交易见证书",
    )


def auction_confirmation(db: Session, actor: Principal | None, *, auction_id: int) -> Document:
    """成交确认书 (拍卖法 第五十二条; decision 0051): the text made at the close and the buyer's signature, for the
    seller, its agent and the buyer (a judicial sale's for anyone, 网络司法拍卖规定 第二十二条)."""
    shown = auction_confirmation_view(db, actor, auction_id=auction_id)
    lines, proofs = ledger_of(db, _auction_events(db, auction_id, "auction.closed", "auction.confirmation_signed"))
    paragraphs = [paragraph for paragraph in shown.text.split("\n") if paragraph.strip()][1:]
    signed = (
        [("买受人签署", f"{beijing(shown.signed_at)}（证书公钥指纹 {shown.certificate_fingerprint}）")]
        if shown.signed_at is not None
        else [("买受人签署", "尚未签署")]
    )
    return Document(
        kind=f"auction-{auction_id}-confirmation",
        title="成交确认书",
        subtitle=f"AUCTION-{auction_id}",
        sections=[
            Section(paragraphs=paragraphs),
            Section(heading="确认书信息", facts=[("正文 SHA-256", shown.sha256), *signed]),
        ],
        ledger=lines,
        proofs=proofs,
        data={"auction_id": auction_id, "sha256": shown.sha256, "signed": shown.signed_at is not None},
        reason="成交确认书",
    )


def _auction_events(db: Session, auction_id: int, *actions: str) -> list[tuple[str, Event]]:
    labels = {"auction.closed": "成交结果", "auction.confirmation_signed": "买受人签署成交确认书"}
    return [(labels[event.action], event) for event in _events(db, [("auction", auction_id)], actions=set(actions))]
