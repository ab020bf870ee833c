"""Events of the requirement procedure (Chapter 1, 第一条–第六条), from submission to publication.

Produced by intake (submission, amendment) and review (level review, refinement, confirmation,
publication). `ticket_id` is the requirement's id and the Kafka key.
"""

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from shared.events.base import Event, Level


class RequirementSubmitted(Event):
    """需求提交 (第六条一): a user submitted a requirement for their organisation.

    `round` is 1 for the first submission and grows each time a returned requirement is resubmitted;
    review then starts again at the unit's own bureau.
    """

    ticket_id: str
    category: str
    title: str
    description: str
    business_scenario: str = ""
    expected_effect: str = ""
    local_justification: str = ""
    urgency: str
    module: str = ""
    channel: str
    submitter_id: str
    submitter_name: str
    org_id: str
    org_name: str
    org_path: list[str]
    round: int = 1
    recorded_by: str | None = Field(None, description="duty operator who recorded it for a caller, if any")


class SubmissionWindowOpened(Event):
    """The region opened an extra submission window outside the first 3 working days (第五条)."""

    window_id: str
    opens_at: str
    closes_at: str
    reason: str

    @property
    def subject(self) -> str:
        return self.window_id


class ReviewTaskOpened(Event):
    """A level's finance bureau has a requirement to review (第三条, 第六条一)."""

    task_id: str
    ticket_id: str
    title: str
    level: Level
    division_code: str
    bureau_org_id: str
    org_path: list[str]


class ReviewTaskOverdue(Event):
    """A level's review passed the region's time limit (decision 0009) without a decision: said once per task,
    so the bureau is reminded and the ticket's history shows the delay."""

    task_id: str
    ticket_id: str
    title: str
    level: Level
    division_code: str
    bureau_org_id: str
    org_path: list[str]
    due_on: date


class RequirementForwarded(Event):
    """The bureau at `level` recommends the requirement to the level above (建议实现的报送上级复核)."""

    ticket_id: str
    task_id: str
    level: Level
    division_code: str
    opinion: str = ""
    next_level: Level | None = Field(None, description="None when the region forwarded it: review is complete")


class RequirementRejected(Event):
    """The bureau at `level` will not carry the requirement further; the reason is required (第六条一)."""

    ticket_id: str
    task_id: str
    level: Level
    division_code: str
    reason: str
    submitter_id: str
    org_path: list[str]


class RequirementReturned(Event):
    """Sent back to the submitter for amendment; resubmitting starts the review again."""

    ticket_id: str
    task_id: str
    level: Level
    division_code: str
    reason: str
    submitter_id: str
    org_path: list[str]


class RequirementReviewCompleted(Event):
    """Every level recommended it; the region's IT division now refines it (第六条二)."""

    ticket_id: str
    title: str
    category: str
    org_path: list[str]


class RequirementRefined(Event):
    """梳理细化 (第六条二): the IT division clarified it and routed it to a business division."""

    ticket_id: str
    title: str
    description: str
    module: str = ""
    business_division_id: str
    notes: str = ""


class RequirementMerged(Event):
    """A duplicate was merged into another requirement (`into`); it ends here."""

    ticket_id: str
    into: str
    reason: str = ""


class SplitPart(BaseModel):
    """One part of a split requirement: its new ticket id and the text the IT division gave it (第六条二)."""

    model_config = ConfigDict(extra="forbid")

    ticket_id: str
    title: str
    description: str
    module: str = ""


class RequirementSplit(Event):
    """One requirement became several (`parts`, new ticket ids); the original ends here.

    `items` and the original's category, urgency, organisation and submitter let every consumer build
    each part (its review case, its ticket, the requester's notice) from this event alone; events written
    before they were added carry only `parts`.
    """

    ticket_id: str
    parts: list[str]
    items: list[SplitPart] = Field(default_factory=list)
    reason: str = ""
    category: str = ""
    urgency: str = "normal"
    org_id: str = ""
    org_name: str = ""
    org_path: list[str] = Field(default_factory=list)
    submitter_id: str = ""
    submitter_name: str = ""


class RequirementConfirmed(Event):
    """需求确认 (第六条三): the business division adopts or declines; a decline carries a reason."""

    ticket_id: str
    adopted: bool
    reason: str = ""
    business_division_id: str
    expected_upgrade: date | None = None
    title: str
    description: str
    category: str
    urgency: str
    submitter_id: str
    org_path: list[str]


class PublicationItem(BaseModel):
    """One line of a publication: adopted or not, expected upgrade date, reason if not (第六条四)."""

    model_config = ConfigDict(extra="forbid")

    ticket_id: str
    title: str
    org_name: str = ""
    adopted: bool
    expected_upgrade: date | None = None
    reason: str = ""


class PublicationPublished(Event):
    """需求公示 (第六条四): the month's publication is visible to every user in the region. Requirements
    confirmed after it was published are added to it: it is published again as the next `revision`, with
    every item, `added` naming the new ones."""

    batch_id: str
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    items: list[PublicationItem]
    revision: int = 1
    added: list[str] = Field(default_factory=list)

    @property
    def subject(self) -> str:
        return self.batch_id


class RequirementPublished(Event):
    """A requirement appeared in a publication batch (one per item, for its timeline)."""

    ticket_id: str
    batch_id: str
    adopted: bool
    expected_upgrade: date | None = None
    reason: str = ""
