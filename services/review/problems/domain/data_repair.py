"""数据修复 (第七条, 第十一条三): reviewed by the league/city bureau and the region, confirmed by the business
division, a repair plan the reporter confirms, the original data backed up, repaired, the result confirmed.

第七条: 确需修改的，由各盟市财政部门审核后，提交自治区财政厅，经归口业务处室确认后统一修正，修正后用户进行二次确认.
A unit directly under the region has no league/city bureau: the region reviews first. The backup (a
reference and the SHA-256 of its content) must be recorded before the repair (第十一条三7).
"""

import re
from datetime import datetime

from services.review.problems.domain.case import ProblemCase, Someone, Status, Step, bureau_owner
from services.review.problems.domain.commands import (
    AnswerRepairPlan,
    ConfirmRepairForBusiness,
    PlanRepair,
    RecordBackup,
    RecordRepair,
    ReviewRepair,
    VerifyResult,
)
from services.review.problems.domain.common import (
    DETAILED_REASON_MIN,
    REASON_MIN,
    close,
    ready_for_dispatch,
    required_text,
    verify,
)
from services.review.problems.domain.errors import IllegalTransition, InvalidCommand, NotYourTurn
from shared.auth import Principal
from shared.events import (
    ProblemBusinessConfirmed,
    ProblemClosed,
    ProblemDataBackedUp,
    ProblemDataRepaired,
    ProblemRepairPlanAnswered,
    ProblemRepairPlanned,
    ProblemRepairReviewed,
)

SHA256 = re.compile(r"^[0-9a-f]{64}$")
PLAN_FIELDS = ("business_stage", "data_type", "upstream_downstream", "monitoring_rules")


def review(case: ProblemCase, command: ReviewRepair, *, by: Principal, now: datetime) -> None:
    """The current level's finance bureau approves (on to the next level) or rejects with the reason."""
    case.require(Step.REVIEW)
    step = case.review_step
    assert step is not None
    if not reviewers_turn(case, by):
        raise NotYourTurn(case.ticket_id, bureau_owner(step.division_code).label)
    case.responded(now)
    opinion = command.opinion.strip()
    reviewed = {"level": step.level, "division_code": step.division_code}
    if not command.approved:
        reason = required_text(
            opinion, DETAILED_REASON_MIN, "opinion", "不同意修复须说明理由", "a rejection needs the reason"
        )
        close(case, "rejected", by, now, reason, action=f"{step.level}_review_rejected")
        case.emit(ProblemRepairReviewed, **reviewed, approved=False, opinion=reason)
        case.emit(ProblemClosed, outcome="rejected", reason=reason)
        return
    case.review_position += 1
    following = Status.AWAITING_REGION_REVIEW if case.review_step else Status.AWAITING_BUSINESS_CONFIRMATION
    case.move(following, f"{step.level}_review_approved", by, now, note=opinion)
    case.emit(ProblemRepairReviewed, **reviewed, approved=True, opinion=opinion)


def reviewers_turn(case: ProblemCase, by: Principal) -> bool:
    """Whether the review due now is `by`'s finance bureau's (第七条: the league/city first, then the region)."""
    step = case.review_step
    return step is not None and by.division_code == step.division_code


def confirm_for_business(case: ProblemCase, command: ConfirmRepairForBusiness, *, by: Principal, now: datetime) -> None:
    """经归口业务处室确认 (第七条): confirmed → the IT division plans the repair; declined → closed with the reason."""
    case.require(Step.CONFIRM_BUSINESS)
    case.business_division_id = by.org_id
    if not command.confirmed:
        reason = required_text(
            command.reason, DETAILED_REASON_MIN, "reason", "不予确认须说明理由", "a refusal needs the reason"
        )
        close(case, "declined", by, now, reason, action="business_declined")
        case.emit(ProblemBusinessConfirmed, business_division_id=by.org_id, confirmed=False, reason=reason)
        case.emit(ProblemClosed, outcome="declined", reason=reason)
        return
    case.move(Status.PLANNING, "business_confirmed", by, now, note=command.reason.strip())
    case.emit(ProblemBusinessConfirmed, business_division_id=by.org_id, confirmed=True, reason=command.reason.strip())


def plan(case: ProblemCase, command: PlanRepair, *, by: Someone, now: datetime) -> None:
    """制定数据修复方案 (第十一条三4): business stage, data type, upstream and downstream links, affected reports,
    monitoring rules — each stated."""
    case.require(Step.PLAN)
    fields = {
        name: required_text(getattr(command, name), 2, name, "修复方案须填写此项", "required") for name in PLAN_FIELDS
    }
    reports = [report.strip() for report in command.affected_reports if report.strip()]
    if not reports:
        raise InvalidCommand(
            "reason_required", "请列出受影响报表 (name the affected reports)", field="affected_reports"
        )
    case.plan_round += 1
    case.plan = {**fields, "affected_reports": reports, "steps": command.steps.strip(), "round": case.plan_round}
    case.plan |= {"by": by.user_id, "at": now}
    case.backup = case.repair = None
    case.move(Status.AWAITING_PLAN_CONFIRMATION, "repair_planned", by, now, note=f"方案第 {case.plan_round} 版")
    case.emit(
        ProblemRepairPlanned, round=case.plan_round, affected_reports=reports, steps=command.steps.strip(), **fields
    )


def answer_plan(case: ProblemCase, command: AnswerRepairPlan, *, by: Someone, now: datetime) -> None:
    """确认数据修复方案 (第十一条三5): accepted → work order (三6), then the backup; refused → planned again."""
    case.require(Step.ANSWER_PLAN)
    if command.accepted:
        case.move(Status.AWAITING_BACKUP, "plan_accepted", by, now, note=command.reason.strip())
        case.emit(ProblemRepairPlanAnswered, round=case.plan_round, accepted=True, reason=command.reason.strip())
        ready_for_dispatch(case, details={**case.details, "plan": _plain(case.plan)})
        return
    reason = required_text(
        command.reason, REASON_MIN, "reason", "不同意修复方案须说明原因", "a refusal needs the reason"
    )
    case.move(Status.PLANNING, "plan_refused", by, now, note=reason)
    case.emit(ProblemRepairPlanAnswered, round=case.plan_round, accepted=False, reason=reason)


def back_up(case: ProblemCase, command: RecordBackup, *, by: Someone, now: datetime) -> None:
    """做好原始数据备份 (第十一条三7): where the original data is kept and its SHA-256 checksum."""
    case.require(Step.BACK_UP)
    reference = required_text(command.reference, 3, "reference", "请填写备份位置", "the backup reference is missing")
    checksum = command.sha256.strip().lower()
    if not SHA256.match(checksum):
        raise InvalidCommand(
            "invalid_checksum", "校验值须为 64 位十六进制 SHA-256 (sha256: 64 hex digits)", field="sha256"
        )
    case.backup = {"reference": reference, "sha256": checksum, "by": by.user_id, "at": now}
    case.move(Status.AWAITING_REPAIR, "data_backed_up", by, now, note=f"{reference} sha256={checksum}")
    case.emit(ProblemDataBackedUp, reference=reference, sha256=checksum)


def repair(case: ProblemCase, command: RecordRepair, *, by: Someone, now: datetime) -> None:
    """数据修复 (第十一条三7): only once the original data is backed up."""
    if case.status is Status.AWAITING_BACKUP:
        raise IllegalTransition(
            "backup_required", f"问题 {case.ticket_id} 须先备份原始数据再修复 (back up the original data first)"
        )
    case.require(Step.REPAIR)
    case.repair = {"note": command.note.strip(), "by": by.user_id, "at": now}
    case.move(Status.AWAITING_VERIFICATION, "data_repaired", by, now, note=command.note.strip())
    case.emit(ProblemDataRepaired, note=command.note.strip())


def verify_repair(case: ProblemCase, command: VerifyResult, *, by: Someone, now: datetime) -> None:
    """业务验证 (第十一条三8): the reporter confirms the repaired data; otherwise a new plan is made."""
    case.require(Step.VERIFY)
    verify(case, command.passed, command.reason, by, now, back_to=Status.PLANNING)


def _plain(plan: dict | None) -> dict:
    return {key: value for key, value in (plan or {}).items() if key not in ("by", "at")}
