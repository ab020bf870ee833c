"""Level-by-level review (第三条, 第六条一): pure rules, no I/O.

A requirement is reviewed by its unit's own finance bureau first, then by each level above up to the
region. A `ReviewCase` is one requirement's way through that chain; each step is a `ReviewTask` for the
finance bureau of one division.
"""

from dataclasses import dataclass, field

from shared.events import Event, RequirementSubmitted, ReviewTaskOpened
from shared.orgtree import Level, bureau_id, review_chain


@dataclass(frozen=True)
class ReviewTask:
    id: str
    level: Level
    division_code: str
    bureau_org_id: str
    status: str = "open"


@dataclass
class ReviewCase:
    ticket_id: str
    title: str
    org_path: list[str]
    chain: list[tuple[Level, str]]
    tasks: list[ReviewTask] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    @property
    def current_task(self) -> ReviewTask | None:
        return self.tasks[-1] if self.tasks else None


def open_review_case(submitted: RequirementSubmitted) -> ReviewCase:
    """The first review task goes to the submitting unit's own finance bureau."""
    case = ReviewCase(
        ticket_id=submitted.ticket_id,
        title=submitted.title,
        org_path=submitted.org_path,
        chain=review_chain(submitted.org_path),
    )
    level, division_code = case.chain[0]
    _open_task(case, level, division_code)
    return case


def _open_task(case: ReviewCase, level: Level, division_code: str) -> None:
    # Deterministic id: the same requirement at the same level and round is the same task.
    round_number = sum(1 for task in case.tasks if task.level == level) + 1
    task = ReviewTask(
        id=f"{case.ticket_id}:{level}:{round_number}",
        level=level,
        division_code=division_code,
        bureau_org_id=bureau_id(division_code),
    )
    case.tasks.append(task)
    case.events.append(
        ReviewTaskOpened(
            task_id=task.id,
            ticket_id=case.ticket_id,
            title=case.title,
            level=level,
            division_code=division_code,
            bureau_org_id=task.bureau_org_id,
            org_path=case.org_path,
        )
    )
