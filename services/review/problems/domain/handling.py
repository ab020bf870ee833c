"""Who handles a case now — claim (认领) and reassign (转派), each with its reason in the history — and how
satisfied its reporter was once it is closed (满意度评价).

第十一条 names the desk that acts on each step (the IT division, the support team, the reporter's finance
bureau, a business division). A person of that desk claims the case, so colleagues see it is taken; taking it
over from a colleague says why. A consulting question that reached the wrong desk — a business question marked
as software operation, or the other way round — is reassigned to the desk that must answer it (第七条, 第十一条四3).
Neither restarts an SLA clock: the 2-hour response and same-day resolution run from the report (第十一条四4).
"""

from datetime import datetime

from services.review.problems.domain.case import Answerer, ProblemCase, Someone, Step, answerer_owner, owner_of
from services.review.problems.domain.commands import ClaimCase, RateService, ReassignQuestion
from services.review.problems.domain.common import DETAILED_REASON_MIN, REASON_MIN, required_text
from services.review.problems.domain.configuration import BUSINESS_DIVISION_IDS
from services.review.problems.domain.errors import IllegalTransition, InvalidCommand
from services.review.problems.domain.opening import first_answerer
from shared.events import ProblemClaimed, ProblemRated, ProblemReassigned
from shared.orgtree import REGION_CODE

REASSIGN_TARGETS = ("it_or_support", "bureau", "business_division")


def is_assigned_to(case: ProblemCase, someone: Someone) -> bool:
    return case.assignee is not None and case.assignee.get("user_id") == someone.user_id


def claim(case: ProblemCase, command: ClaimCase, *, by: Someone, now: datetime) -> None:
    """认领: the case is `by`'s from now on (the policy checked `by` belongs to the desk that acts)."""
    case.require(Step.CLAIM)
    if is_assigned_to(case, by):
        raise IllegalTransition("already_claimed", f"问题 {case.ticket_id} 已由您办理 (you handle it already)")
    previous = case.assignee
    reason = command.reason.strip()
    if previous is not None:
        reason = required_text(
            command.reason,
            REASON_MIN,
            "reason",
            f"该问题正由{previous.get('name', '同事')}办理，接手请说明原因",
            "say why you take it over from a colleague",
        )
    case.assignee = {"user_id": by.user_id, "name": by.name, "org_id": by.org_id, "at": now.isoformat()}
    note = f"接手{previous.get('name', '')}：{reason}" if previous else reason
    case.move(case.status, "claimed", by, now, note=note)
    case.emit(
        ProblemClaimed,
        assignee_id=by.user_id,
        assignee_name=by.name,
        previous_assignee_name=previous.get("name", "") if previous else "",
        reason=reason,
    )


def reassign(case: ProblemCase, command: ReassignQuestion, *, by: Someone, now: datetime) -> None:
    """转派: the question goes to the desk that must answer it; the clocks run on as they were."""
    case.require(Step.REASSIGN)
    reason = required_text(
        command.reason, DETAILED_REASON_MIN, "reason", "请说明转派原因", "say why it goes to another desk"
    )
    target = _answerer(case, command)
    current = case.answerer
    if current is not None and (current.kind, current.division_code, current.org_id) == (
        target.kind,
        target.division_code,
        target.org_id,
    ):
        raise IllegalTransition("same_handler", f"问题 {case.ticket_id} 已由{answerer_owner(target).label}办理")
    from_owner = owner_of(case).label
    case.answerer = target
    case.assignee = None
    to_owner = answerer_owner(target).label
    case.move(case.status, "reassigned", by, now, note=f"转派{to_owner}：{reason}")
    case.emit(ProblemReassigned, from_owner=from_owner, to_owner=to_owner, reason=reason)


def _answerer(case: ProblemCase, command: ReassignQuestion) -> Answerer:
    if command.to not in REASSIGN_TARGETS:
        raise InvalidCommand(
            "unknown_target",
            "转派对象须为：信息化处或技术支持服务团队、本级财政部门、自治区归口业务处室 "
            "(to must be it_or_support, bureau or business_division)",
            field="to",
        )
    if command.to == "it_or_support":
        return Answerer("it_or_support")
    if command.to == "bureau":
        if case.org_path[-2] == REGION_CODE:
            raise InvalidCommand(
                "no_bureau",
                "自治区本级单位的业务咨询由自治区归口业务处室答复 (a unit of the region has no bureau below it)",
                field="to",
            )
        return first_answerer("business", case.org_path)
    division = command.business_division_id
    if division is not None and division not in BUSINESS_DIVISION_IDS:
        raise InvalidCommand("unknown_business_division", f"未知的业务处室 {division}", field="business_division_id")
    return Answerer("business_division", org_id=division)


SCORES = range(1, 6)
COMMENT_MAX = 500


def rate(case: ProblemCase, command: RateService, *, by: Someone, now: datetime) -> None:
    """满意度评价: once the case is closed, its reporter rates the handling once (1–5, a comment if they like)."""
    case.require(Step.RATE)
    if case.rating is not None:
        raise IllegalTransition("already_rated", f"问题 {case.ticket_id} 已评价 (already rated)")
    if command.score not in SCORES:
        raise InvalidCommand("invalid_score", "满意度须为 1 至 5 星 (score must be 1 to 5)", field="score")
    comment = command.comment.strip()
    if len(comment) > COMMENT_MAX:
        raise InvalidCommand("too_long", f"评价意见不能超过 {COMMENT_MAX} 个字", field="comment")
    case.rating = {"score": command.score, "comment": comment, "at": now.isoformat(), "by": by.user_id}
    case.move(case.status, "rated", by, now, note=f"{command.score} 星" + (f"：{comment}" if comment else ""))
    case.emit(ProblemRated, score=command.score, comment=comment)
