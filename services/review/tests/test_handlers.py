"""Review's use cases with in-memory repositories: resubmission rounds, batches, races, publication steps."""

import pytest

from services.review.domain import (
    ConcurrentChange,
    ForwardRequirement,
    IllegalTransition,
    PublishMonth,
    ReturnRequirement,
    ReviewInBatch,
    draft_publication,
)
from services.review.handlers import review_in_batch, review_requirement, when_requirement_submitted_open_review
from services.review.publishing import list_publications, publish_month, read_publication, resume_drafts, specification
from services.review.tests.factories import (
    BIZDIV,
    CITY,
    COUNTY,
    ITDIV,
    NOW,
    SUBMITTER_USER,
    confirmed,
    new_case,
    person,
    refined,
    submitted,
)
from services.review.tests.fakes import FakeCases, FakePublications
from shared.clock import FixedClock
from shared.errors import Forbidden
from shared.events import SYSTEM, Envelope

CLOCK = FixedClock(NOW)


def delivered(event) -> Envelope:
    return Envelope.wrap(event, source="/fiscaldesk/intake", actor=SYSTEM, correlation_id="c-1")


async def on_submitted(cases: FakeCases, event) -> None:
    await when_requirement_submitted_open_review(delivered(event), repository=cases, clock=CLOCK)


async def test_a_submission_opens_one_case_however_often_it_is_delivered() -> None:
    cases = FakeCases()
    await on_submitted(cases, submitted())
    await on_submitted(cases, submitted())
    assert cases.outbox == [("REQ-202612-0001", "ReviewTaskOpened")]
    assert cases.docs["REQ-202612-0001"]["submitted_month"] == "2026-12"


async def test_a_resubmission_reopens_the_case_once_per_round() -> None:
    cases = FakeCases()
    await on_submitted(cases, submitted())
    await review_requirement(ReturnRequirement("REQ-202612-0001", "请补充业务场景"), by=COUNTY, repository=cases,
                             correlation_id="c-2")  # fmt: skip
    await on_submitted(cases, submitted(round=2))
    await on_submitted(cases, submitted(round=2))
    await on_submitted(cases, submitted(round=1))

    doc = cases.docs["REQ-202612-0001"]
    assert (doc["status"], doc["round"], doc["current_task_id"]) == ("in_review", 2, "REQ-202612-0001:county:2")
    assert [event for _, event in cases.outbox].count("ReviewTaskOpened") == 2


async def test_a_batch_applies_each_item_on_its_own() -> None:
    cases = FakeCases()
    for ticket_id in ("REQ-1", "REQ-2", "REQ-3"):
        cases.put(new_case(ticket_id))
    command = ReviewInBatch(("REQ-1", "REQ-404", "REQ-2", "REQ-1", "REQ-3"), "forward")

    results = await review_in_batch(command, by=COUNTY, repository=cases, correlation_id="c-3")

    assert [(r["ticket_id"], r["ok"], r.get("error")) for r in results] == [
        ("REQ-1", True, None),
        ("REQ-404", False, "case_not_found"),
        ("REQ-2", True, None),
        ("REQ-1", False, "task_not_current"),  # already forwarded by the first item
        ("REQ-3", True, None),
    ]
    assert [results[1]["http_status"], results[3]["http_status"]] == [404, 409]
    assert {cases.docs[t]["current_level"] for t in ("REQ-1", "REQ-2", "REQ-3")} == {"city"}


async def test_a_batch_by_a_non_reviewer_is_refused_as_a_whole() -> None:
    cases = FakeCases()
    cases.put(new_case("REQ-1"))
    with pytest.raises(Forbidden):
        await review_in_batch(ReviewInBatch(("REQ-1",), "forward"), by=ITDIV, repository=cases, correlation_id="c")
    assert cases.status("REQ-1") == "in_review"


async def test_a_lost_race_is_a_conflict_and_writes_nothing() -> None:
    cases = FakeCases()
    cases.put(new_case("REQ-1"))
    cases.lose_next_save_of.add("REQ-1")
    with pytest.raises(ConcurrentChange) as refused:
        await review_requirement(ForwardRequirement("REQ-1"), by=COUNTY, repository=cases, correlation_id="c")
    assert refused.value.status_code == 409
    assert cases.docs["REQ-1"]["current_level"] == "county" and cases.outbox == []


async def publish(cases, publications, **command):
    return await publish_month(
        PublishMonth(**{"month": "2026-12", **command}),
        by=ITDIV,
        cases=cases,
        publications=publications,
        correlation_id="c",
    )


async def test_publishing_the_month_takes_every_confirmed_requirement() -> None:
    cases, publications = FakeCases(), FakePublications()
    cases.put(confirmed("REQ-A"))
    cases.put(confirmed("REQ-B", adopted=False))
    cases.put(refined("REQ-C"))

    batch = await publish(cases, publications)

    assert batch["_id"] == "PUB-2026-12" and [e["ticket_id"] for e in batch["entries"]] == ["REQ-A", "REQ-B"]
    assert batch["entries"][1]["reason"] == "与现有导出功能重复，可使用通用导出"
    assert publications.outbox == ["PublicationPublished"]
    assert (cases.status("REQ-A"), cases.status("REQ-C")) == ("published", "awaiting_confirmation")
    assert ("REQ-B", "RequirementPublished") in cases.outbox


async def test_publishing_again_in_the_month_amends_its_one_publication() -> None:
    cases, publications = FakeCases(), FakePublications()
    cases.put(confirmed("REQ-A"))
    first = await publish(cases, publications)
    cases.put(confirmed("REQ-D"))

    amended = await publish(cases, publications)

    assert amended["_id"] == first["_id"] == "PUB-2026-12" and list(publications.docs) == ["PUB-2026-12"]
    assert [e["ticket_id"] for e in amended["entries"]] == ["REQ-A", "REQ-D"]
    assert (amended["revision"], amended["added"]) == (2, ["REQ-D"])
    assert publications.outbox == ["PublicationPublished", "PublicationPublished"]
    assert cases.status("REQ-D") == "published"
    with pytest.raises(IllegalTransition) as refused:
        await publish(cases, publications)  # nothing newly confirmed: nothing to add
    assert refused.value.code == "nothing_to_publish" and publications.docs["PUB-2026-12"]["revision"] == 2


VENDOR_USER = person("vendor1", "vendor-a", "vendor", "150000", ["vendor"])
AUDITOR_USER = person("auditor", "audit", "audit_office", "150000", ["auditor"])
PUBLIC = {"ticket_id", "title", "category", "org_name", "business_division_id", "adopted", "expected_upgrade", "reason"}


@pytest.mark.parametrize("reader", [VENDOR_USER, SUBMITTER_USER, COUNTY], ids=lambda p: p.username)
async def test_publication_shows_the_public_fields_only_to_those_who_may_not_read_the_specification(reader) -> None:
    cases, publications = FakeCases(), FakePublications()
    cases.put(confirmed("REQ-A"))
    batch = await publish(cases, publications)
    stores = {"publications": publications}

    [listed] = await list_publications(reader=reader, month=None, limit=10, skip=0, **stores)
    read = await read_publication(batch["_id"], reader=reader, **stores)

    for seen in (listed, read):
        assert [set(entry) for entry in seen["entries"]] == [PUBLIC]
        assert seen["entries"][0]["title"] == batch["entries"][0]["title"]
    with pytest.raises(Forbidden):
        await specification(batch["_id"], reader=reader, **stores)


@pytest.mark.parametrize("reader", [ITDIV, BIZDIV, AUDITOR_USER], ids=lambda p: p.username)
async def test_publication_keeps_the_whole_texts_for_those_who_read_the_specification(reader) -> None:
    cases, publications = FakeCases(), FakePublications()
    cases.put(confirmed("REQ-A"))
    batch = await publish(cases, publications)

    [listed] = await list_publications(reader=reader, month=None, limit=10, skip=0, publications=publications)

    assert listed["entries"][0]["description"] == batch["entries"][0]["description"] != ""
    assert await specification(batch["_id"], reader=reader, publications=publications)


async def test_publishing_a_named_requirement_before_confirmation_writes_nothing() -> None:
    cases, publications = FakeCases(), FakePublications()
    cases.put(confirmed("REQ-A"))
    cases.put(refined("REQ-C"))
    with pytest.raises(IllegalTransition) as refused:
        await publish(cases, publications, ticket_ids=("REQ-A", "REQ-C"))
    assert refused.value.code == "not_confirmed" and refused.value.status_code == 409
    assert publications.docs == {} and cases.status("REQ-A") == "confirmed"


async def test_a_requirement_taken_meanwhile_is_left_out_of_the_batch() -> None:
    cases, publications = FakeCases(), FakePublications()
    cases.put(confirmed("REQ-A"))
    cases.put(confirmed("REQ-B"))
    cases.lose_next_save_of.add("REQ-B")

    batch = await publish(cases, publications)

    assert [entry["ticket_id"] for entry in batch["entries"]] == ["REQ-A"]


async def test_a_batch_a_crash_left_half_way_is_completed_at_start() -> None:
    cases, publications = FakeCases(), FakePublications()
    case_a, case_b = cases.put(confirmed("REQ-A")), cases.put(confirmed("REQ-B"))
    draft = draft_publication([case_a, case_b], month="2026-12", sequence=1, by=ITDIV, now=NOW)
    await publications.reserve(draft)  # ... and the process died before marking anything

    await resume_drafts(cases=cases, publications=publications)

    assert publications.docs["PUB-2026-12"]["status"] == "published"
    assert publications.outbox == ["PublicationPublished"]
    assert cases.status("REQ-A") == cases.status("REQ-B") == "published"


async def test_reviewers_of_the_right_level_move_a_case_up() -> None:
    cases = FakeCases()
    cases.put(new_case("REQ-1"))
    await review_requirement(ForwardRequirement("REQ-1"), by=COUNTY, repository=cases, correlation_id="c")
    answer = await review_requirement(
        ForwardRequirement("REQ-1", "同意"), by=CITY, repository=cases, correlation_id="c"
    )
    assert answer["current_level"] == "region" and answer["version"] == 3
