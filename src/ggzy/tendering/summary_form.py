"""The opening summary (开标一览表) a tender declares, and the one rule every summary is checked by.

A tender declares the items of its opening summary when it is prepared: each has a key (the key in the sealed
``bid.json``), a label in Chinese and English, a kind and whether it is required. The price (``price_fen``, an amount
in fen, required) is always declared: the opening reads it out (唱标) and evaluation ranks by it, so it cannot be
declared away. Pure functions, no database: the bidder's client (``ggzy bid seal`` and the local assistant) checks a
summary with :func:`check_summary` before sealing anything, and evaluation checks the opened summary with the same
function (招标投标法实施条例 第51条 (六): a bid that does not respond to the documents' substantive requirements is
rejected) — the law's last line, for envelopes sealed by other tools.

Values in a summary are JSON: amounts are integers of fen (the platform's money, never a float), integers and days
are integers, a percentage is an integer or a decimal string (``"95.5"``) between 0 and 100, text is a string.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Final

from ggzy.core.errors import InvalidInput
from ggzy.core.money import MAX_FEN, yuan_to_fen


class FieldKind(StrEnum):
    AMOUNT = "amount"  # 元 on forms, integer fen in the summary
    INTEGER = "integer"
    DAYS = "days"
    PERCENTAGE = "percentage"
    TEXT = "text"


KIND_LABELS: Final[dict[FieldKind, tuple[str, str]]] = {
    FieldKind.AMOUNT: ("金额（元）", "amount (yuan)"),
    FieldKind.INTEGER: ("整数", "integer"),
    FieldKind.DAYS: ("天数", "days"),
    FieldKind.PERCENTAGE: ("百分比", "percentage"),
    FieldKind.TEXT: ("文字", "text"),
}

PRICE_KEY: Final = "price_fen"
MAX_FIELDS: Final = 20
MAX_TEXT: Final = 500
MAX_DAYS: Final = 36_500
# a key: letters (Chinese ones too), digits and underscores, as a bidder types it in JSON or on the command line
KEY_PATTERN: Final = re.compile(r"^[^\W\d]\w{0,39}$")
_PERCENT: Final = re.compile(r"^[0-9]{1,3}(?:\.[0-9]{1,2})?$")


@dataclass(frozen=True)
class SummaryField:
    key: str
    label_zh: str
    label_en: str
    kind: FieldKind
    required: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label_zh": self.label_zh,
            "label_en": self.label_en,
            "kind": self.kind.value,
            "required": self.required,
        }


PRICE_FIELD: Final = SummaryField(PRICE_KEY, "投标报价", "Bid price", FieldKind.AMOUNT, True)
DEFAULT_FIELDS: Final[tuple[SummaryField, ...]] = (PRICE_FIELD,)


# Items tender documents often ask for, as a form suggests them (typing the label fills in its key and kind).
COMMON_ITEMS: Final[tuple[SummaryField, ...]] = (
    SummaryField("schedule_days", "工期（日历天）", "Schedule (calendar days)", FieldKind.DAYS, True),
    SummaryField("quality", "质量标准", "Quality standard", FieldKind.TEXT, True),
    SummaryField("project_manager", "项目经理", "Project manager", FieldKind.TEXT, True),
    SummaryField("delivery_days", "交货期（日历天）", "Delivery (calendar days)", FieldKind.DAYS, True),
    SummaryField("warranty_months", "质保期（月）", "Warranty (months)", FieldKind.INTEGER, False),
    SummaryField("rate_percent", "费率（%）", "Rate (%)", FieldKind.PERCENTAGE, False),
)


def field_from_label(label_zh: str, *, label_en: str, kind: FieldKind, required: bool) -> SummaryField:
    """An item declared by its label, as a person fills in a form: a common item's label brings its key (and its
    English, when none is given); any other label is its own key, without its parenthesised unit and punctuation
    (``投标有效期（日历天）`` → ``投标有效期``)."""
    label = label_zh.strip()
    common = next((item for item in COMMON_ITEMS if label in {item.label_zh, item.key}), None)
    if common is not None:
        return SummaryField(common.key, common.label_zh, label_en.strip() or common.label_en, kind, required)
    key = re.sub(r"\W", "", re.split(r"[（(]", label, maxsplit=1)[0])[:40]
    return SummaryField(key or label, label, label_en.strip() or label, kind, required)


def _refuse(reason_zh: str, reason_en: str) -> InvalidInput:
    return InvalidInput(field="summary_fields", reason_zh=reason_zh, reason_en=reason_en)


def declare(fields: Iterable[SummaryField]) -> tuple[SummaryField, ...]:
    """The declaration a tender keeps: the price first (added when not given), then the other items in order.

    Refused (:class:`InvalidInput` on ``summary_fields``): a key that is not a word, a repeated key or label, the price
    declared as anything but a required amount, more than :data:`MAX_FIELDS` items."""
    declared: list[SummaryField] = []
    for field in fields:
        if field.key == PRICE_KEY:
            if field.kind is not FieldKind.AMOUNT or not field.required:
                raise _refuse(
                    "投标报价（price_fen）须为必填的金额，不能取消或改为其他类型",
                    "the price (price_fen) is a required amount: it cannot be made optional or of another kind",
                )
            continue  # the platform's own price item: its labels are the platform's (投标报价)
        if not KEY_PATTERN.fullmatch(field.key):
            raise _refuse(
                f"项目代码“{field.key}”须以文字开头，只含文字、数字和下划线，不超过 40 个字符",
                f"the key “{field.key}” must start with a letter and hold letters, digits and underscores (≤ 40)",
            )
        if not field.label_zh.strip():
            raise _refuse(f"项目“{field.key}”没有名称", f"the item “{field.key}” has no label")
        declared.append(field)
    every = [PRICE_FIELD, *declared]
    for attribute in ("key", "label_zh"):
        values = [getattr(field, attribute) for field in every]
        repeated = sorted({value for value in values if values.count(value) > 1})
        if repeated:
            raise _refuse(f"开标一览表项目重复：{'、'.join(repeated)}", f"repeated items: {', '.join(repeated)}")
    if len(every) > MAX_FIELDS:
        raise _refuse(f"开标一览表最多 {MAX_FIELDS} 项", f"at most {MAX_FIELDS} items")
    return tuple(every)


def beyond_price(fields: Sequence[SummaryField]) -> list[dict[str, Any]]:
    """The declared items besides the price (which every tender declares alike), as events record them."""
    return [field.to_json() for field in fields if field.key != PRICE_KEY]


def to_json(fields: Sequence[SummaryField]) -> str:
    """The declaration as stored: a JSON list, in order, keys sorted (canonical)."""
    return json.dumps([field.to_json() for field in fields], ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def from_json(text: str | None) -> tuple[SummaryField, ...]:
    """A stored or published declaration (an absent one is the default: the price, required)."""
    if not text:
        return DEFAULT_FIELDS
    return from_list(json.loads(text))


def from_list(items: Any) -> tuple[SummaryField, ...]:
    """A declaration as the platform publishes it (``summary_fields`` of a tender), checked as :func:`declare` does."""
    if not isinstance(items, list):
        raise _refuse("开标一览表格式须为列表", "the declaration must be a list")
    try:
        fields = [
            SummaryField(
                key=str(item["key"]),
                label_zh=str(item["label_zh"]),
                label_en=str(item.get("label_en") or item["label_zh"]),
                kind=FieldKind(item["kind"]),
                required=bool(item["required"]),
            )
            for item in items
        ]
    except (KeyError, TypeError, ValueError) as error:
        raise _refuse("开标一览表格式无法读取", f"the declaration is unreadable: {error}") from error
    return declare(fields)


# -- checking a summary ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """What is wrong with one item of a summary; ``code`` is stable: ``missing``, ``wrong_kind``, ``price_invalid``,
    ``unknown`` or ``not_an_object``."""

    code: str
    key: str
    message_zh: str
    message_en: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "key": self.key, "message_zh": self.message_zh, "message_en": self.message_en}


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _percentage(value: Any) -> Decimal | None:
    if _is_integer(value):
        number = Decimal(value)
    elif isinstance(value, str) and _PERCENT.fullmatch(value.strip()):
        number = Decimal(value.strip())
    else:
        return None
    return number if 0 <= number <= 100 else None


def _kind_expected(field: SummaryField) -> tuple[str, str]:
    if field.key == PRICE_KEY:
        return "大于零的金额（整数，单位为分）", "an amount above zero (an integer of fen)"
    return {
        FieldKind.AMOUNT: ("金额（整数，单位为分，不小于零）", "an amount (an integer of fen, not negative)"),
        FieldKind.INTEGER: ("整数", "an integer"),
        FieldKind.DAYS: (f"天数（1 至 {MAX_DAYS} 的整数）", f"a number of days (an integer from 1 to {MAX_DAYS})"),
        FieldKind.PERCENTAGE: (
            "0 至 100 的百分数（至多两位小数）",
            "a percentage from 0 to 100 (two decimals at most)",
        ),
        FieldKind.TEXT: (f"文字（不超过 {MAX_TEXT} 字）", f"text (at most {MAX_TEXT} characters)"),
    }[field.kind]


def value_fits(field: SummaryField, value: Any) -> bool:
    """Whether ``value`` is a value of the field's kind (the price: an amount above zero)."""
    match field.kind:
        case FieldKind.AMOUNT:
            return _is_integer(value) and (1 if field.key == PRICE_KEY else 0) <= value <= MAX_FEN
        case FieldKind.INTEGER:
            return _is_integer(value) and -MAX_FEN <= value <= MAX_FEN
        case FieldKind.DAYS:
            return _is_integer(value) and 1 <= value <= MAX_DAYS
        case FieldKind.PERCENTAGE:
            return _percentage(value) is not None
        case FieldKind.TEXT:
            return isinstance(value, str) and bool(value.strip()) and len(value) <= MAX_TEXT


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_summary(fields: Sequence[SummaryField], summary: Any, *, allow_unknown: bool = False) -> list[Problem]:
    """Every problem of ``summary`` against the declared ``fields``, in the declaration's order, unknown keys last.

    A required item missing (or null, or blank), a value not of its kind, the price not an amount above zero, and —
    unless ``allow_unknown`` — a key the tender did not declare (a price written under another key, as in
    ``{"投标报价": 420000000}``, is caught so). Evaluation allows unknown keys: an extra item is no ground to reject
    a bid, a missing or invalid declared one is (实施条例 第51条 (六))."""
    if not isinstance(summary, Mapping):
        return [Problem("not_an_object", "", "开标一览表须为 JSON 对象", "the opening summary must be a JSON object")]
    problems: list[Problem] = []
    for field in fields:
        value = summary.get(field.key)
        if _absent(value):
            if field.required:
                problems.append(
                    Problem(
                        "missing",
                        field.key,
                        f"缺少必填项“{field.label_zh}”（{field.key}）",
                        f"the required item “{field.label_en}” ({field.key}) is missing",
                    )
                )
            continue
        if not value_fits(field, value):
            expected_zh, expected_en = _kind_expected(field)
            problems.append(
                Problem(
                    "price_invalid" if field.key == PRICE_KEY else "wrong_kind",
                    field.key,
                    f"“{field.label_zh}”（{field.key}）应为{expected_zh}",
                    f"“{field.label_en}” ({field.key}) must be {expected_en}",
                )
            )
    if not allow_unknown:
        known = {field.key for field in fields}
        for key in sorted(str(key) for key in summary if key not in known):
            meant = find_field(fields, key)
            if meant is not None:  # the label written as the key: say which key it is
                problems.append(
                    Problem(
                        "unknown",
                        key,
                        f"“{key}”应以项目代码“{meant.key}”填写（{meant.label_zh}）",
                        f"“{key}” is written under the key “{meant.key}” ({meant.label_en})",
                    )
                )
                continue
            problems.append(
                Problem(
                    "unknown",
                    key,
                    f"“{key}”不是本招标项目开标一览表的项目（可填：{'、'.join(sorted(known))}）",
                    f"“{key}” is not an item of this tender's opening summary (items: {', '.join(sorted(known))})",
                )
            )
    return problems


# -- a summary typed item by item (the command line's --price/--field, the assistant's form) --------------------------


def find_field(fields: Sequence[SummaryField], name: str) -> SummaryField | None:
    """The declared item a person names: by key, by label, or by the label without its parenthesised unit
    (``工期`` for ``工期（日历天）``)."""
    wanted = name.strip()
    for field in fields:
        names = {field.key, field.label_zh, field.label_en}
        names |= {re.split(r"[（(]", label, maxsplit=1)[0].strip() for label in (field.label_zh, field.label_en)}
        if wanted in names:
            return field
    return None


def value_from_text(field: SummaryField, text: str) -> Any:
    """A typed value as the summary holds it: an amount written in 元 (``4200000.00``) becomes fen, integers and days
    integers, a percentage a decimal string (``95.5`` or ``95.5%``), text itself. Refused: :class:`InvalidInput`."""
    written = text.strip()
    match field.kind:
        case FieldKind.AMOUNT:
            return yuan_to_fen(written, field=field.key)
        case FieldKind.INTEGER | FieldKind.DAYS:
            if not re.fullmatch(r"-?[0-9]{1,17}", written):
                raise InvalidInput(field=field.key, reason_zh="应为整数", reason_en="must be an integer")
            return int(written)
        case FieldKind.PERCENTAGE:
            number = written.removesuffix("%").strip()
            try:
                Decimal(number)
            except InvalidOperation:
                raise InvalidInput(field=field.key, reason_zh="应为百分数", reason_en="must be a percentage") from None
            return number
        case FieldKind.TEXT:
            return written


def summary_from_texts(
    fields: Sequence[SummaryField], texts: Mapping[str, str]
) -> tuple[dict[str, Any], list[Problem]]:
    """A summary from items typed as text, by key or label: the values as :func:`value_from_text` reads them, and
    every problem — an unknown name, an unreadable value, then :func:`check_summary`'s."""
    summary: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, text in texts.items():
        field = find_field(fields, name)
        if field is None:
            known = "、".join(f.label_zh for f in fields)
            problems.append(
                Problem(
                    "unknown",
                    name,
                    f"“{name}”不是本招标项目开标一览表的项目（可填：{known}）",
                    f"“{name}” is not an item of this tender's opening summary ({', '.join(f.key for f in fields)})",
                )
            )
            continue
        if not text.strip():
            continue
        try:
            summary[field.key] = value_from_text(field, text)
        except InvalidInput:
            expected_zh, expected_en = _kind_expected(field)
            if field.kind is FieldKind.AMOUNT:
                expected_zh, expected_en = (
                    "以元为单位的金额（至多两位小数）",
                    "an amount in yuan (two decimals at most)",
                )
            problems.append(
                Problem(
                    "price_invalid" if field.key == PRICE_KEY else "wrong_kind",
                    field.key,
                    f"“{field.label_zh}”应为{expected_zh}：{text.strip()[:40]}",
                    f"“{field.label_en}” must be {expected_en}: {text.strip()[:40]}",
                )
            )
    reported = {problem.key for problem in problems}
    problems += [problem for problem in check_summary(fields, summary) if problem.key not in reported]
    return summary, problems
