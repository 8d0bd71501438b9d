"""The fixed words of on-site records (现场见证记录, decision 0048): the session a record is about, the kind of its
subject and the categories of misconduct, each with its Chinese and English label. Pure data, no database.

The categories follow what the law forbids at the opening and the evaluation:

- a member leaving his post (招标投标法实施条例 第48条, 第71条 (二): 擅离职守);
- contact in private with a bidder (招标投标法 第44条: 评标委员会成员不得私下接触投标人;
  实施条例 第71条 (四));
- anyone interfering with the evaluation (招标投标法 第38条: 任何单位和个人不得非法干预、
  影响评标的过程和结果);
- the centre's own site rules (lateness, communication devices handed in at the evaluation venue).

A record is evidence for the supervisor's decision, never a decision itself.
"""

from __future__ import annotations

from enum import StrEnum


class Session(StrEnum):
    """The sitting a record is about."""

    OPENING = "opening"  # 开标
    EVALUATION = "evaluation"  # 评标


class SubjectKind(StrEnum):
    """Whom a record is about: an expert of the tender's committee, one of its bidders (and, optionally, the name of
    the representative present), or its owner or agent."""

    EXPERT = "expert"
    BIDDER = "bidder"
    OWNER = "owner"
    AGENT = "agent"


class Category(StrEnum):
    LATE_OR_ABSENT = "late_or_absent"
    LEFT_EARLY = "left_early"
    COMMUNICATION_DEVICE = "communication_device"
    DISRUPTING_ORDER = "disrupting_order"
    PRIVATE_CONTACT = "private_contact"
    OTHER = "other"


SESSIONS: dict[Session, tuple[str, str]] = {
    Session.OPENING: ("开标", "opening"),
    Session.EVALUATION: ("评标", "evaluation"),
}

SUBJECT_KINDS: dict[SubjectKind, tuple[str, str]] = {
    SubjectKind.EXPERT: ("评标专家", "expert"),
    SubjectKind.BIDDER: ("投标人", "bidder"),
    SubjectKind.OWNER: ("招标人", "owner"),
    SubjectKind.AGENT: ("招标代理机构", "agent"),
}

CATEGORIES: dict[Category, tuple[str, str]] = {
    Category.LATE_OR_ABSENT: ("迟到或缺席", "late or absent"),
    Category.LEFT_EARLY: ("擅自离开现场", "left the venue without leave"),
    Category.COMMUNICATION_DEVICE: ("违规使用通讯工具", "used a phone or other communication device"),
    Category.DISRUPTING_ORDER: ("干扰开标或评标秩序", "interfered with the order of the opening or evaluation"),
    Category.PRIVATE_CONTACT: ("私下接触投标人或评标专家", "private contact with a bidder or an expert"),
    Category.OTHER: ("其他违规行为", "other misconduct"),
}

# Who may be the subject at which sitting: the committee sits at the evaluation only; a bidder, the owner and its
# agent may be present at both (招标投标法 第35条: 开标由招标人主持，邀请所有投标人参加).
SUBJECTS_AT: dict[Session, frozenset[SubjectKind]] = {
    Session.OPENING: frozenset({SubjectKind.BIDDER, SubjectKind.OWNER, SubjectKind.AGENT}),
    Session.EVALUATION: frozenset(SubjectKind),
}

MAX_EVIDENCE = 20
