"""Splitting a requirement during refinement (第六条二) as pure rules: the original ends as split, its event
carries everything a part needs, and each part opens as a review case awaiting refinement."""

import pytest

from services.review.domain import (
    IllegalTransition,
    InvalidCommand,
    MergeRequirement,
    RefineRequirement,
    RejectRequirement,
    RequirementPart,
    SplitRequirement,
    Status,
    merge,
    refine,
    reject,
    split,
    split_parts,
)
from services.review.handlers import when_requirement_split_open_parts
from services.review.tests.factories import (
    COUNTY,
    ITDIV,
    NOW,
    confirmed,
    event_types,
    new_case,
    refined,
    reviewed,
)
from services.review.tests.fakes import FakeCases
from shared.events import Envelope

ID = "REQ-202612-0001"
EXPORT = RequirementPart(" 指标查询导出 ", "在指标查询界面增加按条件导出 Excel 的功能。", "指标管理")
PRINT = RequirementPart("凭证批量打印", "会计凭证支持按日期范围批量打印，减少逐张打印。")
SPLIT = SplitRequirement(ID, (EXPORT, PRINT), " 一项需求包含两件无关的事 ")


def rejected():
    case = new_case()
    reject(case, RejectRequirement(ID, "不具有全区通用性，建议本地解决"), by=COUNTY, now=NOW)
    return case


def merged():
    case = reviewed()
    merge(case, MergeRequirement(ID, "REQ-OTHER"), into=reviewed("REQ-OTHER"), by=ITDIV, now=NOW)
    return case


def split_case():
    case = reviewed()
    split(case, SPLIT, by=ITDIV, now=NOW)
    return case


@pytest.mark.parametrize("state", [reviewed, refined], ids=["awaiting refinement", "awaiting confirmation"])
def test_split_ends_the_original_and_names_its_parts(state) -> None:
    case = state()
    split(case, SPLIT, by=ITDIV, now=NOW)

    assert case.status is Status.SPLIT and case.status.label == "已拆分"
    assert case.split_into == [f"{ID}-1", f"{ID}-2"]
    assert event_types(case) == ["RequirementSplit"]
    event = case.events[0]
    assert event.parts == [f"{ID}-1", f"{ID}-2"] and event.reason == "一项需求包含两件无关的事"
    assert [(i.ticket_id, i.title, i.module) for i in event.items] == [
        (f"{ID}-1", "指标查询导出", "指标管理"),
        (f"{ID}-2", "凭证批量打印", ""),
    ]
    assert (event.submitter_id, event.org_path, event.category) == (case.submitter_id, case.org_path, case.category)
    last = case.history[-1]
    assert (last.action, last.actor_id, last.opinion) == ("split", ITDIV.user_id, f"拆分为 {ID}-1、{ID}-2")


NOT_SPLITTABLE = {
    "in review": new_case,
    "rejected": rejected,
    "merged": merged,
    "split": split_case,
    "confirmed": confirmed,
}


@pytest.mark.parametrize("state", NOT_SPLITTABLE.values(), ids=NOT_SPLITTABLE.keys())
def test_only_a_requirement_awaiting_refinement_or_confirmation_can_be_split(state) -> None:
    case = state()
    case.events.clear()
    with pytest.raises(IllegalTransition) as refused:
        split(case, SPLIT, by=ITDIV, now=NOW)
    assert (refused.value.code, refused.value.status_code) == ("not_splittable", 409)
    assert case.events == []


@pytest.mark.parametrize("count", [0, 1, 11])
def test_a_split_makes_two_to_ten_requirements(count) -> None:
    case = reviewed()
    with pytest.raises(InvalidCommand) as refused:
        split(case, SplitRequirement(ID, (EXPORT,) * count), by=ITDIV, now=NOW)
    assert (refused.value.field, refused.value.status_code) == ("parts", 422)
    assert case.status is Status.AWAITING_REFINEMENT and case.events == []


@pytest.mark.parametrize(
    ("part", "field"),
    [
        (RequirementPart("短", PRINT.description), "parts.1.title"),
        (RequirementPart("  ", PRINT.description), "parts.1.title"),
        (RequirementPart(PRINT.title, "太短的描述"), "parts.1.description"),
        (RequirementPart(PRINT.title, PRINT.description, "模" * 101), "parts.1.module"),
    ],
)
def test_a_part_out_of_limits_is_named_and_nothing_changes(part, field) -> None:
    case = reviewed()
    with pytest.raises(InvalidCommand) as refused:
        split(case, SplitRequirement(ID, (EXPORT, part)), by=ITDIV, now=NOW)
    assert refused.value.field == field
    assert case.status is Status.AWAITING_REFINEMENT and case.split_into == [] and case.events == []


def test_each_part_opens_awaiting_refinement_with_the_originals_review() -> None:
    original = refined()  # routed once already: the parts are refined afresh
    split(original, SPLIT, by=ITDIV, now=NOW)
    [event] = original.events

    first, second = split_parts(original, event, by=ITDIV, now=NOW)

    assert (first.ticket_id, second.ticket_id) == (f"{ID}-1", f"{ID}-2")
    assert all(p.status is Status.AWAITING_REFINEMENT and p.split_from == ID for p in (first, second))
    assert (first.title, first.description, first.module) == ("指标查询导出", EXPORT.description, "指标管理")
    assert (second.submitter_id, second.org_path, second.chain) == (
        original.submitter_id,
        original.org_path,
        original.chain,
    )
    assert first.business_division_id is None and first.current_task is None and first.events == []
    assert [h.action for h in first.history] == [
        "submitted",
        "forwarded",
        "forwarded",
        "forwarded",
        "review_completed",
        "split_from",
    ]
    assert first.history[-1].opinion == f"由 {ID} 拆分而来"
    refine(first, RefineRequirement(first.ticket_id, "bd-treasury"), by=ITDIV, now=NOW)  # each goes on alone
    assert first.status is Status.AWAITING_CONFIRMATION and second.status is Status.AWAITING_REFINEMENT


async def test_a_redelivered_split_opens_each_part_once() -> None:
    cases = FakeCases()
    original = cases.put(reviewed())
    split(original, SPLIT, by=ITDIV, now=NOW)
    envelope = Envelope.wrap(original.events[0], source="/fiscaldesk/review", actor=ITDIV.actor())
    await cases.save(original, actor=ITDIV.actor())

    await when_requirement_split_open_parts(envelope, repository=cases)
    first = dict(cases.docs[f"{ID}-1"])
    del cases.docs[f"{ID}-2"]  # a crash after the first part: the redelivered event adds the missing one
    await when_requirement_split_open_parts(envelope, repository=cases)
    await when_requirement_split_open_parts(envelope, repository=cases)

    assert cases.docs[f"{ID}-1"] == first
    assert cases.status(f"{ID}-2") == "awaiting_refinement"
    assert cases.status(ID) == "split" and cases.docs[ID]["split_into"] == [f"{ID}-1", f"{ID}-2"]
