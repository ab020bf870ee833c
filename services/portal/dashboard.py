"""The dashboard's figures (MISSION "What goes out"): counts by category, status, level, region and month;
the adoption rate; the time spent per stage; the vendors' on-time rate. Pure computation over the ticket
documents of the portal's read model (milestones.py); no I/O.

Definitions (also in docs/dashboards.md):
- **month**: the month, in Asia/Shanghai on the business calendar, of the ticket's first submission or
  report; the month range filters every figure by it.
- **level**: the finance level (county / city / region) whose review the requirement is at, or last was
  at (第三条); problems and requirements not yet in review have none and are not counted there.
- **region**: the league/city (盟市) of the submitting organisation; organisations of the region itself
  count as 自治区本级 (code 150000).
- **adoption rate** (采纳率, 第六条三): adopted / decided, where decided are the requirements the business
  division has confirmed, adopted or not; requirements rejected during review or merged are not decided
  by the business division and do not count.
- **time per stage**, in days (24 h, not working days) between the first time each milestone was reached:
  review = submitted → review completed (so a return for amendment counts in it), refinement = review
  completed → refined, confirmation = refined → confirmed, until dispatch = confirmed (a problem: reported)
  → work order dispatched, development = dispatched → delivered, verification = verification requested
  → verified, release = verified → released, problem resolution = reported → closed. Average and median
  over the tickets that reached both ends.
- **vendor on-time rate** (第六条五、六): per vendor, work orders delivered on or before their planned
  delivery date, over those delivered plus those still undelivered after it (overdue). Work orders not
  yet due are not counted.
"""

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import mean, median
from typing import Any, Literal
from zoneinfo import ZoneInfo

from shared.errors import InvalidInput
from shared.orgtree import REGION_CODE, VENDORS, divisions

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MAX_MONTHS = 60
KINDS = ("requirement", "problem")
Kind = Literal["requirement", "problem"]
LEVELS = ("county", "city", "region")
STAGES: list[tuple[str, tuple[str, ...], str]] = [  # key, start milestone (first present), end milestone
    ("review", ("submitted",), "review_completed"),
    ("refinement", ("review_completed",), "refined"),
    ("confirmation", ("refined",), "confirmed"),
    ("until_dispatch", ("confirmed", "reported"), "dispatched"),
    ("development", ("dispatched",), "delivered"),
    ("verification", ("verification_requested",), "verified"),
    ("release", ("verified",), "released"),
    ("problem_resolution", ("reported",), "closed"),
]
DAY = 86_400


@dataclass(frozen=True)
class DashboardQuery:
    """The filters of `GET /api/dashboard`, checked: month range (YYYY-MM, both ends included) and kind."""

    first: str | None = None
    last: str | None = None
    kind: Kind | None = None

    @classmethod
    def parse(cls, first: str | None, last: str | None, kind: str | None) -> "DashboardQuery":
        for name, value in (("from", first), ("to", last)):
            if value is not None and not MONTH.match(value):
                raise InvalidInput("invalid_month", f"月份须为 YYYY-MM：{value} (month must be YYYY-MM)", field=name)
        if first and last and first > last:
            raise InvalidInput("invalid_range", f"起始月份 {first} 晚于结束月份 {last} (from after to)", field="from")
        if first and last and len(months_between(first, last)) > MAX_MONTHS:
            raise InvalidInput("range_too_long", f"月份范围最多 {MAX_MONTHS} 个月 (at most {MAX_MONTHS})", field="from")
        if kind is not None and kind not in KINDS:
            raise InvalidInput("invalid_kind", f"类型须为 requirement 或 problem：{kind}", field="kind")
        return cls(first, last, kind)  # type: ignore[arg-type]


def months_between(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def month_start(month: str, offset: timedelta) -> datetime:
    """The real instant at which `month` starts on the business calendar (a lower bound for queries)."""
    return datetime(int(month[:4]), int(month[5:]), 1, tzinfo=SHANGHAI) - offset


def started(ticket: dict[str, Any]) -> datetime | None:
    milestones = ticket.get("milestones") or {}
    return milestones.get("submitted") or milestones.get("reported") or ticket.get("submitted_at")


def month_of(ticket: dict[str, Any], offset: timedelta) -> str | None:
    at = started(ticket)
    return (at + offset).astimezone(SHANGHAI).strftime("%Y-%m") if at else None


def region_of(org_path: list[str]) -> str:
    """The league/city of an org_path ([region, city, (county,) org]); the region's own organisations: 150000."""
    return org_path[1] if len(org_path) > 2 else REGION_CODE


def region_name(code: str) -> str:
    if code == REGION_CODE:
        return "自治区本级"
    division = divisions().get(code)
    return division.name if division else code


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def figures(tickets: list[dict[str, Any]], query: DashboardQuery, *, offset: timedelta, today: date) -> dict[str, Any]:
    """Every figure of the dashboard for the tickets given (already scoped to the reader's area).

    `offset` is the business clock's lead over the real time (shared/clock.py; zero in production), so
    months and delivery dates are read on the same calendar as the submission window and the work orders;
    `today` is the business date that decides which undelivered work orders are overdue.
    """
    chosen = []
    for ticket in tickets:
        month = month_of(ticket, offset)
        if month is None or (query.first and month < query.first) or (query.last and month > query.last):
            continue
        if query.kind and ticket.get("kind") != query.kind:
            continue
        chosen.append({**ticket, "month": month})
    months = _month_axis(query, [t["month"] for t in chosen])
    return {
        "from": months[0] if months else query.first,
        "to": months[-1] if months else query.last,
        "kind": query.kind,
        "total": len(chosen),
        "by_kind": _counts(t.get("kind") for t in chosen),
        "by_category": _counts(t.get("category") for t in chosen),
        "by_status": _counts(t.get("status") for t in chosen),
        "by_level": _counts((t.get("review_level") for t in chosen), order=LEVELS),
        "by_region": [
            {**row, "name": region_name(row["key"])}
            for row in _counts(region_of(t["org_path"]) for t in chosen if t.get("org_path"))
        ],
        "by_month": _counts((t["month"] for t in chosen), order=months, zeros=True),
        "adoption": adoption(chosen),
        "stages": stages(chosen),
        "vendors": vendor_on_time(chosen, offset=offset, today=today),
    }


def adoption(tickets: list[dict[str, Any]]) -> dict[str, Any]:
    decided = [t["adopted"] for t in tickets if t.get("adopted") is not None]
    adopted = sum(1 for value in decided if value)
    declined = len(decided) - adopted
    return {"adopted": adopted, "declined": declined, "decided": len(decided), "rate": rate(adopted, len(decided))}


def stages(tickets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for key, starts, end in STAGES:
        days = []
        for ticket in tickets:
            milestones = ticket.get("milestones") or {}
            begin = next((milestones[name] for name in starts if milestones.get(name)), None)
            if begin is not None and milestones.get(end) is not None and milestones[end] >= begin:
                days.append((milestones[end] - begin).total_seconds() / DAY)
        rows.append(
            {
                "key": key,
                "count": len(days),
                "average_days": round(mean(days), 3) if days else None,
                "median_days": round(median(days), 3) if days else None,
            }
        )
    return rows


def vendor_on_time(tickets: list[dict[str, Any]], *, offset: timedelta, today: date) -> list[dict[str, Any]]:
    names = dict(VENDORS)
    counts: dict[str, Counter] = {}
    for ticket in tickets:
        vendor, planned = ticket.get("vendor_id"), ticket.get("planned_delivery")
        if not vendor or not planned:
            continue
        planned_day = date.fromisoformat(planned)
        delivered = (ticket.get("milestones") or {}).get("delivered")
        tally = counts.setdefault(vendor, Counter())
        if delivered is not None:
            tally["on_time" if (delivered + offset).astimezone(SHANGHAI).date() <= planned_day else "late"] += 1
        elif today > planned_day:
            tally["overdue"] += 1
        else:
            tally["not_due"] += 1
    rows = []
    for vendor, tally in sorted(counts.items()):
        counted = tally["on_time"] + tally["late"] + tally["overdue"]
        rows.append(
            {
                "vendor_id": vendor,
                "name": names.get(vendor, vendor),
                "on_time": tally["on_time"],
                "late": tally["late"],
                "overdue": tally["overdue"],
                "not_due": tally["not_due"],
                "rate": rate(tally["on_time"], counted),
            }
        )
    return rows


def _month_axis(query: DashboardQuery, seen: list[str]) -> list[str]:
    first = query.first or (min(seen) if seen else None)
    last = query.last or (max(seen) if seen else None)
    if not first or not last or first > last:
        return []
    return months_between(first, last)[-MAX_MONTHS:]


def _counts(values, *, order: tuple[str, ...] | list[str] = (), zeros: bool = False) -> list[dict[str, Any]]:
    """[{key, count}] — in `order` first (with zero rows if `zeros`), then the others by count, largest first."""
    counted = Counter(value for value in values if value is not None)
    rows = [{"key": key, "count": counted.pop(key, 0)} for key in order if zeros or key in counted]
    rows += [{"key": key, "count": count} for key, count in sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))]
    return rows
