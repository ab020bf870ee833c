"""软件BUG (第十一条一): refine → reproduce → the reporter confirms → work order → patch → second verification.

Urgent bugs (急事急办、特事特办) carry P1 and tighter clocks (services/review/problems/sla.py). When the
IT division cannot reproduce the bug it asks the reporter (the clocks pause) and tries again on the reply.
"""

from datetime import datetime

from services.review.problems.domain.case import ProblemCase, Someone, Status, Step
from services.review.problems.domain.commands import (
    ConfirmProblem,
    MarkFixReleased,
    ReproduceProblem,
    VerifyResult,
)
from services.review.problems.domain.common import REASON_MIN, ready_for_dispatch, required_text, verify
from shared.events import (
    ProblemConfirmedByUser,
    ProblemFixReleased,
    ProblemReproduced,
    ProblemUserInputRequested,
)


def reproduce(case: ProblemCase, command: ReproduceProblem, *, by: Someone, now: datetime) -> None:
    """复现问题 (第十一条一3): reproduced → the reporter confirms; not reproduced → the reporter is asked."""
    case.require(Step.REPRODUCE)
    notes = command.notes.strip()
    if command.reproduced:
        case.move(Status.AWAITING_USER_CONFIRMATION, "reproduced", by, now, note=notes)
        case.emit(ProblemReproduced, reproduced=True, notes=notes)
        return
    question = required_text(
        command.question, REASON_MIN, "question", "未能复现时须说明需要用户补充的信息", "say what the user must add"
    )
    case.resume_status = Status.REFINED
    case.move(Status.WAITING_FOR_USER, "not_reproduced", by, now, note=question)
    case.emit(ProblemReproduced, reproduced=False, notes=notes)
    case.emit(ProblemUserInputRequested, question=question)


def confirm(case: ProblemCase, command: ConfirmProblem, *, by: Someone, now: datetime) -> None:
    """确认问题 (第十一条一4): the reporter confirms it; the case is ready for a work order (第十一条一5)."""
    case.require(Step.CONFIRM)
    case.user_requirements = command.requirements.strip()
    case.move(Status.READY_FOR_DISPATCH, "confirmed_by_user", by, now, note=case.user_requirements)
    case.emit(ProblemConfirmedByUser, requirements=case.user_requirements)
    ready_for_dispatch(case)


def release(case: ProblemCase, command: MarkFixReleased, *, by: Someone, now: datetime) -> None:
    """补丁发布 (第十一条一7): the IT division marks the fix released; the reporter verifies it."""
    case.require(Step.RELEASE)
    version = required_text(command.version, 1, "version", "请填写补丁版本号", "the patch version is missing")
    case.release = {"version": version, "note": command.note.strip(), "by": by.user_id, "at": now}
    case.move(Status.AWAITING_VERIFICATION, "fix_released", by, now, note=version)
    case.emit(ProblemFixReleased, version=version, note=command.note.strip())


def verify_fix(case: ProblemCase, command: VerifyResult, *, by: Someone, now: datetime) -> None:
    """二次验证 (第十一条一7、8): passed closes; failed goes back for another work order, with the reason."""
    case.require(Step.VERIFY)
    verify(case, command.passed, command.reason, by, now, back_to=Status.READY_FOR_DISPATCH)
    if not command.passed:
        ready_for_dispatch(case, reason=case.history[-1].note)
