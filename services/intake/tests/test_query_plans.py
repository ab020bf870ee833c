"""Every list and lookup of intake's stores uses an index: none reads a whole table of 100,000+ rows.

A throw-away database is migrated, seeded with COPY (requirements and problems of 2,060 units in every
county of the region, in every status and category, over two years; their attachments; a large directory
copy, calendar and window tables), ANALYZEd, and every read method is called through PlanCheckingDatabase.
"""

import random
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from services.intake.tests.conftest import Stores, intake_stores
from shared.auth import Principal
from shared.db import dumps
from shared.orgtree import division_path, divisions
from shared.plans import PlanCheckingDatabase
from shared.plans import explained as plan_checked

REQUIREMENTS = 120_000
PROBLEMS = 100_000
START = datetime(2025, 1, 1, tzinfo=UTC)
STATUSES = ["submitted"] * 7 + ["draft", "returned", "rejected"]
CATEGORIES = ["configuration", "data_repair", "bug", "consulting"]
COUNTIES = sorted(code for code, division in divisions().items() if division.level == "county")
UNITS = [
    (f"bu-{county}-{n:02d}", [*division_path(county), f"bu-{county}-{n:02d}"]) for county in COUNTIES for n in range(20)
]


def principal(user_id: str, org_id: str, org_kind: str, division_code: str, roles: list[str]) -> Principal:
    path = [*division_path(division_code), org_id]
    return Principal(
        user_id=user_id,
        username=user_id,
        name=user_id,
        org_id=org_id,
        org_kind=org_kind,
        org_name=org_id,
        division_code=division_code,
        org_path=path,
        roles=roles,
    )


UNIT_ID, UNIT_PATH = UNITS[0]
UNIT_USER = principal("u-0", UNIT_ID, "budget_unit", UNIT_PATH[-2], ["submitter"])
COUNTY = principal("u-county", f"fb-{UNIT_PATH[-2]}", "finance_bureau", UNIT_PATH[-2], ["reviewer"])
CITY = principal("u-city", f"fb-{UNIT_PATH[1]}", "finance_bureau", UNIT_PATH[1], ["reviewer"])
REGION = principal("u-region", "fb-150000", "finance_bureau", "150000", ["reviewer"])
AUDITOR = principal("u-audit", "au-150000", "budget_unit", "150000", ["auditor"])
REQUIREMENT_COLUMNS = [
    *("id", "status", "submitter_id", "org_path", "submitted_at", "updated_at"),
    *("import_key", "attachments", "doc", "version"),
]
READERS = {"unit": UNIT_USER, "county": COUNTY, "city": CITY, "region": REGION, "auditor": AUDITOR}


def requirement_rows(rng: random.Random) -> list[tuple]:
    rows = []
    for n in range(REQUIREMENTS):
        unit, path = rng.choice(UNITS)
        at = START + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        doc = {
            "category": rng.choice(["new", "optimisation", "report"]),
            "title": f"需求 {n}",
            "description": "在指标查询界面增加导出功能。",
            "business_scenario": "",
            "expected_effect": "",
            "urgency": "normal",
            "module": "指标管理",
            "local_justification": "",
            "channel": "form",
            "round": 1,
            "recorded_by": None,
            "submitter_name": "张敏",
            "org_id": unit,
            "org_name": unit,
            "history": [{"action": "submitted", "by": "u", "at": at.isoformat(), "reason": ""}],
        }
        key = f"{unit}:{n}" if n % 5 == 0 else None  # a fifth came from spreadsheets
        attachments = [{"id": f"ATT-{n}", "name": "a.png"}] if n % 2 == 0 else []
        user = f"u-{unit}-{rng.randrange(3)}"
        rows.append((f"REQ-{n:07d}", rng.choice(STATUSES), user, path, at, at, key, dumps(attachments), dumps(doc), 1))
    return rows


def problem_rows(rng: random.Random) -> list[tuple]:
    rows = []
    for n in range(PROBLEMS):
        unit, path = rng.choice(UNITS)
        at = START + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        doc = {
            "title": f"问题 {n}",
            "description": "点击下载回单提示系统错误。",
            "urgent": n % 7 == 0,
            "module": "",
            "details": {"kind": "consulting"},
            "channel": "form",
            "status": "reported",
            "submitter": {"id": f"u-{unit}-0", "name": "张敏"},
            "org": {"id": unit, "name": unit, "kind": "budget_unit"},
            "caller": None,
        }
        recorded_by = "u-duty" if n % 10 == 0 else None
        rows.append((f"PRB-{n:07d}", rng.choice(CATEGORIES), path, recorded_by, at, dumps(doc), 1))
    return rows


async def seed(url: str) -> None:
    rng = random.Random(11)
    # Without the pool's JSON codec (COPY is binary): JSONB values go as their JSON text (shared.db.dumps).
    conn = await asyncpg.connect(url)
    try:
        await conn.copy_records_to_table(
            "requirements",
            records=requirement_rows(rng),
            columns=REQUIREMENT_COLUMNS,
        )
        await conn.copy_records_to_table(
            "attachment_files",
            records=[(f"ATT-{n}", f"REQ-{n:07d}", b"\x89PNG") for n in range(0, REQUIREMENTS, 2)],
            columns=["id", "requirement_id", "content"],
        )
        await conn.copy_records_to_table(
            "problems",
            records=problem_rows(rng),
            columns=["id", "category", "org_path", "recorded_by", "reported_at", "doc", "version"],
        )
        await conn.copy_records_to_table(
            "organisations",
            records=[
                (f"bu-x-{n}", f"单位 {n}", "budget_unit", rng.choice(COUNTIES), [], n % 9 != 0, START)
                for n in range(30_000)
            ],
            columns=["id", "name", "kind", "division_code", "domains", "active", "changed_at"],
        )
        days = [date(1990, 1, 1) + timedelta(days=n) for n in range(15_000)]  # more than a region ever enters
        await conn.copy_records_to_table(
            "calendar_overrides",
            records=[(day, day.weekday() < 5 if n % 4 else None, "", "u-itd", START) for n, day in enumerate(days)],
            columns=["day", "is_workday", "note", "by", "at"],
        )
        windows = [START - timedelta(days=7300) + timedelta(hours=12 * n) for n in range(15_000)]
        await conn.copy_records_to_table(
            "submission_windows",
            records=[(f"WIN-{n}", at, at + timedelta(days=3), "补充征集", "u-itd") for n, at in enumerate(windows)],
            columns=["id", "opens_at", "closes_at", "reason", "by"],
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


@pytest.fixture(scope="module")
async def checked(intake_database_url: str) -> AsyncIterator[Stores]:
    await seed(intake_database_url)
    db = PlanCheckingDatabase(intake_database_url, large=10_000)
    await db.connect()
    try:
        yield intake_stores(db)
    finally:
        await db.close()


async def explained(stores: Stores, call: Awaitable[Any]) -> Any:
    assert isinstance(stores.db, PlanCheckingDatabase)
    return await plan_checked(stores.db, call)


@pytest.mark.parametrize("reader", list(READERS))
@pytest.mark.parametrize("status", [None, "submitted", "draft", "returned"])
async def test_requirement_lists_of_every_area_and_status_use_an_index(
    checked: Stores, reader: str, status: str | None
) -> None:
    user = READERS[reader]
    for mine in (False, True):
        for skip in (0, 200):
            page = await explained(
                checked, checked.requirements.list_in_area(user, status=status, mine=mine, limit=50, skip=skip)
            )
            assert all(user.covers(doc["org"]["path"]) for doc in page)
            assert all(doc["submitter"]["id"] == user.user_id for doc in page if doc["status"] == "draft")


async def test_a_units_list_shows_its_own_requirements_newest_first(checked: Stores) -> None:
    user = principal("u-bu-x-0", UNIT_ID, "budget_unit", UNIT_PATH[-2], ["submitter"])
    page = await explained(checked, checked.requirements.list_in_area(user, status=None, mine=False, limit=50, skip=0))
    assert page and all(doc["org"]["id"] == UNIT_ID and doc["status"] != "draft" for doc in page)
    assert [doc["submitted_at"] for doc in page] == sorted((doc["submitted_at"] for doc in page), reverse=True)


async def test_requirement_lookups_use_the_primary_key(checked: Stores) -> None:
    assert (await explained(checked, checked.requirements.get("REQ-0000042"))).id == "REQ-0000042"
    doc = await explained(checked, checked.requirements.read("REQ-0000042"))
    assert doc["_id"] == "REQ-0000042" and doc["attachments"][0]["id"] == "ATT-42"
    assert await explained(checked, checked.requirements.read("REQ-nowhere")) is None
    assert await explained(checked, checked.attachments.content("ATT-42")) == b"\x89PNG"


@pytest.mark.parametrize("reader", list(READERS))
@pytest.mark.parametrize("category", [None, "data_repair", "consulting"])
async def test_problem_lists_of_every_area_and_category_use_an_index(
    checked: Stores, reader: str, category: str | None
) -> None:
    user = READERS[reader]
    for skip in (0, 200):
        page = await explained(checked, checked.problems.list_in_area(user, category=category, limit=50, skip=skip))
        assert all(user.covers(doc["org"]["path"]) for doc in page)
        assert all(doc["category"] == category for doc in page if category)
        assert [doc["reported_at"] for doc in page] == sorted((doc["reported_at"] for doc in page), reverse=True)


async def test_problem_lookup_uses_the_primary_key(checked: Stores) -> None:
    assert (await explained(checked, checked.problems.read("PRB-0000042")))["_id"] == "PRB-0000042"


async def test_directory_lookup_uses_the_primary_key(checked: Stores) -> None:
    found = await explained(checked, checked.directory.get("bu-x-10"))
    assert found is not None and found[0].name == "单位 10" and found[1] is True


async def test_the_windows_calendar_reads_only_the_days_and_windows_that_can_still_matter(checked: Stores) -> None:
    since = date(2030, 12, 1)
    overrides = await explained(checked, checked.calendar.overrides(since))
    assert overrides and all(o["_id"] >= since.isoformat() and o["is_workday"] is not None for o in overrides)
    at = START - timedelta(days=30)
    windows = await explained(checked, checked.calendar.extra_windows(at))
    assert windows and all(w["closes_at"] > at for w in windows)
