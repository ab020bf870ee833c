"""Problems as they are reported (第七条–第十条): from the in-system form at any time, or recorded by the
400 hotline / WeChat service group duty operator for a caller (第九条). Pure rules, no I/O.

What happens next (refinement, reproduction, configuration, data repair, answers, SLA clocks) is the
problem procedure's later steps; intake records the report and its ProblemReported event.
"""

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from shared.events import Caller, Event, ProblemDetails, ProblemReported


@dataclass(frozen=True)
class Reporter:
    """The organisation the problem belongs to and who reported it (the caller's org for a recorded call)."""

    user_id: str
    name: str
    org_id: str
    org_name: str
    org_kind: str
    org_path: list[str]


@dataclass(frozen=True)
class ProblemForm:
    category: str
    title: str
    description: str
    details: ProblemDetails
    urgent: bool = False
    module: str = ""


@dataclass
class Problem:
    id: str
    form: ProblemForm
    reporter: Reporter
    channel: str
    reported_at: datetime
    recorded_by: str | None = None
    caller: Caller | None = None
    events: list[Event] = field(default_factory=list)


def new_problem_id(now: datetime) -> str:
    return f"PRB-{now:%Y%m}-{secrets.token_hex(4).upper()}"


def report_problem(
    form: ProblemForm,
    reporter: Reporter,
    channel: str,
    now: datetime,
    *,
    recorded_by: str | None = None,
    caller: Caller | None = None,
) -> Problem:
    """第十条: problems are reported at any time; there is no window."""
    problem = Problem(new_problem_id(now), form, reporter, channel, now, recorded_by, caller)
    problem.events.append(
        ProblemReported(
            ticket_id=problem.id,
            category=form.category,
            title=form.title,
            description=form.description,
            urgent=form.urgent,
            module=form.module,
            channel=channel,
            details=form.details,
            submitter_id=reporter.user_id,
            submitter_name=reporter.name,
            org_id=reporter.org_id,
            org_name=reporter.org_name,
            org_kind=reporter.org_kind,
            org_path=reporter.org_path,
            recorded_by=recorded_by,
            caller=caller,
        )
    )
    return problem
