"""The problem procedure's use cases with in-memory repositories: opening once, steps saved with their
clocks, races, the periodic SLA check, calendar corrections, promotion to the FAQ."""

from datetime import timedelta

import pytest

from services.review.problems import knowledge
from services.review.problems.domain import ConcurrentChange, IllegalTransition, Step
from services.review.problems.handlers import (
    check_clocks,
    read_case,
    take,
    when_calendar_corrected_keep_it,
    when_problem_reported_open_case,
)
from services.review.problems.schemas import FaqBody, PromoteBody
from services.review.problems.tests.factories import COMMANDS, reported
from services.review.problems.tests.fakes import fake_desk
from services.review.problems.tests.test_sla import at
from services.review.tests.factories import COUNTY2, ITDIV, SUBMITTER_USER
from shared.errors import NotFound
from shared.events import SYSTEM, CalendarDayCorrected, ConsultingDetails, Envelope

TUESDAY_9 = at("2026-12-01", "09:00")


def delivered(event) -> Envelope:
    return Envelope.wrap(event, source="/fiscaldesk/intake", actor=SYSTEM, correlation_id="c-1")


async def test_a_report_opens_one_case_however_often_it_is_delivered() -> None:
    desk = fake_desk(TUESDAY_9)
    envelope = delivered(reported("consulting"))
    await when_problem_reported_open_case(envelope, desk=desk)
    await when_problem_reported_open_case(envelope, desk=desk)
    doc = desk.cases.docs["PRB-202612-0001"]
    assert desk.cases.outbox == [("PRB-202612-0001", "ProblemCaseOpened")]
    assert abs(doc["opened_at"] - TUESDAY_9) < timedelta(seconds=5) and doc["opened_month"] == "2026-12"
    assert (doc["status"], doc["owner_role"], doc["sla"]["policy"]) == (
        "awaiting_answer",
        "it_or_support",
        "consulting",
    )


async def test_a_step_is_saved_with_its_events_and_its_clocks() -> None:
    desk = fake_desk(TUESDAY_9)
    await when_problem_reported_open_case(delivered(reported("bug")), desk=desk)
    desk.clock.at = at("2026-12-01", "09:45")
    case = await take("PRB-202612-0001", Step.REFINE, COMMANDS[Step.REFINE], by=ITDIV, desk=desk, correlation_id="c")
    assert (case["status"], case["status_label"], case["sla"]["response_state"]) == ("refined", "已梳理细化", "met")
    assert case["sla"]["working_seconds_to_response"] == pytest.approx(2700, abs=5)
    assert desk.cases.events_of("PRB-202612-0001")[-1] == "ProblemRefined"
    assert case["history"][-1]["actor_id"] == "u-itdiv"


async def test_a_lost_race_is_a_conflict_and_writes_nothing() -> None:
    desk = fake_desk(TUESDAY_9)
    await when_problem_reported_open_case(delivered(reported("bug")), desk=desk)
    desk.cases.lose_next_save_of.add("PRB-202612-0001")
    with pytest.raises(ConcurrentChange) as refused:
        await take("PRB-202612-0001", Step.REFINE, COMMANDS[Step.REFINE], by=ITDIV, desk=desk, correlation_id="c")
    assert refused.value.status_code == 409 and desk.cases.docs["PRB-202612-0001"]["status"] == "reported"


async def test_a_case_outside_the_readers_area_does_not_exist_for_them() -> None:
    desk = fake_desk(TUESDAY_9)
    await when_problem_reported_open_case(delivered(reported("bug")), desk=desk)
    assert (await read_case("PRB-202612-0001", reader=SUBMITTER_USER, desk=desk))["category_label"] == "软件BUG"
    with pytest.raises(NotFound):
        await read_case("PRB-202612-0001", reader=COUNTY2, desk=desk)


async def test_the_periodic_check_announces_the_warning_and_the_breach_once_each() -> None:
    desk = fake_desk(TUESDAY_9)
    question = reported("consulting", details=ConsultingDetails(question_type="business"))
    await when_problem_reported_open_case(delivered(question), desk=desk)
    for hhmm in ("10:00", "10:31", "11:01", "11:30", "13:40"):
        desk.clock.at = at("2026-12-01", hhmm)
        await check_clocks(desk=desk)
    events = desk.cases.events_of("PRB-202612-0001")
    assert events == ["ProblemCaseOpened", "ProblemSlaWarning", "ProblemSlaBreached"]
    assert desk.cases.docs["PRB-202612-0001"]["sla_state"] == "breached"


async def test_a_calendar_correction_is_kept_and_every_open_case_is_read_again() -> None:
    desk = fake_desk(TUESDAY_9)
    await when_problem_reported_open_case(delivered(reported("bug")), desk=desk)
    correction = CalendarDayCorrected(day="2027-01-04", is_workday=False, note="示例")
    await when_calendar_corrected_keep_it(delivered(correction), desk=desk)
    assert desk.calendar.corrections == {"2027-01-04": False}
    assert desk.cases.docs["PRB-202612-0001"]["sla_next_check_at"] == TUESDAY_9


async def test_a_consulting_answer_is_promoted_to_the_faq_once_and_then_found_and_suggested() -> None:
    desk = fake_desk(TUESDAY_9)
    await when_problem_reported_open_case(delivered(reported("consulting")), desk=desk)
    await take("PRB-202612-0001", Step.ANSWER, COMMANDS[Step.ANSWER], by=ITDIV, desk=desk, correlation_id="c")
    promoted = await knowledge.promote("PRB-202612-0001", PromoteBody(), by=ITDIV, desk=desk, correlation_id="c")
    assert (
        promoted["entry"]["_id"] == "FAQ-PRB-202612-0001"
        and promoted["case"]["faq_entry_id"] == promoted["entry"]["_id"]
    )
    assert promoted["entry"]["links"][0]["kind"] == "manual"
    with pytest.raises(IllegalTransition):
        await knowledge.promote("PRB-202612-0001", PromoteBody(), by=ITDIV, desk=desk, correlation_id="c")
    fresh = FaqBody(question="如何导出预算指标", answer="在指标管理 → 指标查询中点击导出。", module="指标管理")
    await knowledge.publish(fresh, by=ITDIV, desk=desk, correlation_id="c")
    assert desk.faq.outbox == ["FaqEntryPublished", "FaqEntryPublished"]
    found = await knowledge.find("直达资金 支付", category=None, limit=10, desk=desk)
    assert [entry["_id"] for entry in found] == ["FAQ-PRB-202612-0001"]
    suggested = await knowledge.suggestions("直达资金的支付进度怎么查", limit=5, desk=desk)
    assert [entry["_id"] for entry in suggested] == ["FAQ-PRB-202612-0001"]
