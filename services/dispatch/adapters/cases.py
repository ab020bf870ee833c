"""Dispatch cases as rows (services/dispatch/migrations/0001_initial.py). A change of a case is ONE
transaction: the version-guarded UPDATE of its row (history appended) and its events' outbox rows. An
UPDATE that finds the version moved on changes nothing and raises ConcurrentChange: a 409 for a person, a
fresh read and a retry for a consumer (services.dispatch.handlers._retrying)."""

from datetime import date, datetime
from typing import Any

from services.dispatch.domain import (
    NOT_YET_DELIVERED,
    CaseStatus,
    DispatchCase,
    HistoryEntry,
    WorkOrder,
    WorkOrderStatus,
)
from shared.db import Database, affected
from shared.errors import DomainError
from shared.events import Actor, Envelope
from shared.outbox import Outbox

COLUMNS = (
    "ticket_id, kind, status, urgency, submitter_id, org_path, adopted_at, work_order_id, vendor_id,"
    " work_order_status, planned_delivery, dispatched_at, overdue_reported, release_id, doc, history, version"
)
# Literals, not parameters, so the planner matches them with the partial indexes' predicates on every plan.
NOT_DELIVERED = "(" + ", ".join(f"'{stage.value}'" for stage in NOT_YET_DELIVERED) + ")"
IN_PROGRESS = f"'{CaseStatus.IN_PROGRESS.value}'"

INSERT = f"""
    INSERT INTO dispatch_cases ({COLUMNS})
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 1)
    ON CONFLICT (ticket_id) DO NOTHING
    RETURNING true
"""
UPDATE = """
    UPDATE dispatch_cases
       SET kind = $3, status = $4, urgency = $5, submitter_id = $6, org_path = $7, adopted_at = $8,
           work_order_id = $9, vendor_id = $10, work_order_status = $11, planned_delivery = $12,
           dispatched_at = $13, overdue_reported = $14, release_id = $15, doc = $16,
           history = history || $17::jsonb, version = version + 1, updated_at = now()
     WHERE ticket_id = $1 AND version = $2
"""


class ConcurrentChange(DomainError):
    """Someone else changed the case between our read and our write."""

    def __init__(self, ticket_id: str) -> None:
        super().__init__("concurrent_change", f"需求 {ticket_id} 刚被他人修改，请刷新后重试 (changed meanwhile)")


class DispatchCaseRepository:
    def __init__(self, db: Database, outbox: Outbox) -> None:
        self._db = db
        self._outbox = outbox

    async def add(self, case: DispatchCase, *, actor: Actor, cause: Envelope) -> bool:
        """Insert a new case with its events; False (and nothing written) when it exists already."""
        async with self._db.transaction() as conn:
            history = [_history(entry) for entry in case.history]
            if not await conn.fetchval(INSERT, case.ticket_id, *_columns(case), history):
                return False
            await self._outbox.add(conn, case.events, actor=actor, causation=cause)
        return True

    async def save(
        self,
        case: DispatchCase,
        *,
        actor: Actor,
        correlation_id: str | None = None,
        causation: Envelope | None = None,
    ) -> None:
        """Write the case if nobody changed it since it was read (optimistic check on `version`)."""
        recorded = [_history(entry) for entry in case.recorded]
        async with self._db.transaction() as conn:
            status = await conn.execute(UPDATE, case.ticket_id, case.version, *_columns(case), recorded)
            if affected(status) == 0:
                raise ConcurrentChange(case.ticket_id)
            await self._outbox.add(conn, case.events, actor=actor, correlation_id=correlation_id, causation=causation)

    async def get(self, ticket_id: str) -> DispatchCase | None:
        row = await self._db.fetchrow(f"SELECT {COLUMNS} FROM dispatch_cases WHERE ticket_id = $1", ticket_id)
        return to_case(row) if row else None

    async def get_many(self, ticket_ids: list[str]) -> dict[str, DispatchCase]:
        rows = await self._db.fetch(
            f"SELECT {COLUMNS} FROM dispatch_cases WHERE ticket_id = ANY($1::text[])", ticket_ids
        )
        return {row["ticket_id"]: to_case(row) for row in rows}

    async def by_work_order(self, work_order_id: str) -> DispatchCase | None:
        row = await self._db.fetchrow(f"SELECT {COLUMNS} FROM dispatch_cases WHERE work_order_id = $1", work_order_id)
        return to_case(row) if row else None

    async def awaiting_dispatch(self, *, limit: int, skip: int) -> list[DispatchCase]:
        """第六条五: the IT division's queue, urgent first (急事急办: "urgent" sorts after "normal"), then oldest."""
        rows = await self._db.fetch(
            f"""SELECT {COLUMNS} FROM dispatch_cases
                 WHERE status = '{CaseStatus.AWAITING_DISPATCH.value}'
                 ORDER BY urgency DESC, adopted_at, ticket_id
                 LIMIT $1 OFFSET $2""",
            limit,
            skip,
        )
        return [to_case(row) for row in rows]

    async def work_orders(
        self,
        *,
        vendor_id: str | None,
        stage: str | None = None,
        late: bool | None = None,
        today: date,
        limit: int,
        skip: int,
    ) -> list[DispatchCase]:
        """Cases with a work order, newest dispatch first: one vendor's (or all, for None), at one stage,
        late or not (past the planned delivery date and not delivered)."""
        args: list[Any] = []

        def arg(value: Any) -> str:
            args.append(value)
            return f"${len(args)}"

        conditions = ["dispatched_at IS NOT NULL"]
        if vendor_id is not None:
            conditions.append(f"vendor_id = {arg(vendor_id)}")
        if stage:
            conditions.append(f"work_order_status = {arg(stage)}")
        if late is not None:
            lateness = f"(work_order_status IN {NOT_DELIVERED} AND planned_delivery < {arg(today)})"
            conditions.append(lateness if late else f"NOT {lateness}")
        rows = await self._db.fetch(
            f"""SELECT {COLUMNS} FROM dispatch_cases WHERE {" AND ".join(conditions)}
                 ORDER BY dispatched_at DESC LIMIT {arg(limit)} OFFSET {arg(skip)}""",
            *args,
        )
        return [to_case(row) for row in rows]

    async def awaiting_verification_by(self, submitter_id: str, *, limit: int = 500) -> list[DispatchCase]:
        """第六条七: the deliveries the requester is asked to verify."""
        rows = await self._db.fetch(
            f"""SELECT {COLUMNS} FROM dispatch_cases
                 WHERE submitter_id = $1 AND status = '{CaseStatus.AWAITING_VERIFICATION.value}'
                 ORDER BY ticket_id LIMIT $2""",
            submitter_id,
            limit,
        )
        return [to_case(row) for row in rows]

    async def claim_overdue_candidates(
        self, today: date, *, limit: int = 500, lease_seconds: float = 300.0
    ) -> list[DispatchCase]:
        """Open, not yet delivered, past the planned delivery date, not yet reported overdue: claimed for
        `lease_seconds` (SKIP LOCKED, so instances checking at once take different cases; a claim of an
        instance that died expires and another takes it over). The claim does not touch `version`, so it
        never makes anyone else's change a conflict; the save of the flagged case is version-guarded."""
        rows = await self._db.fetch(
            f"""UPDATE dispatch_cases SET overdue_lease_until = now() + make_interval(secs => $3)
                 WHERE ticket_id IN (
                       SELECT ticket_id FROM dispatch_cases
                        WHERE status = {IN_PROGRESS} AND NOT overdue_reported AND planned_delivery < $1
                          AND (overdue_lease_until IS NULL OR overdue_lease_until < now())
                        ORDER BY planned_delivery
                        LIMIT $2
                          FOR UPDATE SKIP LOCKED)
             RETURNING {COLUMNS}""",
            today,
            limit,
            float(lease_seconds),
        )
        return sorted((to_case(row) for row in rows), key=lambda case: case.ticket_id)


def _columns(case: DispatchCase) -> tuple[Any, ...]:
    """Parameters $3…$16 of INSERT and UPDATE: the columns, then the rest of the case as `doc`."""
    order = case.work_order
    return (
        case.kind,
        case.status.value,
        case.urgency,
        case.submitter_id,
        list(case.org_path),
        case.adopted_at,
        order.id if order else None,
        order.vendor_id if order else None,
        order.status.value if order else None,
        order.planned_delivery if order else None,
        order.dispatched_at if order else None,
        order.overdue_reported if order else False,
        case.release_id,
        _doc(case),
    )


def _doc(case: DispatchCase) -> dict[str, Any]:
    order = case.work_order
    return {
        "title": case.title,
        "description": case.description,
        "category": case.category,
        "business_division_id": case.business_division_id,
        "expected_upgrade": case.expected_upgrade.isoformat() if case.expected_upgrade else None,
        "problem_round": case.problem_round,
        "work_order": {
            "number": order.number,
            "priority": order.priority,
            "effort_days": order.effort_days,
            "planned_start": order.planned_start.isoformat(),
            "urgent": order.urgent,
            "delivered_version": order.delivered_version,
            "reopen_count": order.reopen_count,
        }
        if order
        else None,
    }


def _history(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "action": entry.action,
        "actor": {"user_id": entry.actor_id, "name": entry.actor_name},
        "at": entry.at.isoformat(),
        "note": entry.note,
    }


def to_case(row: Any) -> DispatchCase:
    doc = row["doc"]
    return DispatchCase(
        ticket_id=row["ticket_id"],
        title=doc["title"],
        description=doc["description"],
        category=doc["category"],
        urgency=row["urgency"],
        submitter_id=row["submitter_id"],
        org_path=list(row["org_path"]),
        business_division_id=doc["business_division_id"],
        expected_upgrade=date.fromisoformat(doc["expected_upgrade"]) if doc["expected_upgrade"] else None,
        adopted_at=row["adopted_at"],
        status=CaseStatus(row["status"]),
        work_order=_to_work_order(row, doc["work_order"]) if doc["work_order"] else None,
        release_id=row["release_id"],
        kind=row["kind"],
        problem_round=doc["problem_round"],
        version=row["version"],
        history=[_to_history(entry) for entry in row["history"]],
    )


def _to_history(entry: dict[str, Any]) -> HistoryEntry:
    actor, at = entry["actor"], datetime.fromisoformat(entry["at"])
    return HistoryEntry(entry["action"], actor["user_id"], actor["name"], at, entry["note"])


def _to_work_order(row: Any, order: dict[str, Any]) -> WorkOrder:
    return WorkOrder(
        id=row["work_order_id"],
        number=order["number"],
        vendor_id=row["vendor_id"],
        priority=order["priority"],
        effort_days=order["effort_days"],
        planned_start=date.fromisoformat(order["planned_start"]),
        planned_delivery=row["planned_delivery"],
        urgent=order["urgent"],
        dispatched_at=row["dispatched_at"],
        status=WorkOrderStatus(row["work_order_status"]),
        delivered_version=order["delivered_version"],
        reopen_count=order["reopen_count"],
        overdue_reported=row["overdue_reported"],
    )
