"""What the HTTP API shows of cases, work orders and releases (the JSON shapes of docs/integration/README.md)."""

from datetime import date
from typing import Any

from services.dispatch.domain import DispatchCase, HistoryEntry

# Steps taken by the requester's side (第六条七): a vendor reads that they happened, not who took them.
REQUESTER_STEPS = frozenset({"verification_passed", "verification_failed"})
REQUESTER = {"user_id": None, "name": "需求用户"}


def history_view(entries: list[HistoryEntry], *, with_requester: bool = True) -> list[dict[str, Any]]:
    return [
        {
            "action": e.action,
            "actor": REQUESTER
            if not with_requester and e.action in REQUESTER_STEPS
            else {"user_id": e.actor_id, "name": e.actor_name},
            "at": e.at,
            "note": e.note,
        }
        for e in entries
    ]


def work_order_view(case: DispatchCase, today: date, *, with_requester: bool) -> dict[str, Any]:
    """A work order as its vendor sees it; the IT division and auditors also see who asked for it."""
    order = case.work_order
    assert order is not None
    view: dict[str, Any] = {
        "id": order.id,
        "ticket_id": case.ticket_id,
        "vendor_id": order.vendor_id,
        "status": order.status.value,
        "priority": order.priority,
        "effort_days": order.effort_days,
        "planned_start": order.planned_start,
        "planned_delivery": order.planned_delivery,
        "urgent": order.urgent,
        "overdue": order.is_overdue(today),
        "dispatched_at": order.dispatched_at,
        "delivered_version": order.delivered_version,
        "reopen_count": order.reopen_count,
        "category": case.category,
        "title": case.title,
        "description": case.description,
        "requirement_status": case.status.value,
        "release_id": case.release_id,
        "history": history_view(case.history, with_requester=with_requester),
    }
    if with_requester:
        view |= {
            "submitter_id": case.submitter_id,
            "org_path": case.org_path,
            "business_division_id": case.business_division_id,
        }
    return view


def queue_item_view(case: DispatchCase) -> dict[str, Any]:
    """An adopted requirement waiting to be dispatched, with what the IT division needs to plan it."""
    return {
        "ticket_id": case.ticket_id,
        "title": case.title,
        "description": case.description,
        "category": case.category,
        "urgency": case.urgency,
        "default_priority": "P1" if case.urgent else None,
        "business_division_id": case.business_division_id,
        "expected_upgrade": case.expected_upgrade,
        "submitter_id": case.submitter_id,
        "org_path": case.org_path,
        "adopted_at": case.adopted_at,
        "status": case.status.value,
    }


def verification_view(case: DispatchCase) -> dict[str, Any]:
    """A delivery the requester is asked to verify (第六条七)."""
    order = case.work_order
    assert order is not None
    delivered = next((e for e in reversed(case.history) if e.action == "delivered"), None)
    return {
        "ticket_id": case.ticket_id,
        "title": case.title,
        "description": case.description,
        "work_order_id": order.id,
        "vendor_id": order.vendor_id,
        "version": order.delivered_version,
        "delivered_at": delivered.at if delivered else None,
        "delivery_note": delivered.note if delivered else "",
        "reopen_count": order.reopen_count,
    }


def release_view(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": document["id"],
        "version": document["release_version"],
        "release_date": document["release_date"],
        "title": document["title"],
        "notes": document["notes"],
        "ticket_ids": document["ticket_ids"],
        "manual_url": document["manual_url"],
        "video_url": document["video_url"],
        "report_guide_url": document["report_guide_url"],
        "announced_at": document["announced_at"],
        "announced_by": document["announced_by"],
    }


def refusal_view(row: dict[str, Any]) -> dict[str, Any]:
    """A refused vendor report (VendorRefusalRead in services/dispatch/entrypoints.py)."""
    return {
        "id": row["id"],
        "vendor_id": row["vendor_id"],
        "refused_at": row["refused_at"],
        "topic": row["topic"],
        "partition": row["kafka_partition"],
        "offset": row["kafka_offset"],
        "key": row["kafka_key"],
        "message_id": row["message_id"],
        "type": row["message_type"],
        "subject": row["subject"],
        "code": row["code"],
        "reason": row["reason"],
        "detail": row["detail"],
    }
