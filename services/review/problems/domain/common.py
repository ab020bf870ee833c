"""Steps every category shares: asking the reporter (clocks paused), their reply, the close, reasons."""

from datetime import datetime
from typing import Any

from services.review.problems.domain.case import ProblemCase, Someone, Status, Step
from services.review.problems.domain.commands import RefineProblem
from services.review.problems.domain.errors import InvalidCommand
from shared.events import (
    ProblemClosed,
    ProblemReadyForDispatch,
    ProblemRefined,
    ProblemUserInputRequested,
    ProblemUserReplied,
    ProblemVerified,
)

# A reason the other side must act on (a failed verification, a refused plan): never empty.
REASON_MIN = 5
# 第十一条二2 及时答复用户 / 第七条 rejections: a reasoned reply, at least this many characters.
DETAILED_REASON_MIN = 10
BUG_FACTS = ("error_text", "steps", "os", "browser", "browser_version")


def ask_user(case: ProblemCase, question: str, by: Someone, now: datetime, *, resume: Status) -> None:
    """The case waits for the reporter (clocks paused) and resumes at `resume` when they reply."""
    question = required_text(question, REASON_MIN, "question", "请说明需要用户补充的信息", "say what the user must add")
    case.resume_status = resume
    case.move(Status.WAITING_FOR_USER, "user_input_requested", by, now, note=question)
    case.emit(ProblemUserInputRequested, question=question)


def reply(case: ProblemCase, text: str, by: Someone, now: datetime) -> None:
    """The reporter answers what was asked; the case goes back to where it was."""
    text = required_text(text, 1, "reply", "请填写回复内容", "the reply is empty")
    case.move(case.resume_status or Status.REPORTED, "user_replied", by, now, note=text)
    case.resume_status = None
    case.emit(ProblemUserReplied, reply=text)


def required_text(value: str, minimum: int, field: str, zh: str, en: str) -> str:
    value = (value or "").strip()
    if len(value) < minimum:
        raise InvalidCommand(
            "reason_required", f"{zh}（至少 {minimum} 个字）({en}: at least {minimum} characters)", field=field
        )
    return value


def close(case: ProblemCase, outcome: str, by: Someone, now: datetime, reason: str = "", *, action: str = "") -> None:
    """办结: the resolution clock stops (services/review/problems/sla.py)."""
    case.move(Status.CLOSED, action or f"closed_{outcome}", by, now, note=reason)
    case.closed_at = now
    case.outcome = outcome
    case.outcome_reason = reason


def verify(case: ProblemCase, passed: bool, reason: str, by: Someone, now: datetime, *, back_to: Status) -> None:
    """The reporter's verification: passed closes the case; failed (with the reason) goes back to `back_to`."""
    if passed:
        close(case, "resolved", by, now, reason.strip(), action="verification_passed")
        case.emit(ProblemVerified, passed=True, reason=reason.strip())
        case.emit(ProblemClosed, outcome="resolved", reason=reason.strip())
        return
    reason = required_text(
        reason, REASON_MIN, "reason", "验证未通过须说明原因", "a failed verification needs the reason"
    )
    case.move(back_to, "verification_failed", by, now, note=reason)
    case.emit(ProblemVerified, passed=False, reason=reason)


def close_with_reason(case: ProblemCase, outcome: str, by: Someone, now: datetime, reason: str) -> None:
    """A refusal ends the case at once with a reasoned reply to the reporter (第十一条二2, 第七条)."""
    close(case, outcome, by, now, reason)
    case.emit(ProblemClosed, outcome=outcome, reason=reason)


def refine(case: ProblemCase, command: RefineProblem, *, by: Someone, now: datetime) -> None:
    """梳理细化 (第十一条一2、二2), by the IT division; the first staff action stops the response clock.

    For a bug the error content, the user's steps, the OS and the browser are confirmed (第十一条一2).
    """
    case.require(Step.REFINE)
    confirmed: dict[str, str] = {}
    if case.category == "bug":
        for key in BUG_FACTS:
            value = (getattr(command, key) or case.details.get(key) or "").strip()
            if not value and key != "browser_version":
                raise InvalidCommand("fact_missing", f"梳理细化须确认 {key} ({key} must be confirmed)", field=key)
            confirmed[key] = value
    notes = command.notes.strip()
    case.refinement = {**confirmed, "notes": notes}
    case.responded(now)
    case.move(Status.REFINED, "refined", by, now, note=notes)
    case.emit(ProblemRefined, notes=notes, confirmed=confirmed)


def priority_suggestion(case: ProblemCase) -> str:
    """急事急办 (第十一条一): urgent first; a stated business impact next; the IT division decides at dispatch."""
    if case.urgent:
        return "P1"
    return "P2" if case.details.get("business_impact") or case.category == "data_repair" else "P3"


def ready_for_dispatch(case: ProblemCase, reason: str = "", details: dict[str, Any] | None = None) -> None:
    """派发工单 (第十一条一5、三6): dispatch turns this into a work order for the vendor."""
    case.dispatch_round += 1
    case.emit(
        ProblemReadyForDispatch,
        title=case.title,
        description=case.description,
        module=case.module,
        org_name=case.org_name,
        priority_suggestion=priority_suggestion(case),
        round=case.dispatch_round,
        reason=reason,
        details=details if details is not None else {**case.details, **case.refinement},
    )
