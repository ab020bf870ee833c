"""Every step in every state of every category (第十一条一～四): the legal ones move the case and record who,
when and why; every other one is a 409 and changes nothing."""

import pytest

from services.review.problems.domain import FLOWS, IllegalTransition, Status, Step, take_step
from services.review.problems.tests.factories import ACTORS, COMMANDS, NOW, PATHS, in_status
from services.review.tests.factories import REGION
from shared.events import ConsultingDetails

STATES = [(category, status) for category, paths in PATHS.items() for status in paths]


def test_every_state_of_every_flow_is_reachable_and_covered() -> None:
    for category, flow in FLOWS.items():
        in_flow = {status for allowed in flow.values() for status in allowed}
        assert in_flow <= set(PATHS[category]), category


@pytest.mark.parametrize(("category", "status"), STATES, ids=[f"{c}-{s}" for c, s in STATES])
def test_a_step_the_state_does_not_allow_is_refused_and_changes_nothing(category: str, status: Status) -> None:
    for step in Step:
        if status in FLOWS[category].get(step, ()):
            continue
        case = in_status(category, status)
        history = len(case.history)
        with pytest.raises(IllegalTransition) as refused:
            take_step(case, step, COMMANDS.get(step), by=ACTORS[step], now=NOW)
        assert refused.value.status_code == 409
        expected = "illegal_transition" if step in FLOWS[category] else "step_not_in_category"
        if step is Step.REPAIR and status is Status.AWAITING_BACKUP:
            expected = "backup_required"
        assert refused.value.code == expected, (category, status, step)
        assert (case.status, len(case.history), case.events) == (status, history, [])


LEGAL = [
    (category, step, status)
    for category, flow in FLOWS.items()
    for step, allowed in flow.items()
    for status in allowed
    if step is not Step.PROMOTE
]


@pytest.mark.parametrize(("category", "step", "status"), LEGAL, ids=[f"{c}-{s}-{t}" for c, s, t in LEGAL])
def test_a_legal_step_moves_the_case_and_records_who_when_and_why(category: str, step: Step, status: Status) -> None:
    business = {"details": ConsultingDetails(question_type="business")} if step is Step.ESCALATE else {}
    case = in_status(category, status, **business)
    by = REGION if status is Status.AWAITING_REGION_REVIEW else ACTORS[step]
    take_step(case, step, COMMANDS[step], by=by, now=NOW)
    entry = case.history[-1]
    assert (entry.actor_id, entry.at, entry.status_from) == (by.user_id, NOW, status.value)
    assert entry.status_to == case.status.value
    assert case.events, "every step emits an event"
    assert all(event.ticket_id == case.ticket_id and event.status == case.status.value for event in case.events)
