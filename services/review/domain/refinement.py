"""Refinement and confirmation (第六条二、三; 第十二条二, 第十三条二、三).

The IT division (财政信息化主管处室) refines a reviewed requirement and hands it to the responsible
business division (归口业务处室), merges a duplicate into another requirement, or splits one that asks
for several unrelated things into requirements that go on each on its own; the business division it was
handed to confirms whether it will be implemented: adopt (with an expected upgrade date when
known) or decline with a reason, which the publication shows (第六条四).
"""

from datetime import date, datetime

from services.review.domain.case import Decision, HistoryEntry, ReviewCase, Someone, Status
from services.review.domain.commands import (
    ConfirmRequirement,
    MergeRequirement,
    RefineRequirement,
    RequirementPart,
    SplitRequirement,
)
from services.review.domain.errors import CaseNotFound, IllegalTransition, InvalidCommand, NotYourTurn
from services.review.domain.review import required_reason
from shared.auth import Principal
from shared.events import RequirementConfirmed, RequirementMerged, RequirementRefined, RequirementSplit, SplitPart
from shared.orgtree import BUSINESS_DIVISIONS

BUSINESS_DIVISION_IDS = frozenset(org_id for org_id, _, _ in BUSINESS_DIVISIONS)
REFINABLE = (Status.AWAITING_REFINEMENT, Status.AWAITING_CONFIRMATION)
DECLINE_REASON_MIN = 5
# Limits of the refined text, the same as at submission.
TITLE_LENGTH = (2, 100)
DESCRIPTION_LENGTH = (10, 5000)
MODULE_LENGTH = (0, 100)
SPLIT_PARTS = (2, 10)
TICKET_ID_MAX = 64  # the id pattern of every API path (^[A-Za-z0-9:_-]{1,64}$)


def refine(case: ReviewCase, command: RefineRequirement, *, by: Principal, now: datetime) -> None:
    """梳理细化 (第六条二): reviewed by every level, now clarified and routed to a business division.

    Until the business division has answered, the IT division may refine again (e.g. route it elsewhere).
    """
    _require_status(case, REFINABLE, "not_awaiting_refinement", "待梳理细化", "awaiting refinement")
    if not (command.business_division_id or "").strip():
        raise InvalidCommand(
            "business_division_required",
            "请选择归口业务处室：梳理细化后的需求须交由归口业务处室确认 (name the business division)",
            field="business_division_id",
        )
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


def split(case: ReviewCase, command: SplitRequirement, *, by: Principal, now: datetime) -> None:
    """拆分 (第六条二): one requirement asking for several unrelated things becomes 2–10 requirements, each
    refined, confirmed (第六条三), published, dispatched and verified on its own; the original ends here.

    Part ids follow from the original's (`REQ-…-1`, `REQ-…-2`, …), so a redelivered event can never open a
    part twice. The parts' review cases are opened by review from RequirementSplit (`split_parts`), not in
    this write: the event carries all a part needs, and the outbox delivers it at least once.
    """
    _require_status(case, REFINABLE, "not_splittable", "待梳理细化或待确认", "awaiting refinement or confirmation")
    low, high = SPLIT_PARTS
    if not low <= len(command.parts) <= high:
        raise InvalidCommand(
            "split_part_count",
            f"拆分须为 {low}～{high} 项需求 (a split makes {low}–{high} requirements)",
            field="parts",
        )
    if len(f"{case.ticket_id}-{len(command.parts)}") > TICKET_ID_MAX:
        raise InvalidCommand("ticket_id_too_long", f"需求 {case.ticket_id} 不能再拆分 (its id is too long to split)")
    items = [_part(case.ticket_id, number, part) for number, part in enumerate(command.parts, start=1)]
    reason = command.reason.strip()
    case.split_into = [item.ticket_id for item in items]
    case.status = Status.SPLIT
    case.events.append(
        RequirementSplit(
            ticket_id=case.ticket_id,
            parts=case.split_into,
            items=items,
            reason=reason,
            category=case.category,
            urgency=case.urgency,
            org_id=case.org_id,
            org_name=case.org_name,
            org_path=case.org_path,
            submitter_id=case.submitter_id,
            submitter_name=case.submitter_name,
        )
    )
    case.record("split", by, now, reason=reason, opinion=f"拆分为 {'、'.join(case.split_into)}")


def split_parts(original: ReviewCase, event: RequirementSplit, *, by: Someone, now: datetime) -> list[ReviewCase]:
    """The parts of a split as review cases awaiting refinement (第六条二).

    Every level already recommended the original (第三条), so each part starts where the original was
    refined: it keeps the original's submitter, organisation, chain, closed review tasks and the history of
    its level review, and says where it came from (`split_from`).
    """
    reviewed = _history_of_level_review(original.history)
    cases = []
    for item in event.items:
        part = ReviewCase(
            ticket_id=item.ticket_id,
            title=item.title,
            org_path=list(event.org_path or original.org_path),
            chain=list(original.chain),
            description=item.description,
            category=event.category or original.category,
            urgency=event.urgency or original.urgency,
            module=item.module,
            submitter_id=event.submitter_id or original.submitter_id,
            submitter_name=event.submitter_name or original.submitter_name,
            org_id=event.org_id or original.org_id,
            org_name=event.org_name or original.org_name,
            submitted_month=original.submitted_month,
            round=original.round,
            status=Status.AWAITING_REFINEMENT,
            tasks=list(original.tasks),
            history=list(reviewed),
            split_from=original.ticket_id,
        )
        part.record("split_from", by, now, reason=event.reason, opinion=f"由 {original.ticket_id} 拆分而来")
        cases.append(part)
    return cases


def _part(ticket_id: str, number: int, part: RequirementPart) -> SplitPart:
    """One part's texts, limited as at submission; a wrong one is named by its place (`parts.0.title`),
    as the API names the fields of its body."""
    where = f"parts.{number - 1}"
    title = _text(part.title, "", "title", f"第 {number} 项的标题", TITLE_LENGTH, field=f"{where}.title")
    description = _text(
        part.description, "", "description", f"第 {number} 项的描述", DESCRIPTION_LENGTH, field=f"{where}.description"
    )
    module = _text(part.module, "", "module", f"第 {number} 项的功能模块", MODULE_LENGTH, field=f"{where}.module")
    return SplitPart(ticket_id=f"{ticket_id}-{number}", title=title, description=description, module=module)


def _history_of_level_review(history: list[HistoryEntry]) -> list[HistoryEntry]:
    """The original's history up to the end of its level review (what every part went through too)."""
    ends = [index for index, entry in enumerate(history) if entry.action == "review_completed"]
    return history[: ends[-1] + 1] if ends else []


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


def _text(
    value: str | None, current: str, name: str, chinese: str, length: tuple[int, int], *, field: str | None = None
) -> str:
    if value is None:
        return current
    text = value.strip()
    low, high = length
    if not low <= len(text) <= high:
        raise InvalidCommand(
            f"{name}_length",
            f"{chinese}长度须在 {low}～{high} 字之间 ({field or name} must be {low}–{high} characters)",
            field=field or name,
        )
    return text
