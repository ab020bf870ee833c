"""The dashboard's figures as pure computation (services/portal/dashboard.py): each definition on small data."""

from datetime import UTC, date, datetime, timedelta

import pytest

from services.portal.dashboard import DashboardQuery, figures, median_of, months_between
from services.portal.milestones import facts_of
from shared.errors import InvalidInput
from shared.events import Actor, Envelope

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
TODAY = date(2026, 12, 10)
COUNTY_UNIT = ["150000", "150100", "150102", "bu-150102-01"]
CITY_UNIT = ["150000", "150200", "bu-150200-01"]
REGION_UNIT = ["150000", "bu-150000-01"]


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def ticket(kind="requirement", category="new", status="in_review", org_path=COUNTY_UNIT, **extra) -> dict:
    milestones = extra.pop("milestones", {"submitted" if kind == "requirement" else "reported": T0})
    return {
        "kind": kind,
        "category": category,
        "status": status,
        "org_path": org_path,
        "submitted_at": T0,
        "milestones": milestones,
        **extra,
    }


def compute(tickets, first=None, last=None, kind=None, offset=timedelta(0), today=TODAY) -> dict:
    return figures(tickets, DashboardQuery.parse(first, last, kind), offset=offset, today=today)


def test_counts_by_category_status_level_region_and_month() -> None:
    rows = [
        ticket(review_level="county"),
        ticket(category="report", review_level="city", org_path=CITY_UNIT),
        ticket(kind="problem", category="bug", status="reported", org_path=REGION_UNIT),
        ticket(milestones={"submitted": at(-40)}, status="released"),  # October... 22 Oct
    ]
    result = compute(rows)
    assert result["total"] == 4
    assert result["by_category"] == [
        {"key": "new", "count": 2},
        {"key": "bug", "count": 1},
        {"key": "report", "count": 1},
    ]
    assert {r["key"]: r["count"] for r in result["by_status"]} == {"in_review": 2, "reported": 1, "released": 1}
    assert result["by_level"] == [{"key": "county", "count": 1}, {"key": "city", "count": 1}]
    assert result["by_region"] == [
        {"key": "150100", "count": 2, "name": "呼和浩特市"},
        {"key": "150000", "count": 1, "name": "自治区本级"},
        {"key": "150200", "count": 1, "name": "包头市"},
    ]
    # Every month between the first and the last, the empty November included.
    assert result["by_month"] == [
        {"key": "2026-10", "count": 1},
        {"key": "2026-11", "count": 0},
        {"key": "2026-12", "count": 3},
    ]
    assert (result["from"], result["to"]) == ("2026-10", "2026-12")


def test_the_month_is_the_first_submission_in_beijing_on_the_business_calendar() -> None:
    late_evening = ticket(milestones={"submitted": datetime(2026, 11, 30, 17, 0, tzinfo=UTC)})  # 1 Dec 01:00 Beijing
    assert compute([late_evening])["by_month"] == [{"key": "2026-12", "count": 1}]
    # A business clock a day ahead of the real time moves 30 Nov 10:00 UTC (18:00 Beijing) into December.
    evening = ticket(milestones={"submitted": datetime(2026, 11, 30, 10, 0, tzinfo=UTC)})
    assert compute([evening])["by_month"] == [{"key": "2026-11", "count": 1}]
    assert compute([evening], offset=timedelta(days=1))["by_month"] == [{"key": "2026-12", "count": 1}]


def test_month_range_and_kind_filter_every_figure() -> None:
    rows = [
        ticket(milestones={"submitted": at(-40)}, adopted=True),
        ticket(adopted=False),
        ticket(kind="problem", category="consulting"),
    ]
    december = compute(rows, first="2026-11", last="2026-12")
    assert december["total"] == 2
    assert december["by_month"] == [{"key": "2026-11", "count": 0}, {"key": "2026-12", "count": 2}]
    assert december["adoption"] == {"adopted": 0, "declined": 1, "decided": 1, "rate": 0.0}
    problems = compute(rows, kind="problem")
    assert (problems["total"], problems["by_category"]) == (1, [{"key": "consulting", "count": 1}])


def test_adoption_rate_is_adopted_over_decided_by_the_business_division() -> None:
    rows = [ticket(adopted=True), ticket(adopted=True), ticket(adopted=False), ticket(status="rejected")]
    assert compute(rows)["adoption"] == {"adopted": 2, "declined": 1, "decided": 3, "rate": 0.6667}
    assert compute([ticket()])["adoption"]["rate"] is None


def test_time_per_stage_average_and_median_in_days() -> None:
    done = {
        "submitted": at(0),
        "review_completed": at(2),
        "refined": at(3),
        "confirmed": at(4.5),
        "dispatched": at(6),
        "delivered": at(16),
        "verification_requested": at(16),
        "verified": at(17),
        "released": at(20),
    }
    slow = {"submitted": at(0), "review_completed": at(6)}
    waiting = {"submitted": at(0)}
    problem = {"reported": at(0), "dispatched": at(1), "closed": at(0.25)}
    rows = [
        ticket(milestones=done),
        ticket(milestones=slow),
        ticket(milestones=waiting),
        ticket(kind="problem", milestones=problem),
    ]
    stages = {row["key"]: row for row in compute(rows)["stages"]}
    assert stages["review"] == {"key": "review", "count": 2, "average_days": 4.0, "median_days": 4.0}
    assert stages["refinement"]["average_days"] == 1.0
    assert stages["confirmation"]["average_days"] == 1.5
    # until dispatch: from the confirmation, or for a problem from its report
    assert stages["until_dispatch"] == {"key": "until_dispatch", "count": 2, "average_days": 1.25, "median_days": 1.25}
    assert (stages["development"]["average_days"], stages["verification"]["average_days"]) == (10.0, 1.0)
    assert stages["release"]["median_days"] == 3.0
    assert stages["problem_resolution"] == {
        "key": "problem_resolution",
        "count": 1,
        "average_days": 0.25,
        "median_days": 0.25,
    }


def test_median_of_an_even_count_and_no_average_without_tickets() -> None:
    rows = [ticket(milestones={"submitted": at(0), "review_completed": at(d)}) for d in (1, 2, 3, 10)]
    review = compute(rows)["stages"][0]
    assert (review["count"], review["average_days"], review["median_days"]) == (4, 4.0, 2.5)
    assert compute([])["stages"][1] == {"key": "refinement", "count": 0, "average_days": None, "median_days": None}


def test_the_median_is_exact_where_its_bucket_holds_one_value_else_the_buckets_mean() -> None:
    # 2.00 and 2.01 days lie in one ~2 % bucket: the middle element reads as their mean; 5 days alone is exact.
    rows = [ticket(milestones={"submitted": at(0), "review_completed": at(d)}) for d in (1, 2.0, 2.01, 5, 6)]
    review = compute(rows)["stages"][0]
    assert (review["count"], review["average_days"], review["median_days"]) == (5, 3.202, 2.005)
    same = [ticket(milestones={"submitted": at(0), "review_completed": at(d)}) for d in (1, 2, 2, 2, 9)]
    assert compute(same)["stages"][0]["median_days"] == 2.0
    assert median_of([[2, 10.0, 4.0, 6.0], [1, 9.0, 9.0, 9.0]]) == 5.0  # the first two in the bucket of 4–6 s
    assert median_of([[1, 4.0, 4.0, 4.0], [1, 9.0, 9.0, 9.0]]) == 6.5  # an even count: two exact values


def test_vendor_on_time_rate_counts_delivered_and_overdue_not_those_not_yet_due() -> None:
    def order(vendor: str, planned: str, delivered: datetime | None = None) -> dict:
        milestones = {"submitted": at(0), **({"delivered": delivered} if delivered else {})}
        return ticket(vendor_id=vendor, planned_delivery=planned, milestones=milestones)

    rows = [
        order("vendor-a", "2026-12-05", datetime(2026, 12, 5, 15, 0, tzinfo=UTC)),  # 23:00 on the day: on time
        order("vendor-a", "2026-12-05", datetime(2026, 12, 5, 17, 0, tzinfo=UTC)),  # 01:00 the day after: late
        order("vendor-a", "2026-12-09"),  # undelivered, due yesterday: overdue
        order("vendor-a", "2026-12-10"),  # due today: not yet counted
        order("vendor-b", "2026-12-20", at(3)),
    ]
    vendors = compute(rows)["vendors"]
    assert vendors == [
        {
            "vendor_id": "vendor-a",
            "name": "北疆软件有限公司（示例）",
            "on_time": 1,
            "late": 1,
            "overdue": 1,
            "not_due": 1,
            "rate": 0.3333,
        },
        {
            "vendor_id": "vendor-b",
            "name": "草原云科技有限公司（示例）",
            "on_time": 1,
            "late": 0,
            "overdue": 0,
            "not_due": 0,
            "rate": 1.0,
        },
    ]


@pytest.mark.parametrize(
    ("first", "last", "kind", "field"),
    [
        ("2026-13", None, None, "from"),
        (None, "202612", None, "to"),
        ("2026-12", "2026-01", None, "from"),
        ("2020-01", "2026-12", None, "from"),
        (None, None, "vendor", "kind"),
    ],
)
def test_bad_filters_are_refused_naming_the_field(first, last, kind, field) -> None:
    with pytest.raises(InvalidInput) as refused:
        DashboardQuery.parse(first, last, kind)
    assert (refused.value.status_code, refused.value.field) == (422, field)


def test_months_between_crosses_the_year() -> None:
    assert months_between("2026-11", "2027-02") == ["2026-11", "2026-12", "2027-01", "2027-02"]


def envelope(event_type: str, data: dict, time: datetime = T0) -> Envelope:
    common = {"source": "/t", "subject": "REQ-1", "dataschema": "t", "correlationid": "c"}
    return Envelope(type=event_type, time=time, actor=Actor(user_id="u-x"), data=data, **common)


def test_events_mark_milestones_and_current_facts() -> None:
    dispatched = facts_of(
        envelope(
            "WorkOrderDispatched",
            {"work_order_id": "WO-1", "vendor_id": "vendor-a", "planned_delivery": "2026-12-20", "stage": "x"},
        )
    )
    assert dispatched.milestones == {"dispatched": T0}
    assert (dispatched.group, dispatched.current["planned_delivery"]) == ("work_order", "2026-12-20")
    assert facts_of(envelope("ReviewTaskOpened", {"level": "city"})).current == {"review_level": "city"}
    confirmed = facts_of(envelope("RequirementConfirmed", {"adopted": False}))
    assert (confirmed.milestones, confirmed.current) == ({"confirmed": T0}, {"adopted": False})
    assert not facts_of(envelope("WorkOrderProgressed", {"stage": "in_testing"}))
    assert facts_of(envelope("WorkOrderProgressed", {"stage": "delivered"})).milestones == {"delivered": T0}
    assert not facts_of(envelope("NotificationDelivered", {}))
