"""Which function takes which step for which category: the one table the handlers dispatch on."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from services.review.problems.domain import bug, configuration, consulting, data_repair, handling
from services.review.problems.domain.case import ProblemCase, Someone, Step, owner_of
from services.review.problems.domain.commands import ReplyToQuestion
from services.review.problems.domain.common import refine, reply
from services.review.problems.domain.flows import FLOWS


def reply_to_question(case: ProblemCase, command: ReplyToQuestion, *, by: Someone, now: datetime) -> None:
    """The reporter answers what the IT division or the answerer asked (the clocks run again)."""
    case.require(Step.REPLY)
    reply(case, command.reply, by, now)


STEP_FUNCTIONS: dict[tuple[str, Step], Callable[..., None]] = (
    {
        ("bug", Step.REFINE): refine,
        ("bug", Step.REPRODUCE): bug.reproduce,
        ("bug", Step.REPLY): reply_to_question,
        ("bug", Step.CONFIRM): bug.confirm,
        ("bug", Step.RELEASE): bug.release,
        ("bug", Step.VERIFY): bug.verify_fix,
        ("configuration", Step.REFINE): refine,
        ("configuration", Step.CHECK_COMPLIANCE): configuration.check_compliance,
        ("configuration", Step.CONFIGURE): configuration.configure,
        ("configuration", Step.VERIFY): configuration.verify_configuration,
        ("data_repair", Step.REVIEW): data_repair.review,
        ("data_repair", Step.CONFIRM_BUSINESS): data_repair.confirm_for_business,
        ("data_repair", Step.PLAN): data_repair.plan,
        ("data_repair", Step.ANSWER_PLAN): data_repair.answer_plan,
        ("data_repair", Step.BACK_UP): data_repair.back_up,
        ("data_repair", Step.REPAIR): data_repair.repair,
        ("data_repair", Step.VERIFY): data_repair.verify_repair,
        ("consulting", Step.ESCALATE): consulting.escalate,
        ("consulting", Step.ASK_USER): consulting.ask,
        ("consulting", Step.REPLY): reply_to_question,
        ("consulting", Step.ANSWER): consulting.answer,
        ("consulting", Step.ACCEPT): consulting.accept,
        ("consulting", Step.ASK_AGAIN): consulting.ask_again,
        ("consulting", Step.REASSIGN): handling.reassign,
    }
    | {(category, Step.CLAIM): handling.claim for category in FLOWS}
    | {(category, Step.RATE): handling.rate for category in FLOWS}
)


def take_step(case: ProblemCase, step: Step, command: Any, *, by: Someone, now: datetime) -> None:
    """Apply one step; a step the category does not have, or the state does not allow, is a 409."""
    function = STEP_FUNCTIONS.get((case.category, step))
    if function is None:
        case.require(step)  # raises: not a step of this category
        raise AssertionError(f"{step} has no function for {case.category}")
    owner_before = owner_of(case)
    function(case, command, by=by, now=now)
    if owner_of(case) != owner_before:  # another desk acts now: nobody of it has claimed the case yet
        case.assignee = None


def steps_allowed_now(case: ProblemCase) -> list[Step]:
    """The steps the category's flow allows in the case's current state, in the flow's order."""
    return [step for step, statuses in FLOWS[case.category].items() if case.status in statuses]


# The rules of turn that are not a role (policy.py has those): which bureau reviews, who answers.
TURNS: dict[Step, Callable[[ProblemCase, Any], bool]] = {
    Step.REVIEW: data_repair.reviewers_turn,
    Step.ESCALATE: lambda case, by: consulting.may_escalate(case) and consulting.may_answer(case, by),
    Step.ASK_USER: consulting.may_answer,
    Step.ANSWER: consulting.may_answer,
    Step.PROMOTE: lambda case, by: case.faq_entry_id is None,
    Step.CLAIM: lambda case, by: not handling.is_assigned_to(case, by),
    Step.RATE: lambda case, by: case.rating is None,
}


def is_turn_of(case: ProblemCase, step: Step, by: Someone) -> bool:
    """Whether `step` is `by`'s to take now, given a role policy allows it (the domain's turn, not the role)."""
    turn = TURNS.get(step)
    return turn is None or turn(case, by)
