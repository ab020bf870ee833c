"""A finance bureau's review queue (第六条一): its own level's and area's open tasks, each with its due date.

Every task shows when it opened, when it is due and whether it is overdue by the region's rule (each level
reviews within FD_REVIEW_WORKING_DAYS working days; services/review/domain/deadline.py). The queue is the
oldest task first, which puts the overdue ones first.

Stored timestamps are real time; "now" and the opening are read on the business clock (shared.clock), so a
stack started at another date (tests, demos) counts its deadlines from its own today.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.review import policy
from services.review.adapters import ReviewCaseRepository
from services.review.domain import ReviewDeadline
from shared.auth import Principal
from shared.clock import Clock
from shared.review_deployments import ReviewDeployment
from shared.workcalendar import WorkCalendar


@dataclass(frozen=True)
class QueueFilters:
    """What a reviewer narrows the queue by; None or "" is no filter."""

    category: str | None = None
    urgency: str | None = None
    org_id: str | None = None
    keyword: str | None = None
    overdue: bool | None = None


@dataclass(frozen=True)
class ReviewClock:
    """What the queue needs to date its tasks: the business clock, the region's calendar, the rule."""

    clock: Clock
    calendar: Callable[[], Awaitable[WorkCalendar]]
    working_days: int

    async def deadline(self) -> ReviewDeadline:
        return ReviewDeadline(await self.calendar(), self.working_days)


async def review_queue(
    reader: Principal,
    *,
    repository: ReviewCaseRepository,
    timing: ReviewClock,
    filters: QueueFilters,
    limit: int,
    deployment: ReviewDeployment | None = None,
) -> list[dict[str, Any]]:
    """The reviewer's bureau's open tasks, oldest (soonest due, overdue) first. At a level deployment
    (decision 0016): its own reviewers only (421 for others), and only the tasks it received."""
    policy.authorize_queue(reader)
    deployment = deployment or ReviewDeployment()
    deployment.check_reviewer(reader)
    found = await repository.open_tasks_for(
        reader.division_code,
        limit=limit,
        received_only=deployment.by_level,
        category=filters.category,
        urgency=filters.urgency,
        org_id=filters.org_id,
        keyword=filters.keyword,
    )
    deadline = await timing.deadline()
    now, offset = timing.clock.now(), timing.clock.offset
    tasks = [_with_due_date(doc, deadline, now, offset) for doc in found]
    if filters.overdue is None:
        return tasks
    return [task for task in tasks if task["overdue"] is filters.overdue]


def _with_due_date(doc: dict[str, Any], deadline: ReviewDeadline, now: datetime, offset) -> dict[str, Any]:
    opened = _current_task_opened(doc)
    if opened is None:  # a task written before tasks carried their opening: no deadline to show
        return {**doc, "opened_at": None, "due_on": None, "due_at": None, "overdue": False, "working_days_left": None}
    opened = (opened + offset).astimezone(deadline.calendar.tz)
    return {
        **doc,
        "opened_at": opened,
        "due_on": deadline.due_on(opened),
        "due_at": deadline.due_at(opened),
        "overdue": deadline.is_overdue(opened, now),
        "working_days_left": deadline.working_days_left(opened, now),
    }


def _current_task_opened(doc: dict[str, Any]) -> datetime | None:
    if doc.get("current_opened_at"):
        return doc["current_opened_at"]
    task = next((t for t in doc.get("tasks", []) if t.get("id") == doc.get("current_task_id")), None)
    return task.get("opened_at") if task else None
