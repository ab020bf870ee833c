"""Files of a problem report and of comments on a ticket (issue 14), under the rules of requirements'
attachments (services/intake/attachments.py: the type read from the bytes, 10 MB, a daily quota per user).

- A problem's reporter (or the duty operator who recorded the call) attaches screenshots to the problem
  (at most `MAX_PER_TICKET`); whoever may read the problem downloads them.
- Whoever may read a ticket uploads a file for a comment on it; the portal, which owns comments, asks
  intake (with the commenter's own token) whether an id a comment names is the commenter's file for that
  ticket (`own_comment_file`), and whoever may read the ticket downloads it.
"""

import re

from services.intake import attachments, handlers, policy, problem_handlers
from services.intake.adapters import AttachmentStore
from services.intake.handlers import Intake
from services.intake.problem_handlers import ProblemDesk
from shared.auth import Principal
from shared.errors import NotFound

# Files a ticket's comments may carry, all comments together.
MAX_COMMENT_FILES_PER_TICKET = 50
# A part of a split requirement (REQ-…-1) lives in review and the portal, not here: it is read as its original.
SPLIT_PART = re.compile(r"^(REQ-\d{6}-[0-9A-F]{8})(?:-\d{1,2})+$")


def _describe(filename: str, content: bytes, user: Principal, ticket_id: str) -> dict:
    return {**attachments.describe(filename, content, user.user_id), "ticket_id": ticket_id}


async def attach_to_problem(
    problem_id: str, filename: str, content: bytes, *, user: Principal, desk: ProblemDesk, store: AttachmentStore
) -> dict:
    """The reporter's screenshot of the error (第十一条一2), sent with the report."""
    doc = await problem_handlers.read(problem_id, user=user, desk=desk)
    if user.user_id not in (doc["submitter"]["id"], doc.get("recorded_by")):
        raise policy.not_the_reporter(problem_id)
    description = _describe(filename, content, user, problem_id)
    limit = attachments.MAX_PER_TICKET
    attachments.refuse(
        await store.add_to_problem(problem_id, description, content, limit, attachments.DAILY_BYTES_PER_USER),
        limit,
        "问题",
    )
    return description


async def problem_file(
    problem_id: str, attachment_id: str, *, user: Principal, desk: ProblemDesk, store: AttachmentStore
) -> tuple[dict, bytes]:
    doc = await problem_handlers.read(problem_id, user=user, desk=desk)
    found = await store.of_ticket(problem_id, attachment_id)
    if found is None or not any(a["id"] == attachment_id for a in doc.get("attachments", [])):
        raise NotFound("attachment_not_found", "附件不存在 (no such attachment)")
    return found


async def may_read_ticket(ticket_id: str, *, user: Principal, intake: Intake, desk: ProblemDesk) -> None:
    """A ticket the reader may see, by intake's rules (404 otherwise, decision 0006)."""
    if ticket_id.startswith("PRB-"):
        await problem_handlers.read(ticket_id, user=user, desk=desk)
        return
    part = SPLIT_PART.match(ticket_id)
    await handlers.read(part.group(1) if part else ticket_id, user=user, intake=intake)


async def attach_for_comment(
    ticket_id: str,
    filename: str,
    content: bytes,
    *,
    user: Principal,
    intake: Intake,
    desk: ProblemDesk,
    store: AttachmentStore,
) -> dict:
    await may_read_ticket(ticket_id, user=user, intake=intake, desk=desk)
    description = _describe(filename, content, user, ticket_id)
    limit = MAX_COMMENT_FILES_PER_TICKET
    refused = await store.add_to_comments(ticket_id, description, content, limit, attachments.DAILY_BYTES_PER_USER)
    attachments.refuse(refused, limit, "工单的评论")
    return description


async def comment_file(
    ticket_id: str, attachment_id: str, *, user: Principal, intake: Intake, desk: ProblemDesk, store: AttachmentStore
) -> tuple[dict, bytes]:
    await may_read_ticket(ticket_id, user=user, intake=intake, desk=desk)
    found = await store.of_ticket(ticket_id, attachment_id)
    if found is None:
        raise NotFound("attachment_not_found", "附件不存在 (no such attachment)")
    return found


async def own_comment_file(
    ticket_id: str, attachment_id: str, *, user: Principal, intake: Intake, desk: ProblemDesk, store: AttachmentStore
) -> dict:
    """The description of a file the caller uploaded for this ticket's comments; 404 for anyone else's."""
    description, _ = await comment_file(ticket_id, attachment_id, user=user, intake=intake, desk=desk, store=store)
    if description["by"] != user.user_id:
        raise NotFound("attachment_not_found", "附件不存在 (no such attachment)")
    return description
