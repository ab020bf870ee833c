"""SLA figures per organisation and month (第十一条四: 2小时内回应, 当日响应率, 当日办结率), from the clocks stored
on each case (the per-case fields are decided when a case is answered, closed, or found past due by the
periodic check), and how satisfied the reporters were with the closed ones (满意度). The database counts them
per category (ProblemCaseRepository.sla_counts, from counters kept as cases change: decision 0018); the rates
are worked out here. Also the SLA board's counts of the open cases per SLA state."""

import re
from typing import Any

from services.review.problems import policy
from services.review.problems.domain import InvalidCommand
from services.review.problems.handlers import ProblemDesk
from services.review.problems.ledger import ledger_query
from shared.auth import Principal

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


async def sla_figures(month: str, org: str | None, *, reader: Principal, desk: ProblemDesk) -> dict[str, Any]:
    """The month's figures for `org` (a division code or an organisation id) within the reader's area."""
    policy.authorize_figures(reader)
    if not MONTH.match(month):
        raise InvalidCommand("invalid_month", f"月份须为 YYYY-MM ({month})", field="month")
    counts = await desk.cases.sla_counts(ledger_query(reader, org=org), month=month)
    return {"month": month, "org": org, **figures(counts)}


async def open_counts(*, reader: Principal, desk: ProblemDesk) -> dict[str, Any]:
    """The open cases of the reader's area: how many (the total of the board's pages) and in each SLA state."""
    counted = await desk.cases.open_counts(ledger_query(reader, status="open"))
    return {"open": counted.pop("open"), "by_state": counted}


def rate(met: int, decided: int) -> float | None:
    return round(met / decided, 4) if decided else None


def figures(counted: dict[str, dict[str, int]]) -> dict:
    """SLA figures from the counts per category (`_COUNTERS` of each), per 第十一条四.

    Consulting: the 2-hour response rate, the same-day response rate and the same-day resolution rate,
    each over the cases whose outcome is decided (answered, closed, or already past due). Every category:
    the share of first responses and resolutions within its policy.
    """
    by_category = {category: {key: int(row.get(key, 0)) for key in _COUNTERS} for category, row in counted.items()}
    consulting = by_category.get("consulting", dict.fromkeys(_COUNTERS, 0))
    every = {key: sum(counts[key] for counts in by_category.values()) for key in _COUNTERS}
    return {
        "satisfaction": satisfaction(every),
        "consulting": {
            "reported": consulting["reported"],
            "two_hour_response_rate": rate(consulting["response_met"], consulting["response_decided"]),
            "same_day_response_rate": rate(consulting["responded_same_day"], consulting["responded_same_day_decided"]),
            "same_day_resolution_rate": rate(consulting["resolved_same_day"], consulting["resolved_same_day_decided"]),
            **{key: consulting[key] for key in _COUNTERS if key != "reported"},
        },
        "by_category": {
            category: {
                **counts,
                "response_rate": rate(counts["response_met"], counts["response_decided"]),
                "resolution_rate": rate(counts["resolution_met"], counts["resolution_decided"]),
                "satisfaction": satisfaction(counts),
            }
            for category, counts in sorted(by_category.items())
        },
    }


def satisfaction(counts: dict[str, int]) -> dict[str, Any]:
    """满意度: how many closed cases their reporters rated, the average of 1–5 stars, and the share of 4 or 5."""
    rated = counts["rated"]
    return {
        "rated": rated,
        "average_score": round(counts["score_sum"] / rated, 2) if rated else None,
        "satisfied_rate": rate(counts["satisfied"], rated),
    }


_COUNTERS = (
    "reported",
    "response_met",
    "response_decided",
    "resolution_met",
    "resolution_decided",
    "responded_same_day",
    "responded_same_day_decided",
    "resolved_same_day",
    "resolved_same_day_decided",
    "rated",
    "score_sum",
    "satisfied",
)
