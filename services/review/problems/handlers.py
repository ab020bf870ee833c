"""The problem procedure's use cases (第七条–第十一条) and its reactions to intake's events.

Each step: load the case, authorise (policy), bring the clocks up to now (a breach is announced with the
owner who let it happen), apply the step, read the clocks again (a response or a close stops them), save
it all in one guarded write. "Now" is the business clock (shared.clock): the SLA clocks and the history
use it, so a test stack that starts on a chosen day keeps them consistent.
"""

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from services.review.problems import clocks, ledger, policy
from services.review.problems.adapters import CalendarCorrections, FaqRepository, ProblemCaseRepository
from services.review.problems.documents import case_from_document, case_state
from services.review.problems.domain import (
    ProblemCase,
    ProblemNotFound,
    Step,
    open_problem_case,
    take_step,
)
from shared.auth import Principal
from shared.clock import Clock
from shared.events import SYSTEM, CalendarDayCorrected, Envelope, ProblemReported
from shared.logs import get_logger

log = get_logger(__name__)
BEIJING = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class ProblemDesk:
    """What the problem procedure's use cases work with."""

    cases: ProblemCaseRepository
    faq: FaqRepository
    calendar: CalendarCorrections
    clock: Clock


async def when_problem_reported_open_case(envelope: Envelope, *, desk: ProblemDesk) -> None:
    """第十条, 第十一条一: a reported problem enters the ledger and its clocks start. Opened once, however
    often the report is delivered (the ticket id is the key: a second insert changes nothing)."""
    event = envelope.event()
    assert isinstance(event, ProblemReported)
    if await desk.cases.read(event.ticket_id) is not None:
        return
    opened_at = desk.clock.business_time(envelope.time)
    calendar = await desk.calendar.current()
    case = open_problem_case(
        event,
        opened_at=opened_at,
        opened_month=opened_at.astimezone(BEIJING).strftime("%Y-%m"),
        sla=clocks.start_clocks(event.category, event.urgent, opened_at, calendar),
    )
    if await desk.cases.add(case, actor=SYSTEM, cause=envelope):
        log.info("problem case opened", ticket_id=case.ticket_id, category=case.category)


async def when_calendar_corrected_keep_it(envelope: Envelope, *, desk: ProblemDesk) -> None:
    """The region corrected a day of the official calendar: the clocks count it from the next check on."""
    event = envelope.event()
    assert isinstance(event, CalendarDayCorrected)
    await desk.calendar.correct(event.day, event.is_workday, event.note)
    await desk.cases.recheck_open_cases(desk.clock.now())


async def take(
    ticket_id: str, step: Step, command: Any, *, by: Principal, desk: ProblemDesk, correlation_id: str
) -> dict[str, Any]:
    """One step of a case by a signed-in user (see the HTTP API for which step is whose)."""
    case = await _case(ticket_id, desk)
    policy.authorize_step(by, step, case)
    now = desk.clock.now()
    calendar = await desk.calendar.current()
    clocks.settle(case, calendar, now)
    take_step(case, step, command, by=by, now=now)
    clocks.settle(case, calendar, now)
    await desk.cases.save(case, actor=by.actor(), correlation_id=correlation_id)
    return {**view(case), "steps": policy.steps_open_to(by, case)}


async def read_case(ticket_id: str, *, reader: Principal, desk: ProblemDesk) -> dict[str, Any]:
    """One case with its history (who, when, why), clocks and the steps the reader may take now, if it lies
    in the reader's area."""
    doc = await desk.cases.read(ticket_id)
    if doc is None:
        raise ProblemNotFound(ticket_id)
    policy.authorize_read(reader, doc)
    return for_reader(doc, reader)


async def read_queue(reader: Principal, *, desk: ProblemDesk, limit: int) -> list[dict[str, Any]]:
    """The open cases whose next step is the reader's desk (urgent first, then the oldest), with their steps."""
    desks = ledger.queue_query(reader)
    return [for_reader(doc, reader) for doc in await desk.cases.queue(desks, limit=limit)] if desks else []


def for_reader(doc: dict[str, Any], reader: Principal) -> dict[str, Any]:
    """A stored case as shown to `reader`: labels, clocks, and `steps`, the steps open to them now."""
    return {**ledger.present(doc), "steps": policy.steps_open_to(reader, case_from_document(doc))}


async def check_clocks(*, desk: ProblemDesk, limit: int = 500) -> int:
    """The periodic check: read the clocks of every case with something due, announce warnings and breaches.

    Several review instances may run it at once: each claims the due cases no other instance holds
    (`claim_due_for_check`) and saves them inside that claim, so an alert is emitted once; a step taken
    on a claimed case meanwhile waits for the claim and then reads the clocks itself.
    """
    now = desk.clock.now()
    calendar = await desk.calendar.current()
    announced = 0
    async with desk.cases.claim_due_for_check(now, limit=limit) as due:
        for case in due:
            announced += clocks.settle(case, calendar, now)
            await desk.cases.save(case, actor=SYSTEM)
    if announced:
        log.info("sla clocks announced", alerts=announced)
    return announced


def view(case: ProblemCase) -> dict[str, Any]:
    """What a step answers: the case as GET /api/problem-cases/{id} shows it."""
    return ledger.present({"_id": case.ticket_id, **case_state(case), "version": case.version})


async def _case(ticket_id: str, desk: ProblemDesk) -> ProblemCase:
    case = await desk.cases.get(ticket_id)
    if case is None:
        raise ProblemNotFound(ticket_id)
    return case
