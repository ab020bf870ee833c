"""Who may take which step of a problem case (第十二条～第十五条). One place for the rules of access; the
domain keeps the rules of turn (which finance bureau's review it is, which business division answers).

A case outside the user's area answers 404, as if it did not exist (docs/security.md); a role that may
never take the step gets 403; the right role at the wrong bureau or division gets 409 from the domain.
"""

from services.review.problems.domain import ProblemCase, ProblemNotFound, Step, is_turn_of, owner_of, steps_allowed_now
from services.review.problems.domain.consulting import may_answer
from shared.auth import (
    AUDITOR,
    BUSINESS_DIVISION,
    DUTY_OPERATOR,
    IT_DIVISION,
    REVIEWER,
    SYSADMIN,
    Principal,
)
from shared.errors import Forbidden

HANDLING_STEPS = {Step.CLAIM, Step.REASSIGN, Step.PROMOTE}
IT_STEPS = {Step.REFINE, Step.REPRODUCE, Step.RELEASE, Step.CONFIGURE, Step.PLAN, Step.BACK_UP, Step.REPAIR}
REPORTER_STEPS = {Step.REPLY, Step.CONFIRM, Step.VERIFY, Step.ANSWER_PLAN, Step.ACCEPT, Step.ASK_AGAIN, Step.RATE}
ANSWERER_ROLES = {
    "it_or_support": ((IT_DIVISION, DUTY_OPERATOR), "信息化处或技术支持服务团队"),
    "bureau": ((REVIEWER,), "本级财政部门"),
    "business_division": ((BUSINESS_DIVISION,), "自治区归口业务处室"),
}


def authorize_read(user: Principal, case: ProblemCase | dict) -> None:
    """Anyone whose area covers the reporting organisation, and the duty operator who recorded it."""
    org_path, recorded_by, ticket_id = (
        (case["org_path"], case.get("recorded_by"), case["_id"])
        if isinstance(case, dict)
        else (case.org_path, case.recorded_by, case.ticket_id)
    )
    if not (user.covers(org_path) or recorded_by == user.user_id):
        raise ProblemNotFound(ticket_id)


def authorize_step(user: Principal, step: Step, case: ProblemCase) -> None:
    authorize_read(user, case)
    if step in IT_STEPS or step is Step.PROMOTE:
        _require(user.has_role(IT_DIVISION), "not_it_division", "财政信息化主管处室", step)
    elif step in REPORTER_STEPS:
        _require(case.is_reporter(user), "not_the_reporter", "问题提出用户", step)
    elif step is Step.CHECK_COMPLIANCE:  # 第十一条二2: 各业务处室、财政信息化主管处室共同论证
        _require(user.has_role(IT_DIVISION, BUSINESS_DIVISION), "not_allowed", "信息化处或归口业务处室", step)
    elif step in (Step.REVIEW, Step.ESCALATE):  # 第七条: 盟市财政部门审核; 各级财政部门答复业务咨询
        _require(_is_reviewer(user), "not_a_reviewer", "财政部门审核人员", step)
    elif step is Step.CONFIRM_BUSINESS:
        _require(_is_business_division(user), "not_business_division", "归口业务处室", step)
    elif step in (Step.ANSWER, Step.ASK_USER):
        kind = case.answerer.kind if case.answerer else "it_or_support"
        _require(_may_answer_by_role(user, kind), "not_the_answerer", ANSWERER_ROLES[kind][1], step)
    elif step is Step.CLAIM:  # a person of the desk that acts now
        _require(bool(working_steps(user, case)), "not_the_handler", "当前办理方", step)
    elif step is Step.REASSIGN:  # the desk that has the question hands it on; nobody else takes it away
        kind = case.answerer.kind if case.answerer else "it_or_support"
        allowed = _may_answer_by_role(user, kind) and may_answer(case, user)
        _require(allowed, "not_the_answerer", ANSWERER_ROLES[kind][1], step)


def _may_answer_by_role(user: Principal, kind: str) -> bool:
    roles, _ = ANSWERER_ROLES[kind]
    allowed = user.has_role(*roles) and (kind != "bureau" or _is_reviewer(user))
    return allowed and (kind != "business_division" or _is_business_division(user))


def working_steps(user: Principal, case: ProblemCase) -> list[Step]:
    """The steps of the procedure itself open to `user` now (not claim, reassign or promote): whether the
    user belongs to the desk that acts."""
    return steps_open_to(user, case, handling=False)


def steps_open_to(user: Principal, case: ProblemCase, *, handling: bool = True) -> list[Step]:
    """The steps `user` may take on `case` now: those the state allows (flows), their role may take (the rules
    above) and whose turn is theirs (the domain's: which bureau reviews, who answers). The UI offers these;
    a case outside the user's area has none."""
    try:
        authorize_read(user, case)
    except ProblemNotFound:
        return []
    open_steps = []
    for step in steps_allowed_now(case):
        if (not handling and step in HANDLING_STEPS) or (step is Step.CLAIM and not _staff_desk(case)):
            continue
        try:
            authorize_step(user, step, case)
        except Forbidden:
            continue
        if is_turn_of(case, step, user):
            open_steps.append(step)
    return open_steps


def _staff_desk(case: ProblemCase) -> bool:
    return owner_of(case).role not in ("reporter", "none")


def authorize_faq_publish(user: Principal) -> None:
    """第七条, 第十二条四: the IT division publishes and updates the FAQ for the whole region."""
    _require(user.has_role(IT_DIVISION), "not_it_division", "财政信息化主管处室", "publish the FAQ")


def authorize_figures(user: Principal) -> None:
    """SLA figures are for the people who run and supervise the procedure; each sees its own area."""
    allowed = user.has_role(IT_DIVISION, BUSINESS_DIVISION, DUTY_OPERATOR, AUDITOR, SYSADMIN) or _is_reviewer(user)
    _require(allowed, "not_allowed", "财政部门、信息化处、业务处室或审计人员", "read SLA figures")


def _is_reviewer(user: Principal) -> bool:
    return user.has_role(REVIEWER) and user.org_kind == "finance_bureau"


def _is_business_division(user: Principal) -> bool:
    return user.has_role(BUSINESS_DIVISION) and user.org_kind == "business_division"


def _require(allowed: bool, code: str, who: str, step: str) -> None:
    if not allowed:
        raise Forbidden(code, f"只有{who}可以办理此环节 (only {who} may {step})")
