"""Every state change reaches the hash-chained audit trail, and tampering with it is detected."""

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from uuid import uuid4

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from infra.launcher import ROOT, Stack
from tests.support import Api, eventually, requirement

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
