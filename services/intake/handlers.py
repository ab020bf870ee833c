"""Intake's use cases, one function each, authorised by services.intake.policy."""

import asyncio
from dataclasses import dataclass
from datetime import datetime

from services.intake import attachments, policy, spreadsheet
from services.intake.adapters import AttachmentStore, CalendarStore, ConcurrentChange, RequirementRepository, add_new
from services.intake.domain import (
    Channel,
    InvalidTransition,
    Requirement,
    RequirementForm,
    Status,
    Submitter,
    WindowClosed,
    draft_requirement,
    submit_new_requirement,
)
from services.intake.window import check_window
from shared.auth import Principal
from shared.clock import Clock
from shared.errors import InvalidInput, NotFound
from shared.events import (
    SYSTEM,
    CalendarDayCorrected,
    Envelope,
    RequirementRejected,
    RequirementReturned,
    SubmissionWindowOpened,
    new_id,
    utcnow,
)
from shared.ratelimit import Limit, RateLimiter

# Spreadsheet imports per user (each parses a file): ten a minute are plenty for a person.
IMPORT_LIMIT = Limit("import", 10, 60)


@dataclass(frozen=True)
class Intake:
    """What intake's use cases work with (built once in bootstrap)."""

    requirements: RequirementRepository
    calendar: CalendarStore
    clock: Clock
    limiter: RateLimiter
    submission_limit: Limit
    import_limit: Limit = IMPORT_LIMIT


async def submit(form: RequirementForm, *, user: Principal, intake: Intake, correlation_id: str) -> str:
    """Submit a new requirement from the form (第四条: the in-system channel)."""
    policy.authorize_submit(user)
    await intake.limiter.hit(intake.submission_limit, user.user_id, utcnow())
    window = await check_window(intake.calendar, intake.clock.now())
    requirement, _ = await add_new(
        lambda: submit_new_requirement(form, _submitter(user), Channel.FORM, window, utcnow()),
        lambda new: intake.requirements.add(new, actor=user.actor(), correlation_id=correlation_id),
    )
    return requirement.id


DRAFT_QUOTA = 50


async def save_draft(form: RequirementForm, *, user: Principal, intake: Intake, correlation_id: str) -> str:
    """Drafts can be saved at any time; only submitting waits for the window. A user keeps at most
    DRAFT_QUOTA drafts (storage is not unbounded): the next one is refused until one is submitted or deleted."""
    policy.authorize_submit(user)
    if await intake.requirements.count_drafts(user.user_id) >= DRAFT_QUOTA:
        raise InvalidTransition(
            "draft_quota_reached",
            f"草稿最多保存 {DRAFT_QUOTA} 份，请先提交或删除不需要的草稿 (at most {DRAFT_QUOTA} drafts)",
        )
    requirement, _ = await add_new(
        lambda: draft_requirement(form, _submitter(user), Channel.FORM, utcnow()),
        lambda new: intake.requirements.add(new, actor=user.actor(), correlation_id=correlation_id),
    )
    return requirement.id


async def amend(
    requirement_id: str,
    form: RequirementForm,
    *,
    user: Principal,
    intake: Intake,
    correlation_id: str,
    expected_version: int | None = None,
) -> None:
    """Edit a draft or a returned requirement; with `expected_version` (the version the editor read), an edit
    made on a copy someone changed meanwhile (another tab, a colleague's browser) is refused with 409."""
    requirement = await _own(requirement_id, user, intake)
    if expected_version is not None and expected_version != requirement.version:
        raise ConcurrentChange()
    requirement.amend(form, user.user_id, utcnow())
    await intake.requirements.save(requirement, actor=user.actor(), correlation_id=correlation_id)


async def submit_draft(requirement_id: str, *, user: Principal, intake: Intake, correlation_id: str) -> Status:
    """Submit a draft (inside the window) or resubmit a returned requirement (any time)."""
    requirement = await _own(requirement_id, user, intake)
    await intake.limiter.hit(intake.submission_limit, user.user_id, utcnow())
    window = await check_window(intake.calendar, intake.clock.now())
    requirement.submit(window, user.user_id, utcnow())
    await intake.requirements.save(requirement, actor=user.actor(), correlation_id=correlation_id)
    return requirement.status


async def delete_draft(requirement_id: str, *, user: Principal, intake: Intake) -> None:
    """A draft its author no longer wants is deleted with its files; anything submitted stays (409)."""
    requirement = await _own(requirement_id, user, intake)
    if requirement.status is not Status.DRAFT:
        raise InvalidTransition(
            "not_a_draft", f"只有草稿可以删除，需求 {requirement_id} 已提交 (only drafts are deleted)"
        )
    if not await intake.requirements.delete_draft(requirement_id, requirement.version):
        raise ConcurrentChange()


async def read(requirement_id: str, *, user: Principal, intake: Intake) -> dict:
    """A requirement the reader may see; outside their area it does not exist for them."""
    doc = await intake.requirements.read(requirement_id)
    if doc is None:
        raise NotFound("requirement_not_found", f"需求 {requirement_id} 不存在 (no such requirement)")
    policy.authorize_read(user, doc, requirement_id)
    return doc


async def when_requirement_returned_reopen_for_amendment(envelope: Envelope, *, intake: Intake) -> None:
    event = envelope.event()
    assert isinstance(event, RequirementReturned)
    requirement = await intake.requirements.get(event.ticket_id)
    if requirement and requirement.mark_returned(event.reason, envelope.actor.user_id, envelope.time):
        await intake.requirements.save(requirement, actor=SYSTEM, cause=envelope)


async def when_requirement_rejected_close_it(envelope: Envelope, *, intake: Intake) -> None:
    event = envelope.event()
    assert isinstance(event, RequirementRejected)
    requirement = await intake.requirements.get(event.ticket_id)
    if requirement and requirement.mark_rejected(event.reason, envelope.actor.user_id, envelope.time):
        await intake.requirements.save(requirement, actor=SYSTEM, cause=envelope)


async def open_extra_window(
    opens_at: datetime, closes_at: datetime, reason: str, *, user: Principal, intake: Intake, correlation_id: str
) -> str:
    """The region opens an extra window (recorded, announced by its event)."""
    policy.authorize_calendar(user)
    window_id = f"WIN-{new_id()[:10]}"
    event = SubmissionWindowOpened(
        window_id=window_id, opens_at=opens_at.isoformat(), closes_at=closes_at.isoformat(), reason=reason
    )
    window = {"_id": window_id, "opens_at": opens_at, "closes_at": closes_at, "reason": reason, "by": user.user_id}
    await intake.calendar.add_window(window, [event], user.actor(), correlation_id)
    return window_id


async def correct_calendar(
    day: str, is_workday: bool | None, note: str, *, user: Principal, intake: Intake, correlation_id: str
) -> None:
    """Set or withdraw (is_workday None) the region's correction of one day of the official calendar."""
    policy.authorize_calendar(user)
    state = {"is_workday": is_workday, "note": note, "by": user.user_id, "at": utcnow()}
    event = CalendarDayCorrected(day=day, is_workday=is_workday, note=note)
    await intake.calendar.set_override(day, state, [event], user.actor(), correlation_id)


def _submitter(user: Principal) -> Submitter:
    """The signed-in user as the domain knows a submitter (a plain value: the domain imports no auth)."""
    return Submitter(user.user_id, user.name, user.org_id, user.org_name, user.org_path)


async def _own(requirement_id: str, user: Principal, intake: Intake) -> Requirement:
    requirement = await intake.requirements.get(requirement_id)
    if requirement is None:
        raise NotFound("requirement_not_found", f"需求 {requirement_id} 不存在 (no such requirement)")
    policy.authorize_edit(user, requirement)
    return requirement


async def import_spreadsheet(content: bytes, *, user: Principal, intake: Intake, correlation_id: str) -> dict:
    """第四条: valid rows become requirements, invalid rows come back with row, column and reason."""
    policy.authorize_submit(user)
    # Counted before the file is opened, so repeated uploads cannot keep the parser busy; the package's
    # sizes are checked from its directory, then openpyxl reads it in a thread, off the event loop.
    await intake.limiter.hit(intake.import_limit, user.user_id, utcnow())
    await intake.limiter.hit(intake.submission_limit, user.user_id, utcnow())
    try:
        rows, errors = await asyncio.to_thread(spreadsheet.parse, content)
    except spreadsheet.UnreadableSpreadsheet as error:
        raise InvalidInput("spreadsheet_unreadable", str(error), field="file") from error
    window = await check_window(intake.calendar, intake.clock.now())
    if rows and not window.open:
        raise WindowClosed(window.next_opening)
    imported, skipped = [], []
    for row in rows:
        key = spreadsheet.import_key(user.org_id, row.form)
        requirement, added = await add_new(
            lambda row=row: submit_new_requirement(row.form, _submitter(user), Channel.SPREADSHEET, window, utcnow()),
            lambda new, key=key: intake.requirements.add(
                new, actor=user.actor(), correlation_id=correlation_id, import_key=key
            ),
        )
        if added:
            imported.append({"row": row.row, "id": requirement.id, "title": row.form.title})
        else:
            skipped.append({"row": row.row, "title": row.form.title, "reason": "已导入过 (already imported)"})
    return {
        "imported": imported,
        "skipped": skipped,
        "errors": [{"row": e.row, "column": e.column, "reason": e.reason} for e in errors],
    }


async def attach(
    requirement_id: str, filename: str, content: bytes, *, user: Principal, intake: Intake, store: AttachmentStore
) -> dict:
    """Attach a file the submitter chose; the type is read from the bytes (attachments.sniff)."""
    requirement = await _own(requirement_id, user, intake)
    if requirement.status is Status.REJECTED:
        raise InvalidTransition("not_editable", "需求已驳回，不能再添加附件 (rejected requirements take no files)")
    description = attachments.describe(filename, content, user.user_id)
    refused = await store.add(
        requirement_id, description, content, attachments.MAX_PER_TICKET, attachments.DAILY_BYTES_PER_USER
    )
    attachments.refuse(refused, attachments.MAX_PER_TICKET, "需求")
    return description


async def attachment(
    requirement_id: str, attachment_id: str, *, user: Principal, intake: Intake, store: AttachmentStore
) -> tuple[dict, bytes]:
    doc = await read(requirement_id, user=user, intake=intake)
    description = next((a for a in doc.get("attachments", []) if a["id"] == attachment_id), None)
    content = await store.content(attachment_id) if description else None
    if description is None or content is None:
        raise NotFound("attachment_not_found", "附件不存在 (no such attachment)")
    return description, content
