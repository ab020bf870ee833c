"""操作咨询 (第七条, 第十一条四): answered by the right level, within 2 working hours, resolved the same day.

- Software operation: the IT division or the technical support team (400 hotline / WeChat duty) answers.
- Business: the reporter's own finance bureau (its county, or its league/city) answers (第十四条五); when it
  cannot, it escalates to the region's business division (第七条 各级无法答复的，可及时向自治区归口业务处室咨询).
The reporter accepts the answer (closed) or asks again; the IT division may promote the answer to the FAQ.
"""

from dataclasses import asdict
from datetime import datetime

from services.review.problems.domain.case import Answerer, ProblemCase, Someone, Status, Step, answerer_owner
from services.review.problems.domain.commands import AcceptAnswer, AnswerQuestion, AskAgain, AskUser, EscalateQuestion
from services.review.problems.domain.common import REASON_MIN, ask_user, close, required_text
from services.review.problems.domain.configuration import BUSINESS_DIVISION_IDS
from services.review.problems.domain.errors import IllegalTransition, InvalidCommand, NotYourTurn
from shared.auth import Principal
from shared.events import GuideLink, ProblemAnswered, ProblemClosed, ProblemFollowUpAsked, ProblemQuestionEscalated
from shared.orgtree import REGION_CODE


def may_answer(case: ProblemCase, by: Principal) -> bool:
    """Whether `by` is the case's answerer now (the role was checked by policy; this is the turn)."""
    answerer = case.answerer
    if answerer is None:
        return False
    if answerer.kind == "it_or_support":
        return by.has_role("it_division", "duty_operator")
    if answerer.kind == "bureau":
        own_levels = [code for code in case.org_path[1:-1] if code != REGION_CODE]
        return by.org_kind == "finance_bureau" and by.division_code in own_levels
    return by.org_kind == "business_division" and answerer.org_id in (None, by.org_id)


def may_escalate(case: ProblemCase) -> bool:
    """Only a business question waiting for a finance bureau goes up to the region's business division (第七条)."""
    return case.answerer is not None and case.answerer.kind == "bureau"


def escalate(case: ProblemCase, command: EscalateQuestion, *, by: Principal, now: datetime) -> None:
    """The finance bureau cannot answer a business question: the region's business division takes it."""
    case.require(Step.ESCALATE)
    if not may_escalate(case):
        raise IllegalTransition(
            "cannot_escalate", "只有财政部门待答复的业务咨询可以上报 (only a bureau's question escalates)"
        )
    _answerers_turn(case, by)
    reason = required_text(
        command.reason, REASON_MIN, "reason", "请说明无法答复的原因", "say why it cannot be answered"
    )
    division = command.business_division_id
    if division is not None and division not in BUSINESS_DIVISION_IDS:
        raise InvalidCommand("unknown_business_division", f"未知的业务处室 {division}", field="business_division_id")
    from_division = case.answerer.division_code or ""
    case.answerer = Answerer("business_division", org_id=division)
    case.escalated = True
    case.move(Status.AWAITING_ANSWER, "escalated", by, now, note=reason)
    case.emit(ProblemQuestionEscalated, from_division=from_division, business_division_id=division, reason=reason)


def ask(case: ProblemCase, command: AskUser, *, by: Principal, now: datetime) -> None:
    """Ask the reporter for what is missing; a reply to the user is a response (第十一条四 2小时内回应)."""
    case.require(Step.ASK_USER)
    _answerers_turn(case, by)
    case.responded(now)
    ask_user(case, command.question, by, now, resume=Status.AWAITING_ANSWER)


def answer(case: ProblemCase, command: AnswerQuestion, *, by: Principal, now: datetime) -> None:
    """统一答复 (第十一条四3), with links to the manual or video that shows it."""
    case.require(Step.ANSWER)
    _answerers_turn(case, by)
    text = required_text(command.answer, 2, "answer", "请填写答复内容", "the answer is empty")
    links = [asdict(link) for link in command.links]
    case.responded(now)
    case.answers += 1
    case.answer = {"text": text, "by": by.user_id, "by_name": by.name, "org_id": by.org_id, "at": now}
    case.answer["links"] = links
    case.move(Status.ANSWERED, "answered", by, now, note=text)
    case.emit(ProblemAnswered, answer=text, links=[GuideLink(**link) for link in links])


def accept(case: ProblemCase, command: AcceptAnswer, *, by: Someone, now: datetime) -> None:
    """The reporter is satisfied: resolved (当日办结 when today, 第十一条四4)."""
    case.require(Step.ACCEPT)
    close(case, "resolved", by, now, action="answer_accepted")
    case.emit(ProblemClosed, outcome="resolved")


def ask_again(case: ProblemCase, command: AskAgain, *, by: Someone, now: datetime) -> None:
    """The answer did not help: the same answerer takes the follow-up question."""
    case.require(Step.ASK_AGAIN)
    question = required_text(command.question, 2, "question", "请填写追问内容", "the question is empty")
    case.move(Status.AWAITING_ANSWER, "asked_again", by, now, note=question)
    case.emit(ProblemFollowUpAsked, question=question)


def mark_promoted(case: ProblemCase, entry_id: str, *, by: Someone, now: datetime) -> None:
    """第七条: the answer went into the FAQ (常见问题集); a case is promoted once."""
    case.require(Step.PROMOTE)
    if case.faq_entry_id is not None:
        raise IllegalTransition("already_promoted", f"问题 {case.ticket_id} 已收入常见问题集 ({case.faq_entry_id})")
    case.faq_entry_id = entry_id
    case.move(case.status, "promoted_to_faq", by, now, note=entry_id)


def _answerers_turn(case: ProblemCase, by: Principal) -> None:
    if not may_answer(case, by):
        assert case.answerer is not None
        raise NotYourTurn(case.ticket_id, answerer_owner(case.answerer).label)
