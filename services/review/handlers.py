"""Review's use cases (level review, refinement, confirmation, reads) and its reactions to other services.

Each use case: authorise (services.review.policy), load the case, apply one domain step, save it in one
guarded write. Timestamps that are stored use the real time; business dates (the month a requirement
was submitted, "today" for an expected upgrade date) use the business clock (shared.clock).
"""

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from services.review import policy
from services.review.adapters import ReviewCaseRepository
from services.review.adapters.documents import case_state
from services.review.domain import (
    CaseNotFound,
    ConfirmRequirement,
    ForwardRequirement,
    MergeRequirement,
    RefineRequirement,
    RejectRequirement,
    ReturnRequirement,
    ReviewCase,
    ReviewInBatch,
    RoundAlreadyProcessed,
    SplitRequirement,
    TaskNotReceived,
    confirm,
    forward,
    merge,
    open_review_case,
    refine,
    reject,
    remind_if_overdue,
    reopen_after_amendment,
    return_for_amendment,
    split,
    split_parts,
)
from services.review.queue import ReviewClock
from shared.auth import Principal
from shared.clock import Clock
from shared.errors import DomainError
from shared.events import SYSTEM, Envelope, RequirementSplit, RequirementSubmitted, ReviewTaskOpened, utcnow
from shared.logs import get_logger
from shared.orgtree import review_chain
from shared.review_deployments import ReviewDeployment

log = get_logger(__name__)
BEIJING = ZoneInfo("Asia/Shanghai")
EVERY_LEVEL = ReviewDeployment()
ReviewCommand = ForwardRequirement | RejectRequirement | ReturnRequirement
REVIEW_STEPS: dict[type, Callable[..., None]] = {
    ForwardRequirement: forward,
    RejectRequirement: reject,
    ReturnRequirement: return_for_amendment,
}


def month_of(at: datetime) -> str:
    return at.astimezone(BEIJING).strftime("%Y-%m")


async def when_requirement_submitted_open_review(
    envelope: Envelope, *, repository: ReviewCaseRepository, clock: Clock, deployment: ReviewDeployment = EVERY_LEVEL
) -> None:
    """第三条: a submitted requirement goes to the unit's own finance bureau for review first; a resubmitted
    one (round > 1) starts there again. Each round is processed once, however often it is delivered.

    A level deployment (decision 0016) opens the cases whose first level and division it serves: a county
    unit's by its county's deployment, a region unit's by the region's."""
    event = envelope.event()
    assert isinstance(event, RequirementSubmitted)
    first_level, first_division = review_chain(event.org_path)[0]
    if not deployment.serves_task(first_level, first_division):
        return
    case = await repository.get(event.ticket_id)
    if case is None:
        case = open_review_case(event, submitted_month=month_of(clock.now()), now=envelope.time)
        if await repository.add(case, actor=SYSTEM, cause=envelope):
            log.info("review opened", ticket_id=case.ticket_id, round=case.round)
        return
    try:
        # A resubmission of a case that was not returned raises IllegalTransition: after the consumer's
        # retries it goes to the dead-letter topic, where an operator sees it (it breaks intake's contract).
        reopen_after_amendment(case, event, now=envelope.time)
    except RoundAlreadyProcessed:
        log.info("submission round already processed", ticket_id=event.ticket_id, round=event.round)
        return
    await repository.save(case, actor=SYSTEM, cause=envelope)
    log.info("review reopened", ticket_id=case.ticket_id, round=case.round)


async def when_review_task_opened_receive(
    envelope: Envelope, *, repository: ReviewCaseRepository, deployment: ReviewDeployment
) -> None:
    """A level deployment takes a task of its level and area from the level's topic into its bureau's queue
    (decision 0016); a task another deployment serves (another area) is left to that one."""
    event = envelope.event()
    assert isinstance(event, ReviewTaskOpened)
    if not deployment.serves_task(event.level, event.division_code):
        return
    if await repository.receive_task(
        event.ticket_id, event.task_id, event.level, event.division_code, received_at=utcnow()
    ):
        log.info("review task received", ticket_id=event.ticket_id, task_id=event.task_id, level=event.level)
    else:
        log.info("review task not queued (received before, or closed)", task_id=event.task_id)


async def review_requirement(
    command: ReviewCommand,
    *,
    by: Principal,
    repository: ReviewCaseRepository,
    correlation_id: str,
    deployment: ReviewDeployment = EVERY_LEVEL,
) -> dict[str, Any]:
    """第六条一: forward to the level above, reject with a detailed reason, or return for amendment.

    At a level deployment (decision 0016) only its own reviewers act (421 for others), and only on a task it
    has received from its level's topic (409 `task_not_received` before that)."""
    policy.authorize_review(by)
    deployment.check_reviewer(by)
    step = REVIEW_STEPS[type(command)]

    async def received_here(case: ReviewCase) -> None:
        """The reviewer's own task, at a level deployment: only once it came from the level's topic."""
        task = case.current_task
        if (
            deployment.by_level
            and by.covers(case.org_path)
            and task is not None
            and task.division_code == by.division_code
            and not await repository.received(case.ticket_id, task.id)
        ):
            raise TaskNotReceived(case.ticket_id)

    return await _change(
        command.ticket_id,
        by,
        repository,
        correlation_id,
        lambda case: step(case, command, by=by, now=utcnow()),
        check=received_here,
    )


async def review_in_batch(
    command: ReviewInBatch,
    *,
    by: Principal,
    repository: ReviewCaseRepository,
    correlation_id: str,
    deployment: ReviewDeployment = EVERY_LEVEL,
) -> list[dict[str, Any]]:
    """Apply one action to each ticket on its own: one failing item changes nothing else (see the route)."""
    policy.authorize_review(by)
    deployment.check_reviewer(by)
    results = []
    for item in command.commands():
        try:
            case = await review_requirement(
                item, by=by, repository=repository, correlation_id=correlation_id, deployment=deployment
            )
            results.append({"ticket_id": item.ticket_id, "ok": True, "status": case["status"]})
        except DomainError as error:
            results.append(
                {
                    "ticket_id": item.ticket_id,
                    "ok": False,
                    "http_status": error.status_code,
                    "error": error.code,
                    "message": error.message,
                }
            )
    return results


async def refine_requirement(
    command: RefineRequirement, *, by: Principal, repository: ReviewCaseRepository, correlation_id: str
) -> dict[str, Any]:
    """第六条二: the IT division clarifies the requirement and routes it to a business division."""
    policy.authorize_refinement(by)
    return await _change(
        command.ticket_id, by, repository, correlation_id, lambda case: refine(case, command, by=by, now=utcnow())
    )


async def merge_requirement(
    command: MergeRequirement, *, by: Principal, repository: ReviewCaseRepository, correlation_id: str
) -> dict[str, Any]:
    """A duplicate joins another requirement; only the duplicate's document is written."""
    policy.authorize_refinement(by)
    into = await repository.get(command.into)
    if into is None:
        raise CaseNotFound(command.into, field="into")
    return await _change(
        command.ticket_id,
        by,
        repository,
        correlation_id,
        lambda case: merge(case, command, into=into, by=by, now=utcnow()),
    )


async def split_requirement(
    command: SplitRequirement, *, by: Principal, repository: ReviewCaseRepository, correlation_id: str
) -> dict[str, Any]:
    """拆分 (第六条二): only the original's document is written, with RequirementSplit in its outbox; the
    parts' cases are opened from that event (`when_requirement_split_open_parts`), so a crash in between
    loses nothing (the outbox delivers at least once, docs/decisions/0002)."""
    policy.authorize_refinement(by)

    def step(case: ReviewCase) -> None:
        policy.authorize_read_case(by, case.org_path, case.ticket_id)
        split(case, command, by=by, now=utcnow())

    return await _change(command.ticket_id, by, repository, correlation_id, step)


async def when_requirement_split_open_parts(envelope: Envelope, *, repository: ReviewCaseRepository) -> None:
    """Each part of a split becomes a review case awaiting refinement (第六条二). `add` inserts a part once:
    a redelivered event, or one replayed after a crash half-way through the parts, adds only those missing."""
    event = envelope.event()
    assert isinstance(event, RequirementSplit)
    original = await repository.get(event.ticket_id)
    if original is None:
        # Review wrote the event from this very case: without it the event breaks review's own contract,
        # and after the consumer's retries it goes to the dead-letter topic, where an operator sees it.
        raise CaseNotFound(event.ticket_id)
    for part in split_parts(original, event, by=envelope.actor, now=envelope.time):
        if await repository.add(part, actor=envelope.actor, cause=envelope):
            log.info("split part opened", ticket_id=part.ticket_id, split_from=original.ticket_id)


async def confirm_requirement(
    command: ConfirmRequirement, *, by: Principal, repository: ReviewCaseRepository, clock: Clock, correlation_id: str
) -> dict[str, Any]:
    """第六条三: the business division the requirement was routed to adopts or declines it."""
    policy.authorize_confirmation(by)
    today = clock.now().astimezone(BEIJING).date()
    return await _change(
        command.ticket_id,
        by,
        repository,
        correlation_id,
        lambda case: confirm(case, command, by=by, today=today, now=utcnow()),
    )


async def remind_overdue_reviews(
    *,
    repository: ReviewCaseRepository,
    timing: ReviewClock,
    limit: int = 500,
    deployment: ReviewDeployment = EVERY_LEVEL,
) -> int:
    """The periodic check: ReviewTaskOverdue once per review task past its level's deadline (decision 0009);
    a level deployment checks its own level's and area's tasks (decision 0016).

    Several review instances may run it at once: each claims the candidates no other instance holds
    (`claim_overdue`), and the reminders are saved inside that claim, so each task is reminded once; a case
    a reviewer is acting on is saved by whoever locks it first, the other's guarded write gets a 409."""
    deadline = await timing.deadline()
    now, offset = timing.clock.now(), timing.clock.offset
    reminded = 0
    opened_before = utcnow() - timedelta(days=deadline.working_days)
    claim = repository.claim_overdue(opened_before, limit=limit, level=deployment.level, area=deployment.area)
    async with claim as candidates:
        for case in candidates:
            if not remind_if_overdue(case, deadline, now=now, offset=offset):
                continue
            await repository.save(case, actor=SYSTEM)
            reminded += 1
    if reminded:
        log.info("review tasks overdue", count=reminded)
    return reminded


async def read_case(ticket_id: str, *, reader: Principal, repository: ReviewCaseRepository) -> dict[str, Any]:
    """One case with its tasks and history, if it lies in the reader's area."""
    case = await repository.read(ticket_id)
    if case is None:
        raise CaseNotFound(ticket_id)
    policy.authorize_read_case(reader, case["org_path"], ticket_id)
    return case


async def _change(
    ticket_id: str,
    by: Principal,
    repository: ReviewCaseRepository,
    correlation_id: str,
    step: Callable[[ReviewCase], None],
    *,
    check: Callable[[ReviewCase], Awaitable[None]] | None = None,
) -> dict[str, Any]:
    """Read the case, `check` it may be changed here, take the step, save it with its events."""
    case = await repository.get(ticket_id)
    if case is None:
        raise CaseNotFound(ticket_id)
    if check is not None:
        await check(case)
    step(case)
    await repository.save(case, actor=by.actor(), correlation_id=correlation_id)
    return view(case)


def view(case: ReviewCase) -> dict[str, Any]:
    """What an action answers: the case as GET /api/review-cases/{id} shows it."""
    return {"_id": case.ticket_id, **case_state(case), "version": case.version}
