"""The requirement's life in intake, as pure rules: every legal and illegal transition."""

from datetime import UTC, date, datetime

import pytest

from services.intake.domain import (
    Channel,
    InvalidTransition,
    RequirementCategory,
    RequirementForm,
    Status,
    Submitter,
    WindowCheck,
    WindowClosed,
    draft_requirement,
    submit_new_requirement,
)
from shared.events import RequirementSubmitted

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
OPEN = WindowCheck(open=True, next_opening=date(2027, 1, 4))
CLOSED = WindowCheck(open=False, next_opening=date(2027, 1, 4))
FORM = RequirementForm(RequirementCategory.NEW, "指标导出", "在指标查询界面增加导出功能。")
UNIT = Submitter("u-1", "张敏", "bu-150102-01", "新城区教育局", ["150000", "150100", "150102", "bu-150102-01"])


def test_submission_inside_the_window_records_the_event_with_the_whole_form() -> None:
    requirement = submit_new_requirement(FORM, UNIT, Channel.FORM, OPEN, NOW)
    [event] = requirement.events
    assert isinstance(event, RequirementSubmitted)
    assert (event.round, event.title, event.org_path, event.channel) == (1, "指标导出", UNIT.org_path, "form")
    assert requirement.status is Status.SUBMITTED


def test_submission_outside_the_window_is_refused_with_the_next_opening_date() -> None:
    with pytest.raises(WindowClosed) as refused:
        submit_new_requirement(FORM, UNIT, Channel.FORM, CLOSED, NOW)
    assert refused.value.next_opening == date(2027, 1, 4)
    assert "2027-01-04" in refused.value.message


def test_a_draft_is_saved_outside_the_window_and_edited_freely() -> None:
    draft = draft_requirement(FORM, UNIT, Channel.FORM, NOW)
    draft.amend(RequirementForm(RequirementCategory.REPORT, "新报表", "增加三保支出统计报表。"), "u-1", NOW)
    assert draft.status is Status.DRAFT and draft.form.category is RequirementCategory.REPORT
    assert draft.events == []


def test_a_submitted_requirement_cannot_be_edited_or_submitted_again() -> None:
    requirement = submit_new_requirement(FORM, UNIT, Channel.FORM, OPEN, NOW)
    with pytest.raises(InvalidTransition):
        requirement.amend(FORM, "u-1", NOW)
    with pytest.raises(InvalidTransition):
        requirement.submit(OPEN, "u-1", NOW)


def test_a_returned_requirement_is_amended_and_resubmitted_even_outside_the_window() -> None:
    requirement = submit_new_requirement(FORM, UNIT, Channel.FORM, OPEN, NOW)
    requirement.events.clear()
    assert requirement.mark_returned("请补充业务场景", "u-county", NOW)
    requirement.amend(FORM, "u-1", NOW)
    requirement.submit(CLOSED, "u-1", NOW)
    [event] = requirement.events
    assert event.round == 2 and requirement.status is Status.SUBMITTED


def test_return_and_reject_applied_twice_change_nothing_the_second_time() -> None:
    requirement = submit_new_requirement(FORM, UNIT, Channel.FORM, OPEN, NOW)
    assert requirement.mark_returned("原因", "u-county", NOW)
    assert not requirement.mark_returned("原因", "u-county", NOW)
    assert requirement.mark_rejected("原因", "u-county", NOW)
    assert not requirement.mark_rejected("原因", "u-county", NOW)


def test_a_rejected_requirement_is_final() -> None:
    requirement = submit_new_requirement(FORM, UNIT, Channel.FORM, OPEN, NOW)
    requirement.mark_rejected("不具有通用性", "u-county", NOW)
    with pytest.raises(InvalidTransition):
        requirement.amend(FORM, "u-1", NOW)
    with pytest.raises(InvalidTransition):
        requirement.submit(OPEN, "u-1", NOW)
