"""Intake's use cases: one function each."""

from services.intake.adapters import RequirementRepository
from services.intake.domain import SubmitRequirement, submit_requirement
from shared.auth import Principal
from shared.errors import NotFound
from shared.events import utcnow


async def handle_submit_requirement(
    command: SubmitRequirement, *, submitter: Principal, repository: RequirementRepository, correlation_id: str
) -> str:
    """Record the requirement and its RequirementSubmitted event in one write."""
    requirement = submit_requirement(command, submitter, utcnow())
    await repository.add(requirement, correlation_id)
    return requirement.id


async def get_requirement(requirement_id: str, *, reader: Principal, repository: RequirementRepository) -> dict:
    """A requirement the reader may see; outside their area it does not exist for them (404, not 403)."""
    requirement = await repository.get(requirement_id)
    if requirement is None or not reader.covers(requirement["org"]["path"]):
        raise NotFound("requirement_not_found", f"需求 {requirement_id} 不存在 (no such requirement)")
    return requirement
