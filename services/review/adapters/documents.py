"""How a review case and a publication look as stored documents (one document each, no nested arrays).

Tasks and history are lists of flat subdocuments; dates (an expected upgrade) are stored as ISO strings,
since BSON has datetimes only.
"""

from dataclasses import asdict
from datetime import date
from typing import Any

from services.review.domain import Decision, HistoryEntry, Publication, PublicationEntry, ReviewCase, ReviewTask, Status


def case_state(case: ReviewCase) -> dict[str, Any]:
    """Every field a command may change (the `$set` of a save); identity, version and outbox are apart."""
    task = case.current_task
    return {
        "title": case.title,
        "description": case.description,
        "category": case.category,
        "urgency": case.urgency,
        "module": case.module,
        "submitter_id": case.submitter_id,
        "submitter_name": case.submitter_name,
        "org_id": case.org_id,
        "org_name": case.org_name,
        "org_path": case.org_path,
        "submitted_month": case.submitted_month,
        "round": case.round,
        "status": case.status.value,
        "chain": [{"level": level, "division_code": code} for level, code in case.chain],
        "tasks": [asdict(task) for task in case.tasks],
        # The queue of a finance bureau is "cases whose open task is at my division".
        "current_level": task.level if task else None,
        "current_division": task.division_code if task else None,
        "current_task_id": task.id if task else None,
        # When the open task opened: the queue is oldest first, which is also soonest due (domain/deadline.py).
        "current_opened_at": task.opened_at if task else None,
        "current_overdue_at": task.overdue_at if task else None,
        "history": [asdict(entry) for entry in case.history],
        "business_division_id": case.business_division_id,
        "refinement_notes": case.refinement_notes,
        "merged_into": case.merged_into,
        "split_into": case.split_into,
        "split_from": case.split_from,
        "decision": _decision_document(case.decision),
        "batch_id": case.batch_id,
    }


def case_from_document(doc: dict[str, Any]) -> ReviewCase:
    return ReviewCase(
        ticket_id=doc["_id"],
        title=doc["title"],
        org_path=list(doc["org_path"]),
        chain=[(step["level"], step["division_code"]) for step in doc["chain"]],
        description=doc.get("description", ""),
        category=doc.get("category", ""),
        urgency=doc.get("urgency", "normal"),
        module=doc.get("module", ""),
        submitter_id=doc.get("submitter_id", ""),
        submitter_name=doc.get("submitter_name", ""),
        org_id=doc.get("org_id", ""),
        org_name=doc.get("org_name", ""),
        submitted_month=doc.get("submitted_month", ""),
        round=doc.get("round", 1),
        status=Status(doc.get("status", Status.IN_REVIEW)),
        tasks=[ReviewTask(**task) for task in doc["tasks"]],
        history=[HistoryEntry(**entry) for entry in doc.get("history", [])],
        business_division_id=doc.get("business_division_id"),
        refinement_notes=doc.get("refinement_notes", ""),
        merged_into=doc.get("merged_into"),
        split_into=list(doc.get("split_into") or []),
        split_from=doc.get("split_from"),
        decision=_decision(doc.get("decision")),
        batch_id=doc.get("batch_id"),
        version=doc["version"],
    )


def publication_state(publication: Publication) -> dict[str, Any]:
    return {
        "batch_id": publication.batch_id,
        "month": publication.month,
        "status": publication.status,
        "entries": [entry_document(entry) for entry in publication.entries],
        "adopted": sum(entry.adopted for entry in publication.entries),
        "declined": sum(not entry.adopted for entry in publication.entries),
        "created_by": publication.created_by,
        "created_by_name": publication.created_by_name,
        "created_at": publication.created_at,
        "published_at": publication.published_at,
        "revision": publication.revision,
        "amended_at": publication.amended_at,
        "added": publication.added,
    }


def publication_from_document(doc: dict[str, Any]) -> Publication:
    return Publication(
        batch_id=doc["_id"],
        month=doc["month"],
        entries=[
            PublicationEntry(**{**entry, "expected_upgrade": _date(entry.get("expected_upgrade"))})
            for entry in doc["entries"]
        ],
        created_by=doc["created_by"],
        created_by_name=doc.get("created_by_name", ""),
        created_at=doc["created_at"],
        status=doc["status"],
        published_at=doc.get("published_at"),
        revision=doc.get("revision", 1),
        amended_at=doc.get("amended_at"),
        added=list(doc.get("added", [])),
    )


def entry_document(entry: PublicationEntry) -> dict[str, Any]:
    return {**asdict(entry), "expected_upgrade": _iso(entry.expected_upgrade)}


def _decision_document(decision: Decision | None) -> dict[str, Any] | None:
    return None if decision is None else {**asdict(decision), "expected_upgrade": _iso(decision.expected_upgrade)}


def _decision(doc: dict[str, Any] | None) -> Decision | None:
    return None if doc is None else Decision(**{**doc, "expected_upgrade": _date(doc.get("expected_upgrade"))})


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
