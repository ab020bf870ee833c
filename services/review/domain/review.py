"""Level review (第三条, 第六条一): forward to the level above, reject with a detailed reason, or return.

Only the finance bureau whose turn it is acts: the reviewer's division must be the current task's. A
reviewer outside the requirement's area does not even learn it exists (404); a reviewer inside it whose
level is not the current one, or who acts on a case no longer in review, gets a conflict (409).
"""

from dataclasses import replace
from datetime import datetime, timedelta

from services.review.domain.case import (
    LEVEL_NAMES,
    ReviewCase,
    ReviewTask,
    Status,
    open_first_task,
    open_task,
    submitter_entry,
    take_submission,
)
from services.review.domain.commands import ForwardRequirement, RejectRequirement, ReturnRequirement
from services.review.domain.deadline import ReviewDeadline
from services.review.domain.errors import (
    CaseNotFound,
    IllegalTransition,
    InvalidCommand,
    NotYourTurn,
    RoundAlreadyProcessed,
)
from shared.auth import Principal
from shared.events import (
    RequirementForwarded,
    RequirementRejected,
    RequirementReturned,
    RequirementReviewCompleted,
    RequirementSubmitted,
    ReviewTaskOverdue,
)

# 第六条一: 对不予实现的需求，详细描述驳回理由 — "detailed" is at least this many characters.
DETAILED_REASON_MIN = 10
# A return tells the submitter what to amend: shorter, but never empty.
RETURN_REASON_MIN = 5


def forward(case: ReviewCase, command: ForwardRequirement, *, by: Principal, now: datetime) -> None:
    """建议实现的业务需求报送上级财政部门复核; at the region, review is complete (第六条二 follows)."""
    task = _reviewers_turn(case, by)
    case.close_current_task("forwarded", by, now)
    above = case.level_above(task.division_code)
    opinion = command.opinion.strip()
    case.events.append(
        RequirementForwarded(
            ticket_id=case.ticket_id,
            task_id=task.id,
            level=task.level,
            division_code=task.division_code,
            opinion=opinion,
            next_level=above[0] if above else None,
        )
    )
    case.record("forwarded", by, now, level=task.level, opinion=opinion)
    if above:
        open_task(case, *above, now)
        return
    case.status = Status.AWAITING_REFINEMENT
    case.events.append(
        RequirementReviewCompleted(
            ticket_id=case.ticket_id, title=case.title, category=case.category, org_path=case.org_path
        )
    )
    case.record("review_completed", by, now, level=task.level)


def reject(case: ReviewCase, command: RejectRequirement, *, by: Principal, now: datetime) -> None:
    """不予实现: the requirement ends here, and the submitter is told why in detail (第六条一)."""
    task = _reviewers_turn(case, by)
    reason = required_reason(
        command.reason, DETAILED_REASON_MIN, "驳回理由须详细说明", "a rejection needs a detailed reason"
    )
    _send_back(case, task, "rejected", Status.REJECTED, RequirementRejected, reason, by=by, now=now)


def return_for_amendment(case: ReviewCase, command: ReturnRequirement, *, by: Principal, now: datetime) -> None:
    """Back to the submitter to amend it; the case waits for the next submission round."""
    task = _reviewers_turn(case, by)
    reason = required_reason(command.reason, RETURN_REASON_MIN, "退回须说明修改要求", "a return needs a reason")
    _send_back(case, task, "returned", Status.RETURNED, RequirementReturned, reason, by=by, now=now)


def _send_back(
    case: ReviewCase,
    task: ReviewTask,
    action: str,
    status: Status,
    event: type[RequirementRejected] | type[RequirementReturned],
    reason: str,
    *,
    by: Principal,
    now: datetime,
) -> None:
    """The current level's reviewer ends this round (rejected or returned), with the reason for the submitter."""
    case.close_current_task(action, by, now)
    case.status = status
    case.events.append(
        event(
            ticket_id=case.ticket_id,
            task_id=task.id,
            level=task.level,
            division_code=task.division_code,
            reason=reason,
            submitter_id=case.submitter_id,
            org_path=case.org_path,
        )
    )
    case.record(action, by, now, level=task.level, reason=reason)


def reopen_after_amendment(case: ReviewCase, submitted: RequirementSubmitted, *, now: datetime) -> None:
    """The amended requirement is reviewed again from the unit's own bureau, as a new round (第三条).

    A round is processed once: the same or an older round arriving again raises RoundAlreadyProcessed.
    """
    if submitted.round <= case.round:
        raise RoundAlreadyProcessed(case.ticket_id, submitted.round)
    if case.status is not Status.RETURNED:
        raise IllegalTransition(
            "not_returned",
            f"需求 {case.ticket_id} 未被退回，不能重新提交（当前：{case.status.label}）"
            f" (only a returned requirement can be resubmitted; it is {case.status})",
        )
    take_submission(case, submitted)
    case.history.append(submitter_entry("resubmitted", submitted, now))
    open_first_task(case, now)


def _reviewers_turn(case: ReviewCase, by: Principal) -> ReviewTask:
    """The current task, if it is this reviewer's bureau's turn (第三条: 本级财政部门, then the level above)."""
    if not by.covers(case.org_path):
        raise CaseNotFound(case.ticket_id)
    task = case.current_task
    if task is None:
        raise IllegalTransition(
            "not_in_review",
            f"需求 {case.ticket_id} 当前不在审核中（{case.status.label}） (not in review: {case.status})",
        )
    if by.org_kind != "finance_bureau" or by.division_code != task.division_code:
        raise NotYourTurn(
            "task_not_current",
            f"需求 {case.ticket_id} 当前由{LEVEL_NAMES[task.level]}财政部门（{task.division_code}）审核"
            f" (the open review task is at the {task.level} bureau {task.division_code}, not yours)",
        )
    return task


def required_reason(text: str, minimum: int, chinese: str, english: str) -> str:
    reason = text.strip()
    if len(reason) < minimum:
        raise InvalidCommand(
            "reason_too_short",
            f"{chinese}，至少 {minimum} 个字 ({english} of at least {minimum} characters)",
            field="reason",
        )
    return reason


def remind_if_overdue(case: ReviewCase, deadline: ReviewDeadline, *, now: datetime, offset: timedelta) -> bool:
    """The open task missed its level's deadline (the region's rule, decision 0009): ReviewTaskOverdue, once
    per task. `now` is the business clock's; a task's stored opening is real time, so `offset` (business
    minus real) dates it the way the queue does. A new level or round opens a new task with its own deadline."""
    task = case.current_task
    if task is None or task.opened_at is None or task.overdue_at is not None:
        return False
    opened = task.opened_at + offset
    if not deadline.is_overdue(opened, now):
        return False
    case.tasks[-1] = replace(task, overdue_at=now - offset)
    case.events.append(
        ReviewTaskOverdue(
            task_id=task.id,
            ticket_id=case.ticket_id,
            title=case.title,
            level=task.level,
            division_code=task.division_code,
            bureau_org_id=task.bureau_org_id,
            org_path=case.org_path,
            due_on=deadline.due_on(opened),
        )
    )
    return True
