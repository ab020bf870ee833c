"""The portal's stores against a real PostgreSQL database: a lost race is a 409, counters and refresh-token
rotation are single atomic statements, the seed is idempotent, keyword search finds Chinese substrings,
and the migrations go down and up again."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command

from services.portal.adapters import Directory, RefreshTokens, SignInGuard, TicketViews
from services.portal.domain import ConcurrentChange, LockoutPolicy
from services.portal.seed import DEMO_USERS, seed
from services.portal.tests.conftest import outbox
from shared.db import Database
from shared.events import Actor, OrganisationChanged
from shared.migrate import alembic_config
from shared.settings import Settings

pytestmark = pytest.mark.e2e
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
ADMIN = Actor(user_id="u-admin", name="韩管", org_id="itd", roles=["sysadmin"])
UNIT = {"id": "bu-150102-77", "name": "新城区测试局", "kind": "budget_unit", "division_code": "150102", "active": True}


def changed(org: dict, change: str) -> OrganisationChanged:
    return OrganisationChanged(
        org_id=org["id"], change=change, name=org["name"], kind=org["kind"], division_code=org["division_code"]
    )


async def outbox_count(db: Database, org_id: str) -> int:
    return await db.fetchval("SELECT count(*) FROM outbox WHERE envelope->'data'->>'org_id' = $1", org_id)


async def test_an_organisation_and_its_event_commit_together_and_a_taken_id_is_refused(portal_db: Database) -> None:
    directory = Directory(portal_db, outbox())
    assert await directory.create_organisation(UNIT, [changed(UNIT, "created")], actor=ADMIN)
    assert not await directory.create_organisation(UNIT, [changed(UNIT, "created")], actor=ADMIN)
    assert await outbox_count(portal_db, UNIT["id"]) == 1
    stored = await directory.organisation(UNIT["id"])
    assert stored is not None and (stored.org, stored.version) == (UNIT, 1)
    listed = await directory.organisations(parent_division="150102", kind="budget_unit")
    assert {"_id": UNIT["id"], **UNIT} in listed


async def test_two_concurrent_updates_of_one_organisation_give_one_success_and_one_409(
    portal_database_url: str,
) -> None:
    org = {**UNIT, "id": "bu-150102-78"}
    first_pool, second_pool = Database(portal_database_url), Database(portal_database_url)
    await first_pool.connect()
    await second_pool.connect()
    try:
        first, second = Directory(first_pool, outbox()), Directory(second_pool, outbox())
        assert await first.create_organisation(org, [changed(org, "created")], actor=ADMIN)
        read_first, read_second = await first.organisation(org["id"]), await second.organisation(org["id"])
        renamed = [{**read_first.org, "name": "改名甲"}, {**read_second.org, "name": "改名乙"}]
        results = await asyncio.gather(
            first.update_organisation(renamed[0], [changed(renamed[0], "updated")], version=1, actor=ADMIN),
            second.update_organisation(renamed[1], [changed(renamed[1], "updated")], version=1, actor=ADMIN),
            return_exceptions=True,
        )
        assert sorted(type(result).__name__ for result in results) == ["ConcurrentChange", "NoneType"]
        assert next(r for r in results if isinstance(r, ConcurrentChange)).status_code == 409
        winner = renamed[results.index(None)]
        stored = await first.organisation(org["id"])
        assert (stored.org["name"], stored.version) == (winner["name"], 2)
        # The loser's event was rolled back with its change: one creation and one update are announced.
        assert await outbox_count(first_pool, org["id"]) == 2
    finally:
        await first_pool.close()
        await second_pool.close()


async def test_concurrent_failed_sign_ins_are_each_counted_once_and_locks_grow(portal_db: Database) -> None:
    guard = SignInGuard(portal_db, LockoutPolicy(failures=5, duration=timedelta(minutes=15)))
    # Twelve wrong passwords at once for one name from one address: each counted, two locks earned.
    locks = await asyncio.gather(*(guard.fail("counter@10.0.0.9", "source", NOW) for _ in range(12)))
    earned = sorted(lock for lock in locks if lock)
    assert earned == [NOW + timedelta(minutes=15), NOW + timedelta(minutes=30)], "the second lock lasts twice as long"
    assert await guard.locked_until(["counter@10.0.0.9", "counter"], NOW) == NOW + timedelta(minutes=30)
    assert await guard.locked_until(["counter@10.0.0.7", "counter"], NOW) is None, "another address is not locked"
    await guard.clear(["counter@10.0.0.9", "counter"])
    assert await guard.locked_until(["counter@10.0.0.9", "counter"], NOW) is None
    # A day without failures forgets the count and the locks.
    for _ in range(4):
        assert await guard.fail("quiet@10.0.0.9", "source", NOW) is None
    assert await guard.fail("quiet@10.0.0.9", "source", NOW + timedelta(days=2)) is None


async def test_of_two_concurrent_uses_of_a_refresh_token_exactly_one_finds_it_unused(portal_database_url: str) -> None:
    pools = [Database(portal_database_url), Database(portal_database_url)]
    for pool in pools:
        await pool.connect()
    try:
        sessions = [RefreshTokens(pool) for pool in pools]
        await sessions[0].add("token-0123456789-abcdef", user_id="u-city", family="f-1", expires_at=NOW)
        await sessions[0].add("token-0123456789-second", user_id="u-city", family="f-1", expires_at=NOW)
        uses = await asyncio.gather(*(s.use("token-0123456789-abcdef") for s in sessions * 3))
        assert sorted(use.used for use in uses) == [False, True, True, True, True, True]
        assert {(use.user_id, use.family, use.expires_at) for use in uses} == {("u-city", "f-1", NOW)}
        assert await sessions[1].use("never-issued-token-000000") is None
        await sessions[1].revoke_family("f-1", user_id="u-1", reason="signed_out", tokens_until=NOW)
        assert (await sessions[0].use("token-0123456789-second")).used
    finally:
        for pool in pools:
            await pool.close()


async def test_the_seed_runs_the_migrations_and_adds_only_what_is_missing(portal_database_url: str) -> None:
    settings = Settings(service_name="portal", database_url=portal_database_url)
    first = await seed(settings)
    assert first["organisations"] > 400 and first["users"] == len(DEMO_USERS)
    assert await seed(settings) == {"organisations": 0, "users": 0}


async def test_keyword_search_finds_chinese_substrings_ids_and_descriptions_within_the_area(
    portal_db: Database,
) -> None:
    await portal_db.execute("TRUNCATE tickets")
    views = TicketViews(portal_db)
    rows = [
        (
            "REQ-202612-0001",
            "指标导出功能",
            "在指标查询界面增加导出 Excel 的按钮。",
            ["150000", "150100", "150102", "bu-1"],
        ),
        ("REQ-202612-0002", "凭证批量打印", "凭证 100% 批量打印。", ["150000", "150200", "bu-2"]),
        ("PRB-202612-0003", "登录失败", "用户反馈无法登录一体化系统。", ["150000", "150100", "150102", "bu-3"]),
    ]
    for n, (ticket_id, title, description, org_path) in enumerate(rows):
        fields = {"kind": "requirement", "title": title, "description": description, "org_path": org_path}
        await views.upsert_ticket(ticket_id, {**fields, "submitted_at": NOW + timedelta(minutes=n)})

    async def found(keyword: str, scope: str | None = None) -> list[str]:
        return [t["_id"] for t in await views.tickets_in_area(scope, keyword=keyword, limit=10)]

    assert await found("导出") == ["REQ-202612-0001"]
    assert await found("批量打印") == ["REQ-202612-0002"]
    assert await found("一体化系统") == ["PRB-202612-0003"]
    assert await found("excel") == ["REQ-202612-0001"]  # ILIKE: any case
    assert await found("202612-000") == ["PRB-202612-0003", "REQ-202612-0002", "REQ-202612-0001"]
    assert await found("100%") == ["REQ-202612-0002"]
    assert await found("凭证%打印") == []  # % is a character, not a wildcard
    assert await found("202612", scope="150102") == ["PRB-202612-0003", "REQ-202612-0001"]


async def test_the_migrations_go_down_to_an_empty_database_and_up_again(portal_database_url: str) -> None:
    config = alembic_config("portal", portal_database_url)
    db = Database(portal_database_url)
    await db.connect()
    try:
        await asyncio.to_thread(command.downgrade, config, "base")
        tables = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        assert await db.fetchval(tables) == 0
        await asyncio.to_thread(command.upgrade, config, "head")
        # sign_in_failures, three of OIDC, audit_unkeyed, comments, watchers, three of the dashboard's counters
        assert await db.fetchval(tables) == 19
    finally:
        await db.close()
