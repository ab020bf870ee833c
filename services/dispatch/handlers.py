"""Dispatch's use cases (第六条五～八), one function each, and its reactions to events.

Each loads a case, lets the domain apply the command, and saves the case with its new events in one
transaction. People get a 409 when they lose a race; consumers reload and try again. Calendar rules ("today"
for overdue work orders and release dates) use the business clock (shared.clock); stored timestamps
use the real time.
"""

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from services.dispatch import policy
from services.dispatch.adapters import (
    ConcurrentChange,
    DispatchCaseRepository,
    ReleaseRepository,
    VendorRefusalRepository,
)
from services.dispatch.domain import (
    AnnounceRelease,
    DispatchCase,
    DispatchWorkOrder,
    ReportProgress,
    VerifyDelivery,
    announce_release,
    dispatch_work_order,
    flag_overdue,
    mark_released,
    new_release_id,
    open_dispatch_case,
    open_problem_case,
    refuse_report,
    reopen_problem,
    report_progress,
    verify_delivery,
)
from services.dispatch.vendors import VendorDirectory
from services.dispatch.views import release_view, work_order_view
from shared.auth import Principal
from shared.bus import Record
from shared.clock import Clock
from shared.errors import DomainError, NotFound
from shared.events import (
    SYSTEM,
    Envelope,
    ProblemReadyForDispatch,
    RequirementConfirmed,
    RequirementReleased,
    utcnow,
)
from shared.logs import get_logger
from shared.vendor_reports import ReportRefused, VendorProgressMessage, read_vendor_report, vendor_actor

log = get_logger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def today_in_shanghai(clock: Clock) -> date:
    """Dates of work orders are calendar days in the region (Asia/Shanghai), not UTC."""
    return clock.now().astimezone(SHANGHAI).date()


async def when_requirement_confirmed_open_case(envelope: Envelope, *, cases: DispatchCaseRepository) -> None:
    """第六条三→五: an adopted requirement joins the IT division's dispatch queue (once, however often it comes)."""
    event = envelope.event()
    assert isinstance(event, RequirementConfirmed)
    if not event.adopted:
        return
    case = open_dispatch_case(event, envelope.actor, envelope.time)  # adopted when the division decided
    if await cases.add(case, actor=envelope.actor, cause=envelope):
        log.info("dispatch case opened", ticket_id=case.ticket_id)


async def when_problem_ready_for_dispatch_queue_it(envelope: Envelope, *, cases: DispatchCaseRepository) -> None:
    """第十一条一5、三6: a confirmed bug or data repair joins the dispatch queue; a later round (the
    reporter's second verification failed) sends its work order back to the vendor."""
    event = envelope.event()
    assert isinstance(event, ProblemReadyForDispatch)

    async def apply() -> None:
        case = await cases.get(event.ticket_id)
        if case is None:
            if await cases.add(
                open_problem_case(event, envelope.actor, envelope.time), actor=envelope.actor, cause=envelope
            ):
                log.info("problem queued for dispatch", ticket_id=event.ticket_id)
            return
        if reopen_problem(case, event, envelope.actor, utcnow()):
            await cases.save(case, actor=envelope.actor, causation=envelope)

    await _retrying(apply)


async def dispatch(
    command: DispatchWorkOrder,
    *,
    dispatcher: Principal,
    cases: DispatchCaseRepository,
    vendors: VendorDirectory,
    clock: Clock,
    correlation_id: str,
) -> dict[str, Any]:
    """派发工单 (第六条五): the work order goes to the vendor's own topic (created when the vendor appeared)."""
    policy.authorize_dispatch(dispatcher)
    case = await _case(cases, command.ticket_id)
    dispatch_work_order(case, command, dispatcher.actor(), utcnow(), await vendors.active(command.vendor_id))
    await cases.save(case, actor=dispatcher.actor(), correlation_id=correlation_id)
    return work_order_view(case, today_in_shanghai(clock), with_requester=True)


async def report_progress_over_http(
    command: ReportProgress, *, reporter: Principal, cases: DispatchCaseRepository, correlation_id: str
) -> dict[str, Any]:
    """第六条六, for vendors without Kafka: the same rules as a VendorProgressReported message."""
    policy.authorize_report_progress(reporter, command.work_order_id, None)
    case = await cases.by_work_order(command.work_order_id)
    if case is None or case.work_order is None:
        raise _no_work_order(command.work_order_id)
    policy.authorize_report_progress(reporter, command.work_order_id, case.work_order.vendor_id)
    changed = report_progress(case, command, reporter.actor(), utcnow())
    if changed:
        await cases.save(case, actor=reporter.actor(), correlation_id=correlation_id)
    return {
        "work_order_id": case.work_order.id,
        "reported": command.stage,
        "status": case.work_order.status.value,
        "changed": changed,
    }


async def when_vendor_reports_progress_advance_or_refuse(
    body: Any, record: Record, *, vendor_id: str, cases: DispatchCaseRepository, refusals: VendorRefusalRepository
) -> None:
    """第六条六 over Kafka, from `vendor_id`'s own progress topic (its principal writes no other). A valid report
    of that vendor's own work order moves it; anything else is refused and kept where the vendor reads it
    (GET /api/vendor-refusals), not dead-lettered: only the vendor can mend it, and retrying cannot."""
    try:
        await _advance_work_order(read_vendor_report(body, vendor_id), vendor_id, cases)
    except ConcurrentChange:
        raise  # lost every race: not the vendor's fault, the bus retries it
    except (ReportRefused, DomainError) as error:
        detail = error.detail if isinstance(error, ReportRefused) else _detail_of(error)
        refusal = refuse_report(
            body,
            vendor_id=vendor_id,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            code=error.code,
            reason=error.message,
            detail=detail,
            at=utcnow(),
        )
        await refusals.add(refusal)
        log.warning("vendor report refused", vendor_id=vendor_id, refusal=refusal.id, code=error.code)


async def _advance_work_order(report: VendorProgressMessage, vendor_id: str, cases: DispatchCaseRepository) -> None:
    event = report.data
    command = ReportProgress(event.work_order_id, event.stage, event.version, event.note)
    # The history names the vendor of the topic: who the message says acted is the vendor's word alone.
    actor = vendor_actor(vendor_id)
    cause = Envelope.model_validate(report.model_dump(mode="json"))

    async def apply() -> None:
        case = await cases.by_work_order(event.work_order_id)
        order = case.work_order if case else None
        if case is None or order is None or (case.ticket_id, order.vendor_id) != (event.ticket_id, vendor_id):
            raise _no_work_order(event.work_order_id)
        if report_progress(case, command, actor, utcnow()):
            await cases.save(case, actor=actor, causation=cause)

    await _retrying(apply)


def _detail_of(error: DomainError) -> list[dict[str, Any]]:
    """The field a domain rule names, as it sits in the message (`version` is `data.version`)."""
    return [{"field": f"data.{error.field}", "rule": error.code, "message": error.message}] if error.field else []


async def verify(
    command: VerifyDelivery, *, verifier: Principal, cases: DispatchCaseRepository, correlation_id: str
) -> dict[str, Any]:
    """业务验证 (第六条七): passed → ready for release; failed → back to the vendor with the reason."""
    case = await cases.get(command.ticket_id)
    if case is None:
        raise NotFound("ticket_not_found", f"需求 {command.ticket_id} 不存在 (no such requirement)")
    policy.authorize_verify(verifier, case.ticket_id, case.submitter_id, case.org_path)
    verify_delivery(case, command, verifier.actor(), utcnow())
    await cases.save(case, actor=verifier.actor(), correlation_id=correlation_id)
    assert case.work_order is not None
    return {
        "ticket_id": case.ticket_id,
        "status": case.status.value,
        "work_order_id": case.work_order.id,
        "work_order_status": case.work_order.status.value,
    }


async def announce(
    command: AnnounceRelease,
    *,
    announcer: Principal,
    cases: DispatchCaseRepository,
    releases: ReleaseRepository,
    clock: Clock,
    correlation_id: str,
) -> dict[str, Any]:
    """部署上线 (第六条八): one transaction holds the release, its announcement and each RequirementReleased;
    the cases follow when dispatch reads its own RequirementReleased (when_requirement_released_close_case)."""
    policy.authorize_release(announcer)
    ticket_ids = list(command.ticket_ids)
    release = announce_release(
        command,
        await cases.get_many(ticket_ids),
        released_in=await releases.released_in(ticket_ids),
        release_id=new_release_id(command.release_date),
        today=today_in_shanghai(clock),
        actor=announcer.actor(),
        at=utcnow(),
    )
    return release_view(await releases.add(release, correlation_id=correlation_id))


async def when_requirement_released_close_case(envelope: Envelope, *, cases: DispatchCaseRepository) -> None:
    event = envelope.event()
    assert isinstance(event, RequirementReleased)

    async def apply() -> None:
        case = await _case(cases, event.ticket_id)
        if mark_released(case, event.release_id, event.version, envelope.actor, utcnow()):
            await cases.save(case, actor=envelope.actor, causation=envelope)

    await _retrying(apply)


async def flag_overdue_work_orders(*, cases: DispatchCaseRepository, clock: Clock) -> int:
    """The periodic check: WorkOrderOverdue once per work order past its planned delivery date. Every
    instance runs it; each claims its own cases (SKIP LOCKED + lease), so none is flagged twice and the
    cases of an instance killed mid-pass are taken over when their lease ends."""
    now, today = utcnow(), today_in_shanghai(clock)
    flagged = 0
    for case in await cases.claim_overdue_candidates(today):
        if not flag_overdue(case, today, SYSTEM, now):
            continue
        try:
            await cases.save(case, actor=SYSTEM)
            flagged += 1
        except ConcurrentChange:
            continue  # it changed meanwhile (maybe delivered): the next pass looks again
    if flagged:
        log.info("work orders overdue", count=flagged)
    return flagged


async def _case(cases: DispatchCaseRepository, ticket_id: str) -> DispatchCase:
    case = await cases.get(ticket_id)
    if case is None:
        raise NotFound("ticket_not_found", f"需求 {ticket_id} 不在派发范围内 (not an adopted requirement)")
    return case


def _no_work_order(work_order_id: str) -> NotFound:
    return NotFound("work_order_not_found", f"工单 {work_order_id} 不存在 (no such work order)")


async def _retrying(change: Callable[[], Awaitable[None]], attempts: int = 5) -> None:
    """A consumer that lost a race reads the case again and reapplies the event."""
    for attempt in range(1, attempts + 1):
        try:
            await change()
            return
        except ConcurrentChange:
            if attempt == attempts:
                raise
