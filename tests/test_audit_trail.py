"""Every state change reaches the hash-chained audit trail, and tampering with it is detected."""

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from uuid import uuid4

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from infra.launcher import ROOT, Stack
from services.portal.seed import DEMO_PASSWORD
from services.review.problems.tests.support import act, done
from tests.support import Api, eventually, requirement
from tests.test_problem_work_order import confirmed_bug, delivered, dispatched
from tests.test_sign_in import login_from

pytestmark = pytest.mark.e2e


def audit_of(api: Api, ticket_id: str) -> list[dict]:
    return api.get("portal", "/api/audit", as_user="auditor", params={"subject": ticket_id}).json()


def test_each_step_of_a_requirement_is_in_the_audit_trail_with_its_actor(api: Api) -> None:
    ticket_id = api.post("intake", "/api/requirements", as_user="submitter", json=requirement()).json()["id"]
    entries = eventually(lambda: len(e := audit_of(api, ticket_id)) >= 3 and e, what="three audit entries")
    assert {e["action"] for e in entries} == {"RequirementSubmitted", "ReviewTaskOpened", "NotificationDelivered"}
    submitted = next(e for e in entries if e["action"] == "RequirementSubmitted")
    assert submitted["actor"]["user_id"] == "u-submitter"
    assert api.get("portal", "/api/audit/verify", as_user="auditor").json()["ok"] is True


@pytest.mark.parametrize("user", ["submitter", "county", "itdiv", "vendor1"])
def test_only_auditors_and_administrators_read_the_audit_trail(api: Api, user: str) -> None:
    assert api.get("portal", "/api/audit", as_user=user).status_code == 403
    assert api.get("portal", "/api/audit/verify", as_user=user).status_code == 403
    assert api.get("portal", "/api/audit", as_user="admin").status_code == 200


def test_editing_or_deleting_an_audit_entry_is_detected_by_the_verifier(api: Api, stack: Stack) -> None:
    ticket_id = api.post("intake", "/api/requirements", as_user="submitter", json=requirement()).json()["id"]
    entries = eventually(lambda: len(e := audit_of(api, ticket_id)) >= 3 and e, what="audit entries")
    target = min(entries, key=lambda e: e["seq"])

    def tamper(sql: str, *args):
        """Run one statement in the portal's database, as someone with access to it could."""

        async def run():
            conn = await asyncpg.connect(stack.database_url("portal"))
            try:
                return await conn.fetch(sql, *args)
            finally:
                await conn.close()

        return asyncio.run(run())

    [original] = tamper("SELECT * FROM audit WHERE id = $1", target["_id"])
    tamper("""UPDATE audit SET actor = jsonb_set(actor, '{name}', '"someone else"') WHERE id = $1""", target["_id"])
    edited = api.get("portal", "/api/audit/verify", as_user="auditor").json()
    assert edited == {**edited, "ok": False, "first_bad_seq": target["seq"], "problem": "modified"}

    tamper("DELETE FROM audit WHERE id = $1", target["_id"])
    deleted = api.get("portal", "/api/audit/verify", as_user="auditor").json()
    assert deleted == {**deleted, "ok": False, "first_bad_seq": target["seq"], "problem": "missing"}

    # Put the entry back as it was: the chain holds again (other tests keep appending to it).
    columns = list(original.keys())
    values = ", ".join(f"${n}" for n in range(1, len(columns) + 1))
    tamper(f"INSERT INTO audit ({', '.join(columns)}) VALUES ({values})", *original.values())
    assert api.get("portal", "/api/audit/verify", as_user="auditor").json()["ok"] is True


def as_vendor_a(stack: Stack, key: str, *messages: dict) -> None:
    """Write to vendor-a's own progress topic, as vendor-a's principal may (and no other topic)."""

    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all")
        await producer.start()
        try:
            for message in messages:
                value = json.dumps(message, ensure_ascii=False).encode()
                await producer.send_and_wait(f"{stack.topic_prefix}.vendor-progress.vendor-a", value, key=key.encode())
        finally:
            await producer.stop()

    asyncio.run(send())


def test_a_vendor_writes_the_audit_trail_only_as_a_valid_report_under_its_own_name(api: Api, stack: Stack) -> None:
    """A vendor writes its progress topic itself: whatever type, actor or source it puts in a message, the
    trail records only a valid progress report, and records it as the topic's vendor's."""
    ticket_id = f"REQ-202612-{uuid4().hex[:8].upper()}"
    business_division = {"user_id": "u-bizdiv", "name": "冯涛", "org_id": "bd-budget", "roles": ["business_division"]}
    forged = {
        "specversion": "1.0",
        "id": uuid4().hex,
        "type": "RequirementConfirmed",
        "source": "/fiscaldesk/review",
        "subject": ticket_id,
        "time": datetime.now(UTC).isoformat(),
        "dataschema": "fiscaldesk:RequirementConfirmed:v1",
        "correlationid": uuid4().hex,
        "actor": business_division,
        "data": {"ticket_id": ticket_id, "adopted": True},
    }
    report = {
        **forged,
        "id": uuid4().hex,
        "type": "VendorProgressReported",
        "source": "/vendors/vendor-a",
        "dataschema": "fiscaldesk:VendorProgressReported:v1",
        # Who the vendor says acted: the IT division's user (org_id must still be the vendor's).
        "actor": {"user_id": "u-itdiv", "name": "郑洁", "org_id": "vendor-a"},
        "data": {
            "work_order_id": f"WO-{ticket_id}-1",
            "ticket_id": ticket_id,
            "vendor_id": "vendor-a",
            "stage": "accepted",
        },
    }
    naive = {**report, "id": uuid4().hex, "time": "2026-12-14T09:30:00"}
    # One key, one partition, read in order: once the valid report is in the trail, the others were read.
    as_vendor_a(stack, ticket_id, forged, naive, report)

    [entry] = eventually(lambda: audit_of(api, ticket_id), what="the vendor's report in the audit trail")
    assert (entry["action"], entry["data"]["event_id"]) == ("VendorProgressReported", report["id"])
    assert entry["actor"] == {
        "user_id": "vendor-a",
        "name": "北疆软件有限公司（示例）",
        "org_id": "vendor-a",
        "roles": ["vendor"],
    }
    assert entry["data"]["source"] == "/vendors/vendor-a"
    assert api.get("portal", "/api/audit/verify", as_user="auditor").json()["ok"] is True


def test_the_portal_anchors_its_keyed_chain_outside_the_database_and_the_verifier_checks_them(
    api: Api, stack: Stack
) -> None:
    ticket_id = api.post("intake", "/api/requirements", as_user="submitter", json=requirement()).json()["id"]
    [newest] = eventually(lambda: audit_of(api, ticket_id)[:1], what="an audit entry")
    assert newest["hash"].startswith("hmac-sha256:")
    anchor_file = stack.state_dir / "audit-anchors" / "events.anchors"

    def anchored() -> dict | None:
        lines = anchor_file.read_text().splitlines() if anchor_file.exists() else []
        return next((a for a in map(json.loads, reversed(lines)) if a["seq"] >= newest["seq"]), None)

    anchor = eventually(anchored, what="an anchor at or after the entry", timeout=30)
    assert anchor["mac"].startswith("hmac-sha256:") and anchor["chain"] == "events"

    command = [
        sys.executable, "-m", "shared.audit", "verify", "--database-url", stack.database_url("portal"),
        "--key-file", str(stack.audit_key_file), "--anchors", str(stack.state_dir / "audit-anchors"),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    verified = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.startswith("chain 'events': ok,")


def actions_of(api: Api, subject: str) -> set[str]:
    return {entry["action"] for entry in audit_of(api, subject)}


def test_work_orders_dispatched_and_reopened_are_in_the_audit_trail(api: Api) -> None:
    """Dispatch writes these to each vendor's own topic, which the audit consumer did not read."""
    ticket_id = confirmed_bug(api, "审计：工单派发与退回")
    order = dispatched(api, ticket_id)
    eventually(lambda: "WorkOrderDispatched" in actions_of(api, ticket_id), what="the dispatched work order audited")
    delivered(api, order["id"], "V3.2.1-patch9")
    done(api, "itdiv", ticket_id, "patch-released", version="V3.2.1-patch9")
    assert act(api, "submitter", ticket_id, "verify", passed=False, reason="补丁后仍无法下载").is_success

    eventually(lambda: "WorkOrderReopened" in actions_of(api, ticket_id), what="the reopened work order audited")
    [entry] = [e for e in audit_of(api, ticket_id) if e["action"] == "WorkOrderDispatched"]
    assert entry["actor"]["user_id"] == "u-itdiv" and entry["data"]["data"]["vendor_id"] == "vendor-a"


def test_notify_administration_is_in_the_audit_trail_without_a_robots_key(api: Api) -> None:
    robot_id, secret = f"audit-{uuid4().hex[:6]}", f"key-{uuid4().hex}"
    robot = {"id": robot_id, "name": "审计测试群", "key": secret, "org_ids": ["bd-budget"]}
    assert api.post("notify", "/api/notify/robots", as_user="admin", json=robot).status_code == 201
    new_secret = f"key-{uuid4().hex}"
    change = {"key": new_secret, "enabled": False}
    url, headers = api.url("notify", f"/api/notify/robots/{robot_id}"), api.headers("admin")
    assert httpx.patch(url, headers=headers, json=change, timeout=10).is_success
    announcement = {"title": f"审计公告 {robot_id}", "body": "测试。", "audience": {"roles": ["auditor"]}}
    published = api.post("notify", "/api/announcements", as_user="admin", json=announcement).json()
    assert api.post("notify", f"/api/announcements/{published['_id']}/withdraw", as_user="admin").is_success
    active = api.get("notify", "/api/notification-scheme", as_user="admin").json()
    path = "/api/notification-scheme/events/WorkOrderOverdue"
    same = {"base_version": active["_id"], "rules": active["events"]["WorkOrderOverdue"], "note": "审计"}
    assert api.put("notify", path, as_user="admin", json=same).status_code == 200

    robot_entries = eventually(
        lambda: len(e := audit_of(api, f"robot-{robot_id}")) == 2 and e, what="the robot's changes audited"
    )
    assert {e["action"] for e in robot_entries} == {"RobotAdded", "RobotChanged"}
    changed = next(e for e in robot_entries if e["action"] == "RobotChanged")
    assert changed["data"]["data"] == {"robot_id": robot_id, "fields": ["enabled", "key"], "enabled": False}
    assert changed["actor"]["user_id"] == "u-admin"
    assert secret not in json.dumps(robot_entries) and new_secret not in json.dumps(robot_entries)
    eventually(
        lambda: actions_of(api, published["_id"]) == {"AnnouncementPublished", "AnnouncementWithdrawn"},
        what="the announcement audited",
    )
    eventually(
        lambda: "NotificationSchemeChanged" in actions_of(api, f"notification-scheme-{active['_id'] + 1}"),
        what="the scheme's new version audited",
    )


def test_sign_ins_lockouts_and_reused_refresh_tokens_are_in_the_audit_trail(api: Api) -> None:
    signed_in = login_from(api, "127.0.0.9", "vendor2", DEMO_PASSWORD).json()
    user_id, tokens = signed_in["user"]["user_id"], signed_in["refresh_token"]
    refresh = api.url("portal", "/api/auth/refresh")
    assert httpx.post(refresh, json={"refresh_token": tokens}).status_code == 200
    assert httpx.post(refresh, json={"refresh_token": tokens}).json()["error"] == "refresh_reused"
    name = f"audit-probe-{uuid4().hex[:6]}"
    for _ in range(5):
        assert login_from(api, "127.0.0.9", name, "guessed-password").status_code == 401

    eventually(
        lambda: {"SignedIn", "RefreshTokenReused"} <= actions_of(api, f"user-{user_id}"),
        what="the sign-in and the reused refresh token audited",
    )
    [locked] = eventually(lambda: audit_of(api, f"sign-in-{name}"), what="the lockout audited")
    assert locked["action"] == "SignInLocked"
    assert {k: locked["data"]["data"][k] for k in ("username", "source", "scope")} == {
        "username": name,
        "source": "127.0.0.9",
        "scope": "source",
    }
    sign_in = next(e for e in audit_of(api, f"user-{user_id}") if e["action"] == "SignedIn")
    assert sign_in["actor"]["user_id"] == user_id and sign_in["data"]["data"]["source"] == "127.0.0.9"
