"""Every list, queue, lookup and counter of notify's stores uses an index: none reads a whole table of
100,000+ rows.

A throw-away database is migrated and seeded with COPY as a region would fill it in a year: 150,000
deliveries over 30,000 tickets (every channel and state, a few pending or leased, most sent), 150,000
inbox notifications to the reviewers of every bureau and to 5,000 users, 100,000 of them read, 100,000
announcements over the whole tree (most expired), 100,000 users' preferences, a robot per league/city,
300 scheme versions. After ANALYZE every store method is called through PlanCheckingDatabase.
"""

import random
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from services.notify.adapters import UNREAD_CAP, AnnouncementRepository, DeliveryQueue, NotificationRepository
from services.notify.announcements import Announcement, Audience
from services.notify.config_store import PreferenceStore, RobotStore, SchemeStore
from services.notify.domain import Channels, Message, Recipient, plan_deliveries
from services.notify.scheme_defaults import default_rules
from services.notify.throttle import RobotThrottle
from shared.auth import Principal
from shared.db import dumps
from shared.orgtree import division_path, divisions
from shared.plans import PlanCheckingDatabase
from shared.plans import explained as plan_checked

NOW = datetime(2026, 12, 1, 2, tzinfo=UTC)
YEAR_AGO = NOW - timedelta(days=365)
DELIVERIES, NOTIFICATIONS, READS, ANNOUNCEMENTS, USERS = 150_000, 150_000, 100_000, 100_000, 100_000
COUNTIES = sorted(code for code, division in divisions().items() if division.level == "county")
CITIES = sorted(code for code, division in divisions().items() if division.level == "city")
BUREAUS = [f"fb-{code}" for code in [*COUNTIES, *CITIES, "150000"]]
ROLE_KEYS = [f"role:{bureau}:reviewer" for bureau in BUREAUS]
STATES = ["sent"] * 85 + ["pending"] * 5 + ["sending"] * 2 + ["failed"] * 3 + ["skipped"] * 3 + ["permanent"] * 2
TEXTS = {"zh-CN": {"title": "审核任务", "body": "请审核。"}, "en": {"title": "Review", "body": "Please review."}}
COUNTY = COUNTIES[0]
READER = Principal(
    user_id="u-7", username="county", name="县审核员", org_id=f"fb-{COUNTY}", org_name="财政局",
    org_kind="finance_bureau", division_code=COUNTY, org_path=[*division_path(COUNTY), f"fb-{COUNTY}"],
    roles=["reviewer"],
)  # fmt: skip
READER_KEYS = [f"user:{READER.user_id}", f"role:{READER.org_id}:reviewer"]


def at(rng: random.Random) -> datetime:
    return YEAR_AGO + timedelta(seconds=rng.randrange(365 * 24 * 3600))


def delivery_rows(rng: random.Random) -> list[tuple]:
    rows = []
    for n in range(DELIVERIES):
        event, channel = f"ev{n // 5}", ("inbox", "wecom", "wechat", "inbox", "wecom")[n % 5]
        recipient = rng.choice(ROLE_KEYS) if channel != "wechat" else f"user:u-{rng.randrange(USERS)}"
        recipient = f"{recipient}#{n}"  # one recipient per delivery of the event, so ids stay unique
        state, created = rng.choice(STATES), at(rng)
        due = created + timedelta(seconds=rng.randrange(600)) if state == "pending" else created
        if state == "pending" and rng.random() < 0.8:
            due = NOW + timedelta(minutes=rng.randrange(1, 600))  # held for quiet hours or backing off
        lease = NOW + timedelta(seconds=rng.randrange(1, 30)) if state == "sending" else None
        rows.append(
            (
                f"{event}:{recipient}:{channel}", event, recipient, channel, f"{event}:{recipient}",
                f"REQ-{n // 5 % 30_000:06d}", state, rng.randrange(3), created,
                None if state == "skipped" else due, lease, "t" if lease else None, None, 1,
                "opted_out" if state == "skipped" else None, None, created if state == "sent" else None, created,
                rng.randrange(1, 300), dumps({"title": "审核任务", "body": "请审核。", "texts": TEXTS}),
            )
        )  # fmt: skip
    return rows


DELIVERY_COLUMNS = [
    *("id", "event_id", "recipient", "channel", "message_key", "ticket_id", "state", "attempts", "created_at"),
    *("next_attempt_at", "lease_until", "lease_token", "claimed_by", "claims", "reason", "last_error", "sent_at"),
    *("updated_at", "scheme_version", "doc"),
]


def notification_rows(rng: random.Random) -> list[tuple]:
    rows = []
    for n in range(NOTIFICATIONS):
        recipient = rng.choice(ROLE_KEYS) if n % 3 else f"user:u-{rng.randrange(5_000)}"
        doc = {"title": f"审核任务 REQ-{n}", "body": "请审核。", "texts": TEXTS, "category": "review"}
        rows.append((f"ev{n}:{recipient}:inbox", recipient, f"ev{n}:{recipient}", f"REQ-{n:06d}", at(rng), dumps(doc)))
    return rows


def announcement_rows(rng: random.Random) -> list[tuple]:
    rows = []
    for n in range(ANNOUNCEMENTS):
        published = at(rng)
        until = published + timedelta(days=rng.randrange(1, 30)) if n % 50 else None
        prefixes = [rng.choice(COUNTIES)[: rng.choice((4, 6))]] if n % 4 else []
        roles = [rng.choice(["reviewer", "submitter", "vendor"])] if n % 3 else []
        rows.append(
            (f"ANN-{n:06d}", "notice", f"公告 {n}", "", "{}", published, published, until, n % 100 == 0,
             not prefixes, not roles, prefixes, [], roles, "u-admin")
        )  # fmt: skip
    return rows


async def seed(url: str) -> None:
    rng = random.Random(7)
    conn = await asyncpg.connect(url)
    try:
        await conn.copy_records_to_table("deliveries", records=delivery_rows(rng), columns=DELIVERY_COLUMNS)
        notifications = notification_rows(rng)
        await conn.copy_records_to_table(
            "notifications",
            records=notifications,
            columns=["id", "recipient", "message_key", "ticket_id", "created_at", "doc"],
        )
        reads: set[tuple[str, str]] = set()
        while len(reads) < READS:
            reads.add((f"u-{rng.randrange(5_000)}", rng.choice(notifications)[0]))
        await conn.copy_records_to_table(
            "notification_reads", records=sorted(reads), columns=["user_id", "notification_id"]
        )
        await conn.copy_records_to_table(
            "announcements",
            records=announcement_rows(rng),
            columns=[
                *("id", "kind", "title", "body", "links", "published_at", "visible_from", "visible_until", "pinned"),
                *("audience_everywhere", "audience_any_role", "audience_division_prefixes", "audience_org_ids"),
                *("audience_roles", "created_by"),
            ],
        )
        await conn.copy_records_to_table(
            "preferences",
            records=[
                (f"u-{n}", dumps({"channels": {"review": ["wecom"]}, "language": "zh-CN"}), NOW) for n in range(USERS)
            ],
            columns=["user_id", "doc", "updated_at"],
        )
        await conn.copy_records_to_table(
            "robots",
            records=[(f"city-{code}", f"{code} 工作群", f"k-{code}", [], code[:4]) for code in CITIES],
            columns=["id", "name", "key", "org_ids", "division_prefix"],
        )
        rules = dumps({e: [r.model_dump(mode="json") for r in rs] for e, rs in default_rules().items()})
        await conn.copy_records_to_table(
            "scheme_versions",
            records=[(n, rules, "u-admin", YEAR_AGO + timedelta(days=n), "") for n in range(1, 301)],
            columns=["version", "events", "created_by", "created_at", "note"],
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


@dataclass
class Stores:
    db: PlanCheckingDatabase
    queue: DeliveryQueue
    inbox: NotificationRepository
    announcements: AnnouncementRepository
    schemes: SchemeStore
    robots: RobotStore
    preferences: PreferenceStore
    throttle: RobotThrottle


@pytest.fixture(scope="module")
async def checked(notify_database_url: str) -> AsyncIterator[Stores]:
    await seed(notify_database_url)
    db = PlanCheckingDatabase(notify_database_url)
    await db.connect()
    try:
        yield Stores(
            db, DeliveryQueue(db), NotificationRepository(db), AnnouncementRepository(db), SchemeStore(db),
            RobotStore(db), PreferenceStore(db), RobotThrottle(db, lambda: NOW, 20, 61),
        )  # fmt: skip
    finally:
        await db.close()


async def explained(stores: Stores, call: Awaitable[Any]) -> Any:
    assert isinstance(stores.db, PlanCheckingDatabase)
    return await plan_checked(stores.db, call)


async def test_the_tables_are_large(checked: Stores) -> None:
    for table in ("deliveries", "notifications", "notification_reads", "announcements", "preferences"):
        assert await checked.db.fetchval(f"SELECT reltuples FROM pg_class WHERE relname = '{table}'") >= 100_000


async def test_claiming_the_most_overdue_delivery_and_recording_its_outcome_use_indexes(checked: Stores) -> None:
    claimed = await explained(checked, checked.queue.claim(NOW, 30, "w-plan"))
    assert claimed is not None and claimed["state"] == "sending"
    recorded = checked.queue.finish(claimed, state="sent", now=NOW, attempted=True, sent_at=NOW)
    assert await explained(checked, recorded)
    assert await explained(checked, checked.queue.next_due()) is not None


async def test_planning_deliveries_and_requeueing_one_use_the_primary_key(checked: Stores) -> None:
    message = Message(
        "ev-plan", "ReviewTaskOpened", "REQ-plan", Recipient(org_id=READER.org_id, role="reviewer"), "review",
        ("inbox", "wecom"), False, TEXTS,
    )  # fmt: skip
    planned = plan_deliveries([message], Channels(frozenset({"inbox"}), [], {}, 300), NOW)
    assert await explained(checked, checked.queue.add_all(planned)) == 2
    assert await explained(checked, checked.queue.add_all(planned)) == 0
    [failed] = await checked.queue.find(state="failed", limit=1)
    assert (await explained(checked, checked.queue.requeue(failed["_id"], NOW)))["state"] == "pending"


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"ticket_id": "REQ-000042"},
        {"state": "failed"},
        {"state": "sent"},
        {"channel": "wechat"},
        {"state": "permanent", "channel": "wecom"},
        {"ticket_id": "REQ-000042", "channel": "inbox"},
        {"ticket_id": "REQ-000042", "state": "sent", "channel": "wecom"},
    ],
)
async def test_the_delivery_records_by_ticket_state_and_channel_use_an_index(checked: Stores, filters: dict) -> None:
    rows = await explained(checked, checked.queue.find(**filters, limit=100))
    assert all(row[k] == v for row in rows for k, v in filters.items())
    assert [r["created_at"] for r in rows] == sorted((r["created_at"] for r in rows), reverse=True)


async def test_the_deliveries_of_one_message_use_an_index(checked: Stores) -> None:
    [some] = await checked.queue.find(ticket_id="REQ-000042", limit=1)
    rows = await explained(checked, checked.queue.of_message(some["message_key"]))
    assert [r["_id"] for r in rows] == [some["_id"]]


@pytest.mark.parametrize("unread_only", [False, True])
async def test_a_reviewers_inbox_uses_the_recipient_index(checked: Stores, unread_only: bool) -> None:
    items = await explained(
        checked, checked.inbox.inbox(READER_KEYS, READER.user_id, unread_only=unread_only, limit=50)
    )
    assert len(items) == 50 and all(n["recipient"] in READER_KEYS for n in items)
    assert [n["created_at"] for n in items] == sorted((n["created_at"] for n in items), reverse=True)
    assert not unread_only or not any(n["read"] for n in items)


async def test_the_unread_count_reading_and_one_notification_use_indexes(checked: Stores) -> None:
    unread = await explained(checked, checked.inbox.unread_count(READER_KEYS, READER.user_id))
    [first] = await checked.inbox.inbox(READER_KEYS, READER.user_id, unread_only=True, limit=1)
    assert await explained(checked, checked.inbox.mark_read(first["_id"], READER_KEYS, READER.user_id))
    assert unread == UNREAD_CAP, "a reviewer's inbox holds thousands unread: the count stops at the badge's 99+"
    assert (await explained(checked, checked.inbox.get(first["_id"], READER_KEYS, READER.user_id)))["read"]
    assert (
        await explained(checked, checked.inbox.mark_ticket_read(first["ticket_id"], READER_KEYS, READER.user_id)) >= 0
    )
    await explained(checked, checked.inbox.ticket_moved_on(first["ticket_id"], None, NOW))
    await explained(checked, checked.inbox.mark_all_read(READER.user_id, NOW + timedelta(days=3650)))
    assert await explained(checked, checked.inbox.unread_count(READER_KEYS, READER.user_id)) == 0
    notification = {**first, "id": "ev-new:user:u-7:inbox", "created_at": NOW}
    del notification["_id"], notification["read"], notification["ticket_title"], notification["done"]
    assert await explained(checked, checked.inbox.add(notification))


async def test_announcements_for_a_reader_every_one_and_withdrawing_use_indexes(checked: Stores) -> None:
    visible = await explained(checked, checked.announcements.visible_to(READER, NOW - timedelta(days=100), 20))
    assert visible and all(a["visible_from"] <= NOW - timedelta(days=100) for a in visible)
    assert len(await explained(checked, checked.announcements.every(50))) == 50
    added = Announcement("ANN-plan", "notice", "培训", "", NOW, NOW, audience=Audience(("1501",)))
    assert await explained(checked, checked.announcements.add(added))
    assert (await explained(checked, checked.announcements.withdraw("ANN-plan", NOW)))["visible_until"] == NOW


async def test_the_scheme_versions_use_the_primary_key(checked: Stores) -> None:
    assert (await explained(checked, checked.schemes.active()))["_id"] == 300
    assert (await explained(checked, checked.schemes.version(42)))["_id"] == 42
    assert len(await explained(checked, checked.schemes.history(50))) == 50
    saved = checked.schemes.save(300, "RequirementRejected", [], by="u-admin", note="", now=NOW)
    assert (await explained(checked, saved))["_id"] == 301


async def test_robots_and_preferences_use_indexes(checked: Stores) -> None:
    routed = await explained(checked, checked.robots.routing([READER.org_id, "itd"]))
    assert [r.id for r in routed] == [f"city-{COUNTY[:4]}00"]
    assert len(await explained(checked, checked.robots.routing([], every_group=True))) == len(CITIES)
    assert (await explained(checked, checked.robots.get(routed[0].id)))["enabled"]
    assert len(await explained(checked, checked.robots.every())) == len(CITIES)
    assert await explained(checked, checked.throttle.take(routed[0].id)) == 0
    prefs = await explained(checked, checked.preferences.for_users([f"u-{n}" for n in range(0, 2_000, 10)]))
    assert len(prefs) == 200
    assert (await explained(checked, checked.preferences.get("u-42")))["language"] == "zh-CN"
    assert (await explained(checked, checked.preferences.save("u-42", {"wechat_openid": "o-42"}, NOW)))["channels"]
    await explained(checked, checked.preferences.mark_unreachable("u-42", "o-42", "43004"))
    assert (await checked.preferences.for_users(["u-42"]))["u-42"].wechat_openid is None
