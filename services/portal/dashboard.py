"""The dashboard's figures (MISSION "What goes out"): counts by category, status, level, region and month;
the adoption rate; the time spent per stage; the vendors' on-time rate. Pure computation, no I/O: `shaped`
gives the answer from counters (the read model's, migration 0008, decision 0017, which the request reads);
`counters_of` counts the same cells from ticket documents (milestones.py), so `figures` is the definition
in Python that the database's counters are tested against.

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
  over the tickets that reached both ends; the median from a histogram of ~2 % buckets (`median_of`).
- **vendor on-time rate** (第六条五、六): per vendor, work orders delivered on or before their planned
  delivery date, over those delivered plus those still undelivered after it (overdue). Work orders not
  yet due are not counted.
"""

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
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
BUCKET_RATIO = 1.02  # the stage histograms' bucket width (migration 0008 has the same)


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


@dataclass
class Counters:
    """What every figure is shaped from: the dashboard's counters (migration 0008, decision 0017) summed over
    the reader's area, the months of the range and the kind, as `TicketViews.dashboard_counters` reads them,
    or as `counters_of` counts them from ticket documents (the same definitions, in Python).

    - counts: (dimension, value, month, kind) → tickets; the month is kept for `total` only (by_month).
    - stages: (stage, bucket) → [count, seconds, shortest, longest] of the durations in the bucket.
    - vendors: (vendor, on_time | late | overdue | not_due) → work orders.
    """

    counts: Counter = field(default_factory=Counter)
    stages: dict[tuple[str, int], list] = field(default_factory=dict)
    vendors: Counter = field(default_factory=Counter)

    def add_stage(self, stage: str, bucket: int, count: int, seconds: float, shortest: float, longest: float) -> None:
        kept = self.stages.setdefault((stage, bucket), [0, 0, shortest, longest])
        kept[0] += count
        kept[1] += seconds
        kept[2], kept[3] = min(kept[2], shortest), max(kept[3], longest)


def figures(tickets: list[dict[str, Any]], query: DashboardQuery, *, offset: timedelta, today: date) -> dict[str, Any]:
    """Every figure of the dashboard for the tickets given (already scoped to the reader's area).

    `offset` is the business clock's lead over the real time (shared/clock.py; zero in production), so
    months and delivery dates are read on the same calendar as the submission window and the work orders;
    `today` is the business date that decides which undelivered work orders are overdue.
    """
    return shaped(counters_of(tickets, query, offset=offset, today=today), query)


def counters_of(tickets: list[dict[str, Any]], query: DashboardQuery, *, offset: timedelta, today: date) -> Counters:
    """The counters of the tickets in the query's months and kind: what migration 0008's cells count."""
    counters = Counters()
    for ticket in tickets:
        month = month_of(ticket, offset)
        if month is None or (query.first and month < query.first) or (query.last and month > query.last):
            continue
        kind = ticket.get("kind") or ""
        if query.kind and kind != query.kind:
            continue
        for dimension, value in _dimensions(ticket):
            counters.counts[(dimension, value, month if dimension == "total" else None, kind)] += 1
        for stage, seconds in _durations(ticket):
            counters.add_stage(stage, bucket_of(seconds), 1, seconds, seconds, seconds)
        if state := _delivery(ticket, offset=offset, today=today):
            counters.vendors[(ticket["vendor_id"], state)] += 1
    return counters


def _dimensions(ticket: dict[str, Any]) -> list[tuple[str, str]]:
    path = ticket.get("org_path")
    adopted = ticket.get("adopted")
    named = [
        ("total", ""),
        ("category", ticket.get("category")),
        ("status", ticket.get("status")),
        ("review_level", ticket.get("review_level")),
        ("region", region_of(path) if path else None),
        ("adopted", None if adopted is None else str(adopted).lower()),
    ]
    return [(dimension, value) for dimension, value in named if value is not None]


def _durations(ticket: dict[str, Any]) -> list[tuple[str, float]]:
    milestones = ticket.get("milestones") or {}
    found = []
    for key, starts, end in STAGES:
        begin = next((milestones[name] for name in starts if milestones.get(name)), None)
        if begin is not None and milestones.get(end) is not None and milestones[end] >= begin:
            found.append((key, (milestones[end] - begin).total_seconds()))
    return found


def _delivery(ticket: dict[str, Any], *, offset: timedelta, today: date) -> str | None:
    vendor, planned = ticket.get("vendor_id"), ticket.get("planned_delivery")
    if not vendor or not planned:
        return None
    delivered = (ticket.get("milestones") or {}).get("delivered")
    if delivered is not None:
        return "on_time" if (delivered + offset).astimezone(SHANGHAI).date().isoformat() <= planned else "late"
    return "overdue" if today.isoformat() > planned else "not_due"


def bucket_of(seconds: float) -> int:
    """The histogram bucket of a duration (migration 0008 dashboard_bucket): under a second 0, else b ≥ 1
    holding [ratio^(b-1), ratio^b) seconds, ~2 % wide."""
    return 0 if seconds < 1 else 1 + math.floor(math.log(seconds) / math.log(BUCKET_RATIO))


def shaped(counters: Counters, query: DashboardQuery) -> dict[str, Any]:
    """The answer of `GET /api/dashboard` from the counters of the reader's area, months and kind."""
    per = {name: Counter() for name in ("total", "category", "status", "review_level", "region", "adopted")}
    by_month, by_kind = Counter(), Counter()
    for (dimension, value, month, kind), count in counters.counts.items():
        if count:
            per[dimension][value] += count
        if dimension == "total" and count:
            by_month[month] += count
            if kind:
                by_kind[kind] += count
    months = _month_axis(query, list(by_month))
    return {
        "from": months[0] if months else query.first,
        "to": months[-1] if months else query.last,
        "kind": query.kind,
        "total": per["total"][""],
        "by_kind": _counts(by_kind),
        "by_category": _counts(per["category"]),
        "by_status": _counts(per["status"]),
        "by_level": _counts(per["review_level"], order=LEVELS),
        "by_region": [{**row, "name": region_name(row["key"])} for row in _counts(per["region"])],
        "by_month": _counts(by_month, order=months, zeros=True),
        "adoption": adoption(per["adopted"]["true"], per["adopted"]["false"]),
        "stages": stages(counters.stages),
        "vendors": vendor_on_time(counters.vendors),
        "truncated": False,
    }


def adoption(adopted: int, declined: int) -> dict[str, Any]:
    decided = adopted + declined
    return {"adopted": adopted, "declined": declined, "decided": decided, "rate": rate(adopted, decided)}


def stages(buckets: dict[tuple[str, int], list]) -> list[dict[str, Any]]:
    rows = []
    for key, _, _ in STAGES:
        mine = sorted((bucket, kept) for (stage, bucket), kept in buckets.items() if stage == key and kept[0])
        count = sum(kept[0] for _, kept in mine)
        seconds = sum(float(kept[1]) for _, kept in mine)
        rows.append(
            {
                "key": key,
                "count": count,
                "average_days": round(seconds / count / DAY, 3) if count else None,
                "median_days": round(median_of([kept for _, kept in mine]) / DAY, 3) if count else None,
            }
        )
    return rows


def median_of(buckets: list[list]) -> float:
    """The median of a histogram ([count, seconds, shortest, longest] per bucket, in bucket order): the middle
    element (the mean of the two middle ones for an even count), each exact where its bucket holds one value
    only (shortest = longest), else its bucket's mean, which is within the bucket's width (~2 %) of it."""
    total = sum(kept[0] for kept in buckets)
    middle = [(total + 1) // 2] if total % 2 else [total // 2, total // 2 + 1]
    return sum(_element(buckets, position) for position in middle) / len(middle)


def _element(buckets: list[list], position: int) -> float:
    """The value of the `position`-th element (from 1) as the histogram knows it."""
    seen = 0
    for count, seconds, shortest, longest in buckets:
        seen += count
        if seen >= position:
            return float(shortest) if shortest == longest else float(seconds) / count
    raise ValueError(f"no element {position} in the histogram")


def vendor_on_time(tallies: Counter) -> list[dict[str, Any]]:
    names = dict(VENDORS)
    rows = []
    for vendor in sorted({vendor for vendor, _ in tallies}):
        tally = {state: tallies[(vendor, state)] for state in ("on_time", "late", "overdue", "not_due")}
        counted = tally["on_time"] + tally["late"] + tally["overdue"]
        rows.append(
            {"vendor_id": vendor, "name": names.get(vendor, vendor), **tally, "rate": rate(tally["on_time"], counted)}
        )
    return rows


def _month_axis(query: DashboardQuery, seen: list[str]) -> list[str]:
    first = query.first or (min(seen) if seen else None)
    last = query.last or (max(seen) if seen else None)
    if not first or not last or first > last:
        return []
    return months_between(first, last)[-MAX_MONTHS:]


def _counts(counted: Counter, *, order: tuple[str, ...] | list[str] = (), zeros: bool = False) -> list[dict[str, Any]]:
    """[{key, count}] — in `order` first (with zero rows if `zeros`), then the others by count, largest first."""
    counted = Counter({key: count for key, count in counted.items() if count})
    rows = [{"key": key, "count": counted.pop(key, 0)} for key in order if zeros or key in counted]
    rows += [{"key": key, "count": count} for key, count in sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))]
    return rows
