"""The portal's use cases: sign-in, and the read models fed by events."""

from typing import Any

from services.portal.adapters import Directory, TicketViews
from services.portal.domain import SignInFailed, timeline_entry
from services.portal.passwords import verify_password
from shared.auth import KeySet, Principal, issue_access_token
from shared.errors import NotFound
from shared.events import Envelope


async def sign_in(username: str, password: str, *, directory: Directory, keys: KeySet, minutes: int) -> dict:
    account = await directory.user_by_username(username)
    # The same answer whether the user or the password is wrong, so names cannot be probed.
    if account is None or not verify_password(account.password_hash, password):
        raise SignInFailed("sign_in_failed", "用户名或密码错误 (wrong username or password)")
    principal = account.principal()
    return {
        "access_token": issue_access_token(keys, principal, minutes),
        "token_type": "bearer",
        "expires_in": minutes * 60,
        "user": principal.model_dump(),
    }


async def when_ticket_event_record_timeline(envelope: Envelope, *, views: TicketViews) -> None:
    await views.record(timeline_entry(envelope))
    if envelope.type == "RequirementSubmitted":
        data = envelope.data
        await views.upsert_ticket(
            envelope.subject,
            {
                "kind": "requirement",
                "title": data["title"],
                "category": data["category"],
                "org_id": data["org_id"],
                "org_name": data["org_name"],
                "org_path": data["org_path"],
                "submitted_at": envelope.time,
            },
        )


async def ticket_timeline(ticket_id: str, *, reader: Principal, views: TicketViews) -> dict[str, Any]:
    ticket = await views.ticket(ticket_id)
    if ticket is None or not reader.covers(ticket["org_path"]):
        raise NotFound("ticket_not_found", f"工单 {ticket_id} 不存在 (no such ticket)")
    return {"ticket": ticket, "entries": await views.timeline(ticket_id)}
