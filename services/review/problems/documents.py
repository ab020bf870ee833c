"""How a problem case and an FAQ entry look as stored documents (one document each, no nested arrays).

History, pauses and the data repair's review chain are lists of flat subdocuments; the clocks are one flat
subdocument (`sla`). Who acts next (`owner_*`) and the overall SLA state are stored beside the state, so
the queue, the ledger and the periodic check are plain indexed queries.
"""

from dataclasses import asdict
from typing import Any

from services.review.problems.domain import (
    Answerer,
    FaqEntry,
    HistoryEntry,
    Link,
    Pause,
    ProblemCase,
    ReviewStep,
    Status,
    owner_of,
)
from services.review.problems.sla import SlaRecord


def case_state(case: ProblemCase) -> dict[str, Any]:
    """Every field a step may change (the `$set` of a save); identity, version and outbox are apart."""
    owner = owner_of(case)
    return {
        "category": case.category,
        "title": case.title,
        "description": case.description,
        "submitter_id": case.submitter_id,
        "submitter_name": case.submitter_name,
        "org_id": case.org_id,
        "org_name": case.org_name,
        "org_kind": case.org_kind,
        "org_path": case.org_path,
        "opened_at": case.opened_at,
        "opened_month": case.opened_month,
        "urgent": case.urgent,
        "module": case.module,
        "channel": case.channel,
        "details": case.details,
        "recorded_by": case.recorded_by,
        "caller": case.caller,
        "status": case.status.value,
        "history": [asdict(entry) for entry in case.history],
        "pauses": [asdict(pause) for pause in case.pauses],
        "resume_status": case.resume_status.value if case.resume_status else None,
        "first_response_at": case.first_response_at,
        "closed_at": case.closed_at,
        "outcome": case.outcome,
        "outcome_reason": case.outcome_reason,
        "refinement": case.refinement,
        "user_requirements": case.user_requirements,
        "dispatch_round": case.dispatch_round,
        "release": case.release,
        "compliance": case.compliance,
        "configuration": case.configuration,
        "review_chain": [asdict(step) for step in case.review_chain],
        "review_position": case.review_position,
        "business_division_id": case.business_division_id,
        "plan": case.plan,
        "plan_round": case.plan_round,
        "backup": case.backup,
        "repair": case.repair,
        "answerer": asdict(case.answerer) if case.answerer else None,
        "escalated": case.escalated,
        "answer": case.answer,
        "answers": case.answers,
        "faq_entry_id": case.faq_entry_id,
        "assignee": case.assignee,
        "rating": case.rating,
        "sla": asdict(case.sla),
        "sla_state": case.sla.state,
        "sla_next_check_at": case.sla.next_check_at,
        "owner_role": owner.role,
        "owner_org_id": owner.org_id,
        "owner_division": owner.division_code,
        "owner_label": owner.label,
    }


def case_from_document(doc: dict[str, Any]) -> ProblemCase:
    return ProblemCase(
        ticket_id=doc["_id"],
        category=doc["category"],
        title=doc["title"],
        description=doc["description"],
        submitter_id=doc["submitter_id"],
        org_id=doc["org_id"],
        org_path=list(doc["org_path"]),
        opened_at=doc["opened_at"],
        opened_month=doc["opened_month"],
        sla=SlaRecord(**doc["sla"]),
        status=Status(doc["status"]),
        urgent=doc.get("urgent", False),
        module=doc.get("module", ""),
        channel=doc.get("channel", "form"),
        details=doc.get("details") or {},
        submitter_name=doc.get("submitter_name", ""),
        org_name=doc.get("org_name", ""),
        org_kind=doc.get("org_kind", ""),
        recorded_by=doc.get("recorded_by"),
        caller=doc.get("caller"),
        history=[HistoryEntry(**entry) for entry in doc.get("history", [])],
        pauses=[Pause(**pause) for pause in doc.get("pauses", [])],
        resume_status=Status(doc["resume_status"]) if doc.get("resume_status") else None,
        first_response_at=doc.get("first_response_at"),
        closed_at=doc.get("closed_at"),
        outcome=doc.get("outcome"),
        outcome_reason=doc.get("outcome_reason", ""),
        refinement=doc.get("refinement") or {},
        user_requirements=doc.get("user_requirements", ""),
        dispatch_round=doc.get("dispatch_round", 0),
        release=doc.get("release"),
        compliance=doc.get("compliance"),
        configuration=doc.get("configuration"),
        review_chain=[ReviewStep(**step) for step in doc.get("review_chain", [])],
        review_position=doc.get("review_position", 0),
        business_division_id=doc.get("business_division_id"),
        plan=doc.get("plan"),
        plan_round=doc.get("plan_round", 0),
        backup=doc.get("backup"),
        repair=doc.get("repair"),
        answerer=Answerer(**doc["answerer"]) if doc.get("answerer") else None,
        escalated=doc.get("escalated", False),
        answer=doc.get("answer"),
        answers=doc.get("answers", 0),
        faq_entry_id=doc.get("faq_entry_id"),
        assignee=doc.get("assignee"),
        rating=doc.get("rating"),
        version=doc["version"],
    )


def entry_state(entry: FaqEntry) -> dict[str, Any]:
    return {
        "question": entry.question,
        "answer": entry.answer,
        "category": entry.category,
        "module": entry.module,
        "links": [asdict(link) for link in entry.links],
        "source_ticket_id": entry.source_ticket_id,
        "revision": entry.revision,
        "published_by": entry.published_by,
        "published_by_name": entry.published_by_name,
        "published_at": entry.published_at,
        "updated_at": entry.updated_at,
    }


def entry_from_document(doc: dict[str, Any]) -> FaqEntry:
    return FaqEntry(
        id=doc["_id"],
        question=doc["question"],
        answer=doc["answer"],
        category=doc["category"],
        published_by=doc["published_by"],
        published_at=doc["published_at"],
        module=doc.get("module", ""),
        links=[Link(**link) for link in doc.get("links", [])],
        source_ticket_id=doc.get("source_ticket_id"),
        published_by_name=doc.get("published_by_name", ""),
        revision=doc.get("revision", 1),
        updated_at=doc.get("updated_at"),
        version=doc["version"],
    )
