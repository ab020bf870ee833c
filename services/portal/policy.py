"""Who may read what in the portal: timelines follow the ticket's area (404 outside it, as in intake)."""

from shared.auth import Principal
from shared.errors import NotFound


def authorize_timeline(user: Principal, org_path: list[str] | None, ticket_id: str) -> None:
    if org_path is None or not user.covers(org_path):
        raise NotFound("ticket_not_found", f"工单 {ticket_id} 不存在 (no such ticket)")
