"""What review is asked to do: commands are imperative, and each names the ticket it acts on."""

from dataclasses import dataclass
from datetime import date
from typing import Literal

ReviewAction = Literal["forward", "reject", "return"]


@dataclass(frozen=True)
class ForwardRequirement:
    """建议实现的业务需求报送上级财政部门复核 (第六条一)."""

    ticket_id: str
    opinion: str = ""


@dataclass(frozen=True)
class RejectRequirement:
    """对不予实现的需求，详细描述驳回理由 (第六条一)."""

    ticket_id: str
    reason: str


@dataclass(frozen=True)
class ReturnRequirement:
    """Send back to the submitter for amendment; resubmitting starts the review again."""

    ticket_id: str
    reason: str


@dataclass(frozen=True)
class ReviewInBatch:
    """One action on many tickets; each is applied on its own (see handlers.review_in_batch)."""

    ticket_ids: tuple[str, ...]
    action: ReviewAction
    opinion: str = ""
    reason: str = ""

    def commands(self) -> list[ForwardRequirement | RejectRequirement | ReturnRequirement]:
        match self.action:
            case "forward":
                return [ForwardRequirement(ticket_id, self.opinion) for ticket_id in self.ticket_ids]
            case "reject":
                return [RejectRequirement(ticket_id, self.reason) for ticket_id in self.ticket_ids]
            case _:
                return [ReturnRequirement(ticket_id, self.reason) for ticket_id in self.ticket_ids]


@dataclass(frozen=True)
class RefineRequirement:
    """梳理细化 (第六条二): clarify the text and route it to the responsible business division.

    None leaves title, description or module as submitted.
    """

    ticket_id: str
    business_division_id: str
    title: str | None = None
    description: str | None = None
    module: str | None = None
    notes: str = ""


@dataclass(frozen=True)
class MergeRequirement:
    """A duplicate joins another requirement (`into`) and ends here."""

    ticket_id: str
    into: str
    reason: str = ""


@dataclass(frozen=True)
class RequirementPart:
    """One of the requirements a split makes: its own title, description and (optional) module."""

    title: str
    description: str
    module: str = ""


@dataclass(frozen=True)
class SplitRequirement:
    """One requirement asking for several unrelated things becomes `parts`, each refined, confirmed,
    published, dispatched and verified on its own; the original ends here."""

    ticket_id: str
    parts: tuple[RequirementPart, ...]
    reason: str = ""


@dataclass(frozen=True)
class ConfirmRequirement:
    """需求确认 (第六条三): adopt (with an expected upgrade date, if known) or decline with a reason."""

    ticket_id: str
    adopted: bool
    reason: str = ""
    expected_upgrade: date | None = None


@dataclass(frozen=True)
class PublishMonth:
    """需求公示 (第六条四): publish the confirmed, not yet published requirements for `month` ("YYYY-MM").

    `ticket_ids` picks them one by one; otherwise every confirmed one is taken, optionally only those
    submitted in `submitted_month`.
    """

    month: str
    ticket_ids: tuple[str, ...] = ()
    submitted_month: str | None = None
