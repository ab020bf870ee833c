"""Refinement and confirmation (第六条二、三; 第十二条二, 第十三条二、三).

The IT division (财政信息化主管处室) refines a reviewed requirement and hands it to the responsible
business division (归口业务处室), or merges a duplicate into another requirement; the business division
it was handed to confirms whether it will be implemented: adopt (with an expected upgrade date when
known) or decline with a reason, which the publication shows (第六条四).
"""

from datetime import date, datetime

from services.review.domain.case import Decision, ReviewCase, Status
from services.review.domain.commands import ConfirmRequirement, MergeRequirement, RefineRequirement
from services.review.domain.errors import CaseNotFound, IllegalTransition, InvalidCommand, NotYourTurn
from services.review.domain.review import required_reason
from shared.auth import Principal
from shared.events import RequirementConfirmed, RequirementMerged, RequirementRefined
from shared.orgtree import BUSINESS_DIVISIONS

BUSINESS_DIVISION_IDS = frozenset(org_id for org_id, _, _ in BUSINESS_DIVISIONS)
REFINABLE = (Status.AWAITING_REFINEMENT, Status.AWAITING_CONFIRMATION)
DECLINE_REASON_MIN = 5
# Limits of the refined text, the same as at submission.
TITLE_LENGTH = (2, 100)
DESCRIPTION_LENGTH = (10, 5000)
MODULE_LENGTH = (0, 100)


def refine(case: ReviewCase, command: RefineRequirement, *, by: Principal, now: datetime) -> None:
    """梳理细化 (第六条二): reviewed by every level, now clarified and routed to a business division.

    Until the business division has answered, the IT division may refine again (e.g. route it elsewhere).
    """
    _require_status(case, REFINABLE, "not_awaiting_refinement", "待梳理细化", "awaiting refinement")
    if command.business_division_id not in BUSINESS_DIVISION_IDS:
        raise InvalidCommand(
            "unknown_business_division",
            f"归口业务处室 {command.business_division_id} 不存在 (no such business division)",
            field="business_division_id",
        )
    case.title = _text(command.title, case.title, "title", "标题", TITLE_LENGTH)
    case.description = _text(command.description, case.description, "description", "描述", DESCRIPTION_LENGTH)
    case.module = _text(command.module, case.module, "module", "功能模块", MODULE_LENGTH)
    case.business_division_id = command.business_division_id
    case.refinement_notes = command.notes.strip()
    case.status = Status.AWAITING_CONFIRMATION
    case.events.append(
        RequirementRefined(
            ticket_id=case.ticket_id,
            title=case.title,
            description=case.description,
            module=case.module,
            business_division_id=command.business_division_id,
            notes=case.refinement_notes,
        )
    )
    case.record("refined", by, now, opinion=case.refinement_notes)


def merge(case: ReviewCase, command: MergeRequirement, *, into: ReviewCase, by: Principal, now: datetime) -> None:
    """A duplicate joins `into` (itself awaiting refinement or confirmation) and ends here."""
    if into.ticket_id == case.ticket_id:
        raise InvalidCommand("merge_into_itself", "需求不能合并到自身 (cannot merge into itself)", field="into")
    _require_status(case, REFINABLE, "not_mergeable", "待梳理细化或待确认", "awaiting refinement or confirmation")
    if into.status not in REFINABLE:
        raise IllegalTransition(
            "merge_target_not_open",
            f"目标需求 {into.ticket_id} 处于「{into.status.label}」，不能并入 (the target is {into.status})",
            field="into",
        )
    reason = command.reason.strip()
    case.merged_into = into.ticket_id
    case.status = Status.MERGED
    case.events.append(RequirementMerged(ticket_id=case.ticket_id, into=into.ticket_id, reason=reason))
    case.record("merged", by, now, reason=reason, opinion=f"并入 {into.ticket_id}")


def confirm(case: ReviewCase, command: ConfirmRequirement, *, by: Principal, today: date, now: datetime) -> None:
    """需求确认 (第六条三): the business division it was routed to decides whether it will be implemented."""
    if not by.covers(case.org_path):
        raise CaseNotFound(case.ticket_id)
    _require_status(
        case, (Status.AWAITING_CONFIRMATION,), "not_awaiting_confirmation", "待确认", "awaiting confirmation"
    )
    if by.org_id != case.business_division_id:
        raise NotYourTurn(
            "not_assigned_division",
            f"需求 {case.ticket_id} 由归口业务处室 {case.business_division_id} 确认"
            f" (it is routed to the business division {case.business_division_id}, not yours)",
        )
    reason = command.reason.strip()
    if command.adopted:
        if command.expected_upgrade and command.expected_upgrade < today:
            raise InvalidCommand(
                "expected_upgrade_in_past",
                "预计升级时间不能早于今天 (the expected upgrade date is in the past)",
                field="expected_upgrade",
            )
    else:
        reason = required_reason(reason, DECLINE_REASON_MIN, "不予采纳须说明原因", "a decline needs a reason")
        if command.expected_upgrade:
            raise InvalidCommand(
                "upgrade_date_on_decline",
                "不予采纳的需求没有预计升级时间 (a declined requirement has no upgrade date)",
                field="expected_upgrade",
            )
    case.decision = _decision(case, command, reason, by, now)
    case.status = Status.CONFIRMED
    case.events.append(
        RequirementConfirmed(
            ticket_id=case.ticket_id,
            adopted=command.adopted,
            reason=reason,
            business_division_id=by.org_id,
            expected_upgrade=command.expected_upgrade,
            title=case.title,
            description=case.description,
            category=case.category,
            urgency=case.urgency,
            submitter_id=case.submitter_id,
            org_path=case.org_path,
        )
    )
    case.record("adopted" if command.adopted else "declined", by, now, reason=reason)


def _decision(case: ReviewCase, command: ConfirmRequirement, reason: str, by: Principal, now: datetime) -> Decision:
    return Decision(
        adopted=command.adopted,
        business_division_id=by.org_id,
        decided_by=by.user_id,
        decided_at=now,
        reason=reason,
        expected_upgrade=command.expected_upgrade,
    )


def _require_status(case: ReviewCase, allowed: tuple[Status, ...], code: str, chinese: str, english: str) -> None:
    if case.status not in allowed:
        raise IllegalTransition(
            code,
            f"需求 {case.ticket_id} 当前为「{case.status.label}」，不是{chinese} (it is {case.status}, not {english})",
        )


def _text(value: str | None, current: str, name: str, chinese: str, length: tuple[int, int]) -> str:
    if value is None:
        return current
    text = value.strip()
    low, high = length
    if not low <= len(text) <= high:
        raise InvalidCommand(
            f"{name}_length",
            f"{chinese}长度须在 {low}～{high} 字之间 ({name} must be {low}–{high} characters)",
            field=name,
        )
    return text
