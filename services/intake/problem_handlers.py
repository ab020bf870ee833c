"""Intake's problem use cases: report from the form, record a call, read (第七条–第十条)."""

from dataclasses import dataclass

from services.intake import policy
from services.intake.adapters import ProblemRepository, add_new
from services.intake.directory import OrganisationDirectory
from services.intake.problem_schemas import ProblemCreate, RecordedProblem
from services.intake.problems import Reporter, report_problem
from shared.auth import Principal
from shared.errors import InvalidInput, NotFound
from shared.events import utcnow
from shared.orgtree import org_path
from shared.ratelimit import Limit, RateLimiter


@dataclass(frozen=True)
class ProblemDesk:
    problems: ProblemRepository
    limiter: RateLimiter
    submission_limit: Limit
    # The region's organisations as the portal's directory last announced them (services/intake/directory.py).
    organisations: OrganisationDirectory


async def report(body: ProblemCreate, *, user: Principal, desk: ProblemDesk, correlation_id: str) -> str:
    """A user of the budget system, or of a related body such as a bank (第八条), reports a problem."""
    policy.authorize_submit(user)
    await desk.limiter.hit(desk.submission_limit, user.user_id, utcnow())
    reporter = Reporter(user.user_id, user.name, user.org_id, user.org_name, user.org_kind, user.org_path)
    problem, _ = await add_new(
        lambda: report_problem(body.form(), reporter, "form", utcnow()),
        lambda new: desk.problems.add(new, actor=user.actor(), correlation_id=correlation_id),
    )
    return problem.id


async def record_call(body: RecordedProblem, *, user: Principal, desk: ProblemDesk, correlation_id: str) -> str:
    """第九条: the duty operator records a hotline call or a WeChat group message for the caller's organisation."""
    policy.authorize_record_call(user)
    found = await desk.organisations.get(body.org_id)
    if found is None or found[0].kind == "vendor":
        raise InvalidInput(
            "unknown_organisation", f"未知的来电单位 {body.org_id} (unknown organisation)", field="org_id"
        )
    org, active = found
    if not active:
        raise InvalidInput(
            "inactive_organisation", f"来电单位 {org.name} 已停用 (the organisation is deactivated)", field="org_id"
        )
    reporter = Reporter(user.user_id, user.name, org.id, org.name, org.kind, org_path(org))
    problem, _ = await add_new(
        lambda: report_problem(
            body.form(), reporter, body.channel, utcnow(), recorded_by=user.user_id, caller=body.caller
        ),
        lambda new: desk.problems.add(new, actor=user.actor(), correlation_id=correlation_id),
    )
    return problem.id


async def read(problem_id: str, *, user: Principal, desk: ProblemDesk) -> dict:
    doc = await desk.problems.read(problem_id)
    if doc is None:
        raise NotFound("problem_not_found", f"问题 {problem_id} 不存在 (no such problem)")
    policy.authorize_read_problem(user, doc, problem_id)
    return doc
