"""Opening a case from intake's report (第十条: problems are reported at any time, 第十一条一 纳入问题解决台账)."""

from dataclasses import dataclass
from datetime import datetime

from services.review.problems.domain.case import (
    Answerer,
    ProblemCase,
    ReviewStep,
    Status,
)
from services.review.problems.sla import SlaRecord
from shared.events import ProblemCaseOpened, ProblemReported
from shared.orgtree import REGION_CODE


@dataclass(frozen=True)
class Reporter:
    """The reporter as an actor of the case's first history entry."""

    user_id: str
    name: str
    org_id: str


def open_problem_case(
    reported: ProblemReported, *, opened_at: datetime, opened_month: str, sla: SlaRecord
) -> ProblemCase:
    """纳入问题解决台账 (第十一条一): the case starts where its category's flow starts."""
    case = ProblemCase(
        ticket_id=reported.ticket_id,
        category=reported.category,
        title=reported.title,
        description=reported.description,
        submitter_id=reported.submitter_id,
        org_id=reported.org_id,
        org_path=list(reported.org_path),
        opened_at=opened_at,
        opened_month=opened_month,
        sla=sla,
        urgent=reported.urgent,
        module=reported.module,
        channel=reported.channel,
        details=reported.details.model_dump(mode="json"),
        submitter_name=reported.submitter_name,
        org_name=reported.org_name,
        org_kind=reported.org_kind,
        recorded_by=reported.recorded_by,
        caller=reported.caller.model_dump() if reported.caller else None,
    )
    first = Status.REPORTED
    if case.category == "data_repair":
        case.review_chain = repair_review_chain(case.org_path)
        first = Status.AWAITING_CITY_REVIEW if case.review_chain[0].level == "city" else Status.AWAITING_REGION_REVIEW
    elif case.category == "consulting":
        case.answerer = first_answerer(reported.details.question_type, case.org_path)  # type: ignore[union-attr]
        first = Status.AWAITING_ANSWER
    reporter = Reporter(reported.recorded_by or reported.submitter_id, reported.submitter_name, reported.org_id)
    case.move(first, "reported", reporter, opened_at, note=f"channel={reported.channel}")
    case.emit(
        ProblemCaseOpened,
        title=case.title,
        response_due_at=sla.response_due_at,
        resolution_due_at=sla.resolution_due_at,
    )
    return case


def repair_review_chain(org_path: list[str]) -> list[ReviewStep]:
    """第七条: 由各盟市财政部门审核后，提交自治区财政厅 — a unit directly under the region skips the city."""
    divisions = org_path[:-1]
    chain = [ReviewStep("city", divisions[1])] if len(divisions) > 1 else []
    return [*chain, ReviewStep("region", REGION_CODE)]


def first_answerer(question_type: str, org_path: list[str]) -> Answerer:
    """第十一条四3: software operation → the IT division or the support team; business → the reporter's own
    finance bureau (第十四条五), or straight to the region's business division for a unit of the region."""
    if question_type == "software_operation":
        return Answerer("it_or_support")
    own_division = org_path[-2]
    if own_division == REGION_CODE:
        return Answerer("business_division")
    return Answerer("bureau", division_code=own_division)
