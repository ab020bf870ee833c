"""Review's use cases, and its reactions to other services' events."""

from services.review.adapters import ReviewCaseRepository
from services.review.domain import open_review_case
from shared.events import SYSTEM, Envelope, RequirementSubmitted
from shared.logs import get_logger

log = get_logger(__name__)


async def when_requirement_submitted_open_review(envelope: Envelope, *, repository: ReviewCaseRepository) -> None:
    """第三条: a submitted requirement goes to the unit's own finance bureau for review first."""
    event = envelope.event()
    assert isinstance(event, RequirementSubmitted)
    case = open_review_case(event)
    if await repository.add(case, actor=SYSTEM, cause=envelope):
        log.info("review opened", ticket_id=case.ticket_id, level=case.current_task.level)
