"""The pure rules of credit (decision 0040): which penalties the law allows on which article and within which range,
when a record is in force, and how a joint-punishment list's rows are read and checked.

The ranges are exactly what the laws say (招标投标法, 招标投标法实施条例, 政府采购法, as read in the shared texts):

* 招标投标法 第五十三条 and 实施条例 第六十七条 第二款 (串通投标, 行贿): a fine of 5‰–10‰ of the winning project's
  amount; in serious cases 取消其1年至2年内参加依法必须进行招标的项目的投标资格.
* 招标投标法 第五十四条 第二款 and 实施条例 第六十八条 第二款 (以他人名义投标, 弄虚作假): a fine of 5‰–10‰; 取消其
  1年至3年内 … 投标资格.
* 政府采购法 第七十七条 (供应商): a fine of 5‰–10‰ of the procurement amount; 在一至三年内禁止参加政府采购活动.
* 实施条例 第七十条 (招标人 forming the committee unlawfully): 可以处10万元以下的罚款.
* 实施条例 第七十一条 (评标委员会成员): 禁止其在一定期限内参加 … 评标 (no range stated: any positive duration);
  情节特别严重的，取消其担任评标委员会成员的资格 (debarment).
* 实施条例 第七十二条 (an expert taking bribes): 处3000元以上5万元以下的罚款，取消担任评标委员会成员的资格.
* 招标投标法 第五十五条 (招标人 negotiating the substance): 给予警告.

A credit deduction (信用扣分) is no penalty of these laws but of the platform's credit rules; it is allowed beside any
article, 1 to 100 points.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from ggzy.core.clock import CHINA_STANDARD_TIME
from ggzy.core.codes import is_valid_credit_code
from ggzy.core.errors import DomainError
from ggzy.core.screening import Intercepted

MAX_DEDUCTION_POINTS = 100
# The appeal route of a penalty decision. The periods of 行政复议 and 行政诉讼 are set by laws not among the texts the
# platform holds, so none is computed; 政府采购法 第五十八条 names the same route for a complaint's decision.
APPEAL_ROUTE_ZH = "对本处罚决定不服的，可以依法申请行政复议或者向人民法院提起行政诉讼。"


class PenaltyKind(StrEnum):
    WARNING = "warning"  # 警告
    FINE = "fine"  # 罚款
    CREDIT_DEDUCTION = "credit_deduction"  # 信用扣分
    SUSPENSION = "suspension"  # 取消一定期限内的投标/评标资格
    DEBARMENT = "debarment"  # 取消资格 (no end)


KIND_ZH = {
    PenaltyKind.WARNING: "警告",
    PenaltyKind.FINE: "罚款",
    PenaltyKind.CREDIT_DEDUCTION: "信用扣分",
    PenaltyKind.SUSPENSION: "限期取消资格",
    PenaltyKind.DEBARMENT: "取消资格",
}
RESTRICTING = frozenset({PenaltyKind.SUSPENSION, PenaltyKind.DEBARMENT})


class SubjectKind(StrEnum):
    ENTITY = "entity"
    PERSON = "person"
    EXPERT = "expert"


class Polarity(StrEnum):
    GOOD = "good"
    BAD = "bad"


class Source(StrEnum):
    DECISION = "decision"  # this platform's supervisor
    LIST = "list"  # an imported joint-punishment list
    AUTHORITY = "authority"  # another authority's decision, recorded here


class RecordStatus(StrEnum):
    IN_FORCE = "in_force"
    NOT_YET = "not_yet"
    EXPIRED = "expired"
    REVOKED = "revoked"  # on appeal (复议、诉讼 or the deciding department's own review)
    DELISTED = "delisted"  # no longer on its list


@dataclass(frozen=True)
class LegalBasis:
    key: str
    article_zh: str
    article_en: str
    subject: SubjectKind
    kinds: frozenset[PenaltyKind]
    months: tuple[int, int | None] | None = None  # a suspension's range in months (None: no upper limit)
    fine_fen: tuple[int, int] | None = None  # a fine's fixed range
    fine_per_mille: tuple[int, int] | None = None  # a fine's range in ‰ of the project's (procurement) amount
    # the trades its restriction closes: 招标投标法 第五十三条 "参加依法必须进行招标的项目的投标资格" is the
    # tendering law's, 政府采购法 第七十七条 "禁止参加政府采购活动" procurement's; None: every trade (an expert's
    # disqualification)
    law: str | None = None


TENDERING_LAW, PROCUREMENT_LAW = "tendering_law", "procurement_law"  # tendering.procedures' Law keys


_BIDDER_KINDS = frozenset({PenaltyKind.FINE, PenaltyKind.SUSPENSION, PenaltyKind.CREDIT_DEDUCTION})
LEGAL_BASES: dict[str, LegalBasis] = {
    basis.key: basis
    for basis in (
        LegalBasis(
            "ztb53", "招标投标法 第五十三条；招标投标法实施条例 第六十七条", "Bidding Law art. 53; Regulations art. 67",
            SubjectKind.ENTITY, _BIDDER_KINDS, months=(12, 24), fine_per_mille=(5, 10), law=TENDERING_LAW,
        ),
        LegalBasis(
            "ztb54", "招标投标法 第五十四条；招标投标法实施条例 第六十八条", "Bidding Law art. 54; Regulations art. 68",
            SubjectKind.ENTITY, _BIDDER_KINDS, months=(12, 36), fine_per_mille=(5, 10), law=TENDERING_LAW,
        ),
        LegalBasis(
            "zfcg77", "政府采购法 第七十七条", "Government Procurement Law art. 77",
            SubjectKind.ENTITY, _BIDDER_KINDS, months=(12, 36), fine_per_mille=(5, 10), law=PROCUREMENT_LAW,
        ),
        LegalBasis(
            "ztb55", "招标投标法 第五十五条", "Bidding Law art. 55",
            SubjectKind.ENTITY, frozenset({PenaltyKind.WARNING, PenaltyKind.CREDIT_DEDUCTION}),
        ),
        LegalBasis(
            "ssl70", "招标投标法实施条例 第七十条", "Regulations art. 70",
            SubjectKind.ENTITY, frozenset({PenaltyKind.FINE, PenaltyKind.CREDIT_DEDUCTION}), fine_fen=(1, 10_000_000),
        ),
        LegalBasis(
            "ssl71", "招标投标法实施条例 第七十一条", "Regulations art. 71",
            SubjectKind.EXPERT,
            frozenset({PenaltyKind.SUSPENSION, PenaltyKind.DEBARMENT, PenaltyKind.CREDIT_DEDUCTION}),
            months=(1, None),
        ),
        LegalBasis(
            "ssl72", "招标投标法实施条例 第七十二条", "Regulations art. 72",
            SubjectKind.EXPERT, frozenset({PenaltyKind.FINE, PenaltyKind.DEBARMENT, PenaltyKind.CREDIT_DEDUCTION}),
            fine_fen=(300_000, 5_000_000),
        ),
    )
}  # fmt: skip


# -- errors ---------------------------------------------------------------------------------------------------------


class PenaltyNotAllowed(DomainError):
    code = "credit_penalty_not_allowed"
    status = 422
    message_zh = "{article_zh} 未规定对{subject_zh}给予「{kind_zh}」"
    message_en = "{article_en} provides no {kind} for {subject}"


class PenaltyOutOfRange(DomainError):
    code = "credit_penalty_out_of_range"
    status = 422
    message_zh = "超出 {article_zh} 规定的幅度：{range_zh}"
    message_en = "Beyond the range of {article_en}: {range_en}"


class GroundsRequired(DomainError):
    code = "credit_grounds_required"
    status = 422
    message_zh = "处罚决定须载明事实和理由（字段 {field}）"
    message_en = "A penalty decision states its grounds (field {field})"


class SiteRecordNotGrounds(DomainError):
    code = "credit_site_record_not_grounds"
    status = 422
    message_zh = "现场见证记录 {record_id} 不能作为本处罚的依据：{reason_zh}"
    message_en = "On-site record {record_id} cannot ground this penalty: {reason_en}"


# The refusal of a step by the interception (declared in core, where the lower domains' endpoints can name it).
CreditIntercepted = Intercepted


class ListRowsInvalid(DomainError):
    code = "credit_list_rows_invalid"
    status = 422
    message_zh = "名单有 {count} 行无效，未导入任何一行：{report_zh}"
    message_en = "{count} rows of the list are invalid; nothing was imported: {report_en}"

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        body = super().problem(instance)
        body["rows"] = self.params["rows"]
        return body


class ListUnreadable(DomainError):
    code = "credit_list_unreadable"
    status = 422
    message_zh = "名单文件无法读取：{reason_zh}"
    message_en = "The list file cannot be read: {reason_en}"


# -- penalties ------------------------------------------------------------------------------------------------------


def _yuan(fen: int) -> str:
    return f"{fen // 100}" if fen % 100 == 0 else f"{fen / 100:.2f}"


def check_penalty(
    basis: LegalBasis,
    *,
    kind: PenaltyKind,
    subject: SubjectKind,
    months: int | None,
    fine_fen: int | None,
    basis_amount_fen: int | None,
    points: int | None,
) -> None:
    """Refuse a penalty the article does not provide, or beyond its range (naming the article)."""
    article = {"article_zh": basis.article_zh, "article_en": basis.article_en}
    if (kind not in basis.kinds and kind is not PenaltyKind.CREDIT_DEDUCTION) or subject is not basis.subject:
        raise PenaltyNotAllowed(
            field="kind", kind=kind.value, kind_zh=KIND_ZH[kind], subject=subject.value,
            subject_zh={"entity": "单位", "expert": "评标专家", "person": "个人"}[subject.value], **article,
        )  # fmt: skip
    if kind is PenaltyKind.SUSPENSION:
        low, high = basis.months or (1, None)
        if months is None or months < low or (high is not None and months > high):
            if high is None:
                range_zh, range_en = f"期限须至少{low}个月", f"at least {low} months"
            else:
                range_zh, range_en = f"{low}至{high}个月", f"{low} to {high} months"
            raise PenaltyOutOfRange(field="months", range_zh=range_zh, range_en=range_en, **article)
    if kind is PenaltyKind.FINE:
        if fine_fen is None or fine_fen <= 0:
            raise PenaltyOutOfRange(
                field="fine", range_zh="须载明罚款金额", range_en="a fine states its amount", **article
            )
        if basis.fine_fen is not None:
            low, high = basis.fine_fen
            if not low <= fine_fen <= high:
                raise PenaltyOutOfRange(
                    field="fine", range_zh=f"{_yuan(low)}元以上{_yuan(high)}元以下",
                    range_en=f"{_yuan(low)} to {_yuan(high)} yuan", **article,
                )  # fmt: skip
        if basis.fine_per_mille is not None:
            low, high = basis.fine_per_mille
            if basis_amount_fen is None or basis_amount_fen <= 0:
                raise PenaltyOutOfRange(
                    field="basis_amount", range_zh=f"罚款按项目金额的千分之{low}至千分之{high}计，须载明项目金额",
                    range_en=f"the fine is {low}‰ to {high}‰ of the project's amount: state the amount", **article,
                )  # fmt: skip
            if not basis_amount_fen * low <= fine_fen * 1000 <= basis_amount_fen * high:
                raise PenaltyOutOfRange(
                    field="fine",
                    range_zh=f"项目金额{_yuan(basis_amount_fen)}元的千分之{low}至千分之{high}"
                    f"（{_yuan(-(-basis_amount_fen * low // 1000))}元至{_yuan(basis_amount_fen * high // 1000)}元）",
                    range_en=f"{low}‰ to {high}‰ of the project's amount of {_yuan(basis_amount_fen)} yuan",
                    **article,
                )
    if kind is PenaltyKind.CREDIT_DEDUCTION and (points is None or not 1 <= points <= MAX_DEDUCTION_POINTS):
        raise PenaltyOutOfRange(
            field="points", range_zh=f"扣分须为1至{MAX_DEDUCTION_POINTS}分（平台信用规则）",
            range_en=f"a deduction is 1 to {MAX_DEDUCTION_POINTS} points (the platform's credit rules)", **article,
        )  # fmt: skip


def beijing_midnight(day: date) -> datetime:
    """00:00 China Standard Time of ``day``, as an aware moment."""
    return datetime.combine(day, time(0), tzinfo=CHINA_STANDARD_TIME)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the last day of a shorter month): a suspension of 12 months from 15 March ends
    at the start of 15 March a year later."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def status_of(
    *, valid_from: datetime, valid_until: datetime | None, end_reason: str | None, now: datetime
) -> RecordStatus:
    if end_reason is not None:
        return RecordStatus(end_reason)
    if now < valid_from:
        return RecordStatus.NOT_YET
    if valid_until is not None and now >= valid_until:
        return RecordStatus.EXPIRED
    return RecordStatus.IN_FORCE


def mask_id_number(number: str) -> str:
    """Keep what identifies a record to its subject, no more: the first 4 and last 2 characters."""
    return number[:4] + "*" * max(len(number) - 6, 0) + number[-2:]


# -- joint-punishment lists -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListRow:
    credit_code: str
    name: str
    grounds: str
    valid_from: date
    valid_until: date | None


@dataclass(frozen=True)
class RowProblem:
    row: int  # 1 = the first data row
    field: str
    reason_zh: str
    reason_en: str


LIST_FIELDS = ("credit_code", "name", "grounds", "valid_from", "valid_until")
MAX_LIST_ROWS = 20_000


def _raw_rows(content: bytes) -> list[dict[str, Any]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ListUnreadable(field="file", reason_zh="不是 UTF-8 文本", reason_en="not UTF-8 text") from error
    if "\x00" in text:
        raise ListUnreadable(field="file", reason_zh="含有 NUL 字符", reason_en="it contains NUL characters")
    stripped = text.lstrip()
    if stripped.startswith(("[", "{")):
        try:
            parsed = json.loads(stripped)
        except ValueError as error:
            raise ListUnreadable(field="file", reason_zh="JSON 格式错误", reason_en="malformed JSON") from error
        rows = parsed.get("rows") if isinstance(parsed, dict) else parsed
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise ListUnreadable(
                field="file", reason_zh="JSON 须为对象数组或含 rows 数组", reason_en="JSON must be an array of objects"
            )
        return rows
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or "credit_code" not in reader.fieldnames:
        raise ListUnreadable(
            field="file", reason_zh="CSV 首行须为列名，含 credit_code", reason_en="the CSV header must name credit_code"
        )
    return list(reader)


def _day(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError
    return date.fromisoformat(value.strip())


def read_list(content: bytes) -> tuple[list[ListRow], list[RowProblem]]:
    """The rows of a list file (CSV with a header, or JSON), and every problem found, row by row."""
    raw = _raw_rows(content)
    if len(raw) > MAX_LIST_ROWS:
        raise ListUnreadable(
            field="file", reason_zh=f"超过{MAX_LIST_ROWS}行", reason_en=f"more than {MAX_LIST_ROWS} rows"
        )
    rows: list[ListRow] = []
    problems: list[RowProblem] = []
    seen: set[str] = set()
    for number, row in enumerate(raw, start=1):
        code = str(row.get("credit_code") or "").strip().upper()
        name = str(row.get("name") or "").strip()
        grounds = str(row.get("grounds") or "").strip()
        if not is_valid_credit_code(code):
            problems.append(
                RowProblem(
                    number, "credit_code", "不是有效的统一社会信用代码（GB 32100 校验位）",
                    "not a valid unified social credit code (GB 32100 check character)",
                )
            )  # fmt: skip
            continue
        if code in seen:
            problems.append(RowProblem(number, "credit_code", "与前面的行重复", "repeats an earlier row"))
            continue
        seen.add(code)
        if not name or len(name) > 200 or not name.isprintable():
            problems.append(RowProblem(number, "name", "名称缺失或无效", "the name is missing or invalid"))
            continue
        if not grounds or len(grounds) > 2000 or not grounds.isprintable():
            problems.append(RowProblem(number, "grounds", "事由缺失或无效", "the grounds are missing or invalid"))
            continue
        try:
            valid_from = _day(row.get("valid_from"))
            valid_until = _day(row.get("valid_until"))
        except ValueError:
            problems.append(RowProblem(number, "valid_from", "日期须为 YYYY-MM-DD", "dates are YYYY-MM-DD"))
            continue
        if valid_from is None:
            problems.append(RowProblem(number, "valid_from", "缺少起始日期", "the start date is missing"))
            continue
        if valid_until is not None and valid_until <= valid_from:
            problems.append(RowProblem(number, "valid_until", "截止日期须晚于起始日期", "must be after the start"))
            continue
        rows.append(ListRow(code, name, grounds, valid_from, valid_until))
    return rows, problems


def refuse_problems(problems: list[RowProblem]) -> None:
    if not problems:
        return
    shown = problems[:20]
    raise ListRowsInvalid(
        field="file",
        count=len(problems),
        report_zh="；".join(f"第{p.row}行 {p.field}：{p.reason_zh}" for p in shown),
        report_en="; ".join(f"row {p.row} {p.field}: {p.reason_en}" for p in shown),
        rows=[{"row": p.row, "field": p.field, "reason_zh": p.reason_zh, "reason_en": p.reason_en} for p in problems],
    )


def end_of(day: date | None) -> datetime | None:
    """A list's last day of validity ends at 24:00 China Standard Time."""
    return None if day is None else beijing_midnight(day + timedelta(days=1))
