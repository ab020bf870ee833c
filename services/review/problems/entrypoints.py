"""The problem procedure's HTTP API and subscriber: parse, authorise (policy), call a handler.

Every step is `POST /api/problem-cases/{ticket_id}/<step>` with its body (services/review/problems/schemas.py);
it answers the case as it is after the step. Errors are DomainErrors, answered by shared.web as
{"error": code, "message": ..., "detail": [...]}: 404 outside the user's area, 403 for a role that may
never take the step, 409 for a step the state does not allow, 422 for a value that breaks a rule.
"""

from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from services.review.problems import knowledge, ledger
from services.review.problems.domain import Step
from services.review.problems.figures import open_counts, sla_figures
from services.review.problems.handlers import (
    ProblemDesk,
    read_case,
    read_queue,
    take,
    when_calendar_corrected_keep_it,
    when_problem_reported_open_case,
)
from services.review.problems.schemas import (
    AcceptBody,
    AnswerBody,
    AskAgainBody,
    AskUserBody,
    BackupBody,
    BusinessConfirmationBody,
    ClaimBody,
    ComplianceBody,
    ConfigureBody,
    ConfirmBody,
    EscalateBody,
    FaqBody,
    PlanAnswerBody,
    PromoteBody,
    RateBody,
    ReassignBody,
    RefineBody,
    ReleaseBody,
    RepairedBody,
    RepairPlanBody,
    RepairReviewBody,
    ReplyBody,
    ReproduceBody,
    VerifyBody,
)
from shared.auth import CurrentUser
from shared.params import Skip
from shared.runtime import Runtime

GROUP = "review-problems"
TicketPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9:_-]{1,64}$")]
Limit = Annotated[int, Query(ge=1, le=500)]
Search = Annotated[str, Query(max_length=200)]
Category = Annotated[str | None, Query(pattern="^(configuration|data_repair|bug|consulting)$")]
Org = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,64}$")]

# path, step, body, who (the docstring of the route)
STEPS: list[tuple[str, Step, type[BaseModel], str]] = [
    ("refine", Step.REFINE, RefineBody, "梳理细化 (第十一条一2、二2) — IT division; bug: error, steps, OS, browser"),
    ("reproduce", Step.REPRODUCE, ReproduceBody, "复现问题 (第十一条一3) — IT division; not reproduced asks the user"),
    ("reply", Step.REPLY, ReplyBody, "the reporter answers what was asked (clocks run again)"),
    ("confirm", Step.CONFIRM, ConfirmBody, "确认问题 (第十一条一4) — the reporter; ready for a work order"),
    ("patch-released", Step.RELEASE, ReleaseBody, "补丁发布 (第十一条一7) — IT division"),
    ("verify", Step.VERIFY, VerifyBody, "二次验证 / 业务验证 — the reporter; failed needs the reason"),
    ("compliance", Step.CHECK_COMPLIANCE, ComplianceBody, "合规论证 (第十一条二2) — IT or business division"),
    ("configure", Step.CONFIGURE, ConfigureBody, "系统配置 (第十一条二3) — IT division: change and effective date"),
    ("review", Step.REVIEW, RepairReviewBody, "数据修复审核 (第七条) — the league/city bureau, then the region"),
    ("business-confirmation", Step.CONFIRM_BUSINESS, BusinessConfirmationBody, "归口业务处室确认 (第七条)"),
    ("repair-plan", Step.PLAN, RepairPlanBody, "制定数据修复方案 (第十一条三4) — IT division"),
    ("repair-plan/answer", Step.ANSWER_PLAN, PlanAnswerBody, "确认数据修复方案 (第十一条三5) — the reporter"),
    ("backup", Step.BACK_UP, BackupBody, "原始数据备份 (第十一条三7) — IT division: reference and SHA-256"),
    ("repaired", Step.REPAIR, RepairedBody, "数据修复 (第十一条三7) — IT division, after the backup"),
    ("escalate", Step.ESCALATE, EscalateBody, "业务咨询上报自治区归口业务处室 (第七条) — the finance bureau"),
    ("ask-user", Step.ASK_USER, AskUserBody, "ask the reporter (a response; clocks paused) — the answerer"),
    ("answer", Step.ANSWER, AnswerBody, "统一答复 (第十一条四3) — the answerer"),
    ("accept", Step.ACCEPT, AcceptBody, "the reporter accepts the answer: closed"),
    ("ask-again", Step.ASK_AGAIN, AskAgainBody, "the reporter asks again"),
    (
        "claim",
        Step.CLAIM,
        ClaimBody,
        "认领 — a person of the desk that acts; taking over needs a reason",
    ),
    ("rate", Step.RATE, RateBody, "满意度评价 — the reporter, once the case is closed: 1 to 5 and a comment"),
    (
        "reassign",
        Step.REASSIGN,
        ReassignBody,
        "转派 (第七条, 第十一条四3) — to the desk that must answer it",
    ),
]
# A case answers `steps`, the steps open to the reader now, as the paths they are posted to.
STEP_PATHS: dict[Step, str] = {step: path for path, step, _, _ in STEPS} | {Step.PROMOTE: "promote-to-faq"}


def with_step_paths(case: dict) -> dict:
    return {**case, "steps": [STEP_PATHS[step] for step in case["steps"]]}


def build_router(desk: ProblemDesk) -> APIRouter:
    router = APIRouter(prefix="/api")
    for path, step, body_type, summary in STEPS:
        _step_route(router, desk, path, step, body_type, summary)

    @router.get("/problem-cases/{ticket_id}", tags=["problems"])
    async def case(ticket_id: TicketPath, user: CurrentUser) -> dict:
        """A problem case: status, owner, history (who, when, why), SLA clocks, and `steps`: the step paths the
        signed-in user may post now (state, role and turn all allow them); 404 outside your area."""
        return with_step_paths(await read_case(ticket_id, reader=user, desk=desk))

    @router.get("/problem-queue", tags=["problems"])
    async def queue(user: CurrentUser, limit: Limit = 100) -> list[dict]:
        """The open cases whose next step is the signed-in user's (urgent first, then the oldest), with `steps`."""
        return [with_step_paths(case) for case in await read_queue(user, desk=desk, limit=limit)]

    @router.post("/problem-cases/{ticket_id}/promote-to-faq", tags=["faq"])
    async def promote(ticket_id: TicketPath, body: PromoteBody, user: CurrentUser, request: Request) -> dict:
        """收入常见问题集 (第七条) — IT division: an answered consulting question becomes an FAQ entry."""
        return await knowledge.promote(ticket_id, body, by=user, desk=desk, correlation_id=request.state.correlation_id)

    @router.get("/faq", tags=["faq"])
    async def faq(user: CurrentUser, q: Search = "", category: str | None = None, limit: Limit = 50) -> list[dict]:
        """常见问题集: every signed-in user; `q` keywords must all occur in the question or answer."""
        return await knowledge.find(q, category=category, limit=limit, desk=desk)

    @router.get("/faq/suggest", tags=["faq"])
    async def suggest(user: CurrentUser, q: Search, limit: Annotated[int, Query(ge=1, le=20)] = 5) -> list[dict]:
        """Entries that may answer a consulting ticket whose title `q` is being written, before it is sent."""
        return await knowledge.suggestions(q, limit=limit, desk=desk)

    @router.get("/faq/{entry_id}", tags=["faq"])
    async def faq_entry(entry_id: TicketPath, user: CurrentUser) -> dict:
        return await knowledge.read_entry(entry_id, desk=desk)

    @router.post("/faq", status_code=201, tags=["faq"])
    async def publish(body: FaqBody, user: CurrentUser, request: Request) -> dict:
        """Publish a fresh FAQ entry with links to manuals and videos — IT division."""
        return await knowledge.publish(body, by=user, desk=desk, correlation_id=request.state.correlation_id)

    @router.put("/faq/{entry_id}", tags=["faq"])
    async def revise(entry_id: TicketPath, body: FaqBody, user: CurrentUser, request: Request) -> dict:
        """定期更新 (第七条): a new revision of an entry — IT division."""
        correlation_id = request.state.correlation_id
        return await knowledge.revise(entry_id, body, by=user, desk=desk, correlation_id=correlation_id)

    @router.get("/problem-ledger", tags=["ledger"])
    async def problem_ledger(
        user: CurrentUser,
        category: Category = None,
        status: Annotated[str | None, Query(pattern=r"^[a-z_]{1,40}$")] = None,
        urgent: bool | None = None,
        org: Org = None,
        sla_state: Annotated[str | None, Query(pattern=r"^[a-z_]{1,20}$")] = None,
        ticket_id: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9:_-]{1,64}$")] = None,
        limit: Limit = 100,
        skip: Skip = 0,
        view: Annotated[Literal["full", "board"], Query()] = "full",
    ) -> list[dict]:
        """问题解决台账 (第十一条一): the problems in your area with status, owner and SLA state; urgent first.
        `ticket_id` asks for one case: an empty list until it is open (no 404 while a report is on its way).
        `view=board` answers only what the SLA board shows of each case (decision 0018)."""
        filters = {"category": category, "status": status, "urgent": urgent, "org": org, "sla_state": sla_state}
        query = ledger.ledger_query(user, **filters, ticket_id=ticket_id)
        shown = ledger.on_board if view == "board" else ledger.present
        return [shown(doc) for doc in await desk.cases.ledger(query, limit=limit, skip=skip)]

    @router.get("/problem-ledger.xlsx", tags=["ledger"])
    async def problem_ledger_xlsx(
        user: CurrentUser,
        category: Category = None,
        status: Annotated[str | None, Query(pattern=r"^[a-z_]{1,40}$")] = None,
        urgent: bool | None = None,
        org: Org = None,
    ) -> Response:
        """The ledger as an Excel workbook with Chinese headers (at most 5000 rows)."""
        query = ledger.ledger_query(user, category=category, status=status, urgent=urgent, org=org)
        rows = [ledger.present(doc) for doc in await desk.cases.ledger(query, limit=ledger.EXPORT_LIMIT)]
        now = datetime.now(UTC)
        disposition = f'attachment; filename="{ledger.filename(now)}"'
        content = ledger.ledger_xlsx(rows, generated_at=now)
        return Response(content, media_type=ledger.MEDIA_TYPE, headers={"content-disposition": disposition})

    @router.get("/problems-sla/figures", tags=["ledger"])
    async def figures(user: CurrentUser, month: Annotated[str, Query(max_length=7)], org: Org = None) -> dict:
        """2-hour response rate, same-day response and resolution rates (第十一条四) for a month and org."""
        return await sla_figures(month, org, reader=user, desk=desk)

    @router.get("/problems-sla/open", tags=["ledger"])
    async def open_problems(user: CurrentUser) -> dict:
        """The SLA board's cards: the open problems in your area (`open`, the list's total) and `by_state`."""
        return await open_counts(reader=user, desk=desk)

    return router


def _step_route(
    router: APIRouter, desk: ProblemDesk, path: str, step: Step, body_type: type[BaseModel], summary: str
) -> None:
    async def route(ticket_id: TicketPath, body: body_type, user: CurrentUser, request: Request) -> dict:  # type: ignore[valid-type]
        command = body.command()  # type: ignore[attr-defined]
        correlation_id = request.state.correlation_id
        return with_step_paths(await take(ticket_id, step, command, by=user, desk=desk, correlation_id=correlation_id))

    route.__doc__ = summary
    router.add_api_route(
        f"/problem-cases/{{ticket_id}}/{path}",
        route,
        methods=["POST"],
        tags=["problems"],
        name=f"problem_{step.value}",
        summary=summary,
    )


def subscribe(runtime: Runtime, desk: ProblemDesk) -> None:
    """Reports from intake open cases; the region's calendar corrections reach the clocks."""
    runtime.subscribe(
        runtime.topics.requirements,
        group=GROUP,
        handlers={
            "ProblemReported": partial(when_problem_reported_open_case, desk=desk),
            "CalendarDayCorrected": partial(when_calendar_corrected_keep_it, desk=desk),
        },
    )
