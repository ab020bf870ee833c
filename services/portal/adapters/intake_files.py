"""Asks intake, which keeps every attachment, whether a file a comment names is the commenter's own upload
for that ticket (GET /api/tickets/{ticket}/attachments/{id}/mine, with the commenter's token, so intake
applies its own rules). Nothing is changed there; an intake that does not answer is a clear 503."""

from typing import Any
from urllib.parse import quote

import httpx

from services.portal.gateway import Instances
from shared.errors import ServiceUnavailable


class IntakeFiles:
    def __init__(self, urls: str, *, timeout: float = 10.0) -> None:
        """`urls`: intake's base URL, or several separated by commas (one per instance), taken in turn as the
        gateway takes them."""
        self._instances = Instances.of(urls)
        self._timeout = timeout

    async def own_file(self, ticket_id: str, attachment_id: str, authorization: str) -> dict[str, Any] | None:
        """The file's description when it is the caller's for this ticket, else None."""
        path = f"/api/tickets/{quote(ticket_id, safe='')}/attachments/{quote(attachment_id, safe='')}/mine"
        async with httpx.AsyncClient(timeout=self._timeout) as client:
            for base in self._instances.in_turn():
                try:
                    answer = await client.get(base + path, headers={"authorization": authorization})
                except httpx.TransportError:
                    continue  # the next instance may answer
                if answer.status_code == 200:
                    return answer.json()
                if answer.status_code in (404, 422):
                    return None
        raise ServiceUnavailable("intake_unavailable", "附件服务暂不可用，请稍后再试 (intake did not answer)")
