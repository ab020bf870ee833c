"""Every state change reaches the hash-chained audit trail, and tampering with it is detected."""

import asyncio

import asyncpg
import pytest

from infra.launcher import Stack
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
