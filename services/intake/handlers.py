"""Intake's use cases: one function each, authorised by services.intake.policy."""

from services.intake import policy
from services.intake.adapters import RequirementRepository
from services.intake.domain import SubmitRequirement, submit_requirement
from shared.auth import Principal
from shared.errors import NotFound
from shared.events import utcnow
from shared.ratelimit import Limit, RateLimiter


async def handle_submit_requirement(
    command: SubmitRequirement,
    *,
    submitter: Principal,
    repository: RequirementRepository,
    limiter: RateLimiter,
    limit: Limit,
    correlation_id: str,
) -> str:
    """Record the requirement and its RequirementSubmitted event in one write."""
    policy.authorize_submit(submitter)
    now = utcnow()
    await limiter.hit(limit, submitter.user_id, now)
    requirement = submit_requirement(command, submitter, now)
    await repository.add(requirement, correlation_id)
    return requirement.id


async def get_requirement(requirement_id: str, *, reader: Principal, repository: RequirementRepository) -> dict:
    """A requirement the reader may see; outside their area it does not exist for them."""
    requirement = await repository.get(requirement_id)
    if requirement is None:
        raise NotFound("requirement_not_found", f"需求 {requirement_id} 不存在 (no such requirement)")
    policy.authorize_read(reader, requirement["org"]["path"], requirement_id)
    return requirement
