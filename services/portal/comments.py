"""评论: comments on a ticket between its requester and its handlers (issue 14; decision 0014).

Whoever may read the ticket in the portal (its area, decision 0006: 404 outside it) reads its comments,
comments, and watches it. A comment's text is 1..2000 characters; it may mention users (`@username` in the
text, or listed in `mentions`) — only users who may read the ticket, else 422 naming `mentions` — and carry
files the commenter uploaded for this ticket through intake (`attachment_ids`; anyone else's: 422).

Who is told (TicketCommented, through notify's scheme): the users mentioned, the watchers — the requester
unless they turned watching off, everyone who commented, everyone who chose 关注 — and the desk holding the
ticket now (services/portal/desks.py); never the author.
"""

import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.portal.adapters import Directory, TicketViews
from services.portal.adapters.comments import Comments
from services.portal.adapters.intake_files import IntakeFiles
from services.portal.domain import member_principal
from services.portal.handlers import readable_ticket
from shared.auth import Principal
from shared.errors import InvalidInput
from shared.events import Desk, TicketCommented, new_id, utcnow

TEXT_MAX = 2000
EXCERPT = 140
MENTIONS_MAX = 20
FILES_MAX = 5
# `@name` starts a word (an e-mail address is no mention); user names are letters, digits and ._-
MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9_.\-]{1,64})")
Username = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
AttachmentId = Annotated[str, StringConstraints(pattern=r"^ATT-[0-9a-f]{12}$")]


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TEXT_MAX)]
    mentions: list[Username] = Field(default_factory=list, max_length=MENTIONS_MAX)
    attachment_ids: list[AttachmentId] = Field(default_factory=list, max_length=FILES_MAX)


@dataclass(frozen=True)
class CommentDesk:
    comments: Comments
    views: TicketViews
    directory: Directory
    files: IntakeFiles


def mentioned_names(body: CommentCreate) -> list[str]:
    return list(dict.fromkeys([*MENTION.findall(body.text), *body.mentions]))


async def _mentioned(names: list[str], org_path: list[str], directory: Directory) -> list[str]:
    """The ids of the users mentioned; 422 for a name that is nobody who may read the ticket (the same answer
    for an unknown name and for someone outside the ticket's area: nothing more is learned)."""
    if len(names) > MENTIONS_MAX:
        words = f"一条评论最多提及 {MENTIONS_MAX} 人 (at most {MENTIONS_MAX} mentions)"
        raise InvalidInput("too_many_mentions", words, field="mentions")
    ids = []
    for name in names:
        account = await directory.user_by_username(name)
        if account is None or not account.active or not account.principal().covers(org_path):
            raise InvalidInput(
                "mention_not_allowed",
                f"不能提及 @{name}：没有该用户，或该用户无权查看此工单 "
                f"(@{name} cannot be mentioned: no such user, or they may not read this ticket)",
                field="mentions",
            )
        ids.append(account.id)
    return list(dict.fromkeys(ids))


async def _own_files(ticket_id: str, ids: list[str], authorization: str, files: IntakeFiles) -> list[dict]:
    found = []
    for attachment_id in dict.fromkeys(ids):
        description = await files.own_file(ticket_id, attachment_id, authorization)
        if description is None:
            raise InvalidInput(
                "attachment_not_yours",
                f"附件 {attachment_id} 不存在，或不是您为此工单上传的 "
                f"(attachment {attachment_id} is not one you uploaded for this ticket)",
                field="attachment_ids",
            )
        found.append({key: description[key] for key in ("id", "name", "media_type", "size")})
    return found


def watchers_of(rows: dict[str, bool], submitter_id: str | None) -> set[str]:
    """Everyone watching: those who chose to or commented, and the requester unless they turned it off."""
    watching = {user_id for user_id, on in rows.items() if on}
    if submitter_id and rows.get(submitter_id, True):
        watching.add(submitter_id)
    return watching


async def post_comment(
    ticket_id: str,
    body: CommentCreate,
    *,
    user: Principal,
    authorization: str,
    correlation_id: str | None,
    desk: CommentDesk,
) -> dict[str, Any]:
    ticket = await readable_ticket(ticket_id, user, desk.views)
    mentioned = await _mentioned(mentioned_names(body), ticket["org_path"], desk.directory)
    files = await _own_files(ticket_id, body.attachment_ids, authorization, desk.files)
    watchers = watchers_of(await desk.comments.watcher_rows(ticket_id), ticket.get("submitter_id"))
    comment = {
        "id": f"CMT-{new_id()[:16]}",
        "ticket_id": ticket_id,
        "author_id": user.user_id,
        "author_name": user.name,
        "author_org_name": user.org_name,
        "body": body.text,
        "mentioned_ids": mentioned,
        "attachments": files,
        "at": utcnow(),
    }
    event = TicketCommented(
        ticket_id=ticket_id,
        comment_id=comment["id"],
        title=ticket.get("title") or "",
        author_id=user.user_id,
        author_name=user.name,
        excerpt=body.text[:EXCERPT],
        mentioned_ids=[m for m in mentioned if m != user.user_id],
        watcher_ids=sorted(watchers - {user.user_id}),
        desk=[Desk.model_validate(each) for each in await desk.views.desk(ticket_id)],
        attachment_ids=[file["id"] for file in files],
    )
    return await desk.comments.add(comment, [event], actor=user.actor(), correlation_id=correlation_id)


async def comments_page(
    ticket_id: str, *, user: Principal, after: int, limit: int, desk: CommentDesk
) -> dict[str, Any]:
    """A page of the ticket's comments, oldest first; `next` is the position to ask from for the next page."""
    await readable_ticket(ticket_id, user, desk.views)
    items = await desk.comments.page(ticket_id, after=after, limit=limit)
    return {"items": items, "next": items[-1]["seq"] if len(items) == limit else None}


async def watch_state(ticket_id: str, *, user: Principal, desk: CommentDesk) -> dict[str, Any]:
    ticket = await readable_ticket(ticket_id, user, desk.views)
    watchers = watchers_of(await desk.comments.watcher_rows(ticket_id), ticket.get("submitter_id"))
    return {"watching": user.user_id in watchers, "count": len(watchers)}


async def set_watching(ticket_id: str, watching: bool, *, user: Principal, desk: CommentDesk) -> dict[str, Any]:
    """关注 / 取消关注 for oneself."""
    await readable_ticket(ticket_id, user, desk.views)
    await desk.comments.set_watching(ticket_id, user.user_id, watching, "chose", utcnow())
    return await watch_state(ticket_id, user=user, desk=desk)


MENTIONABLE_CANDIDATES = 50


async def mentionable(ticket_id: str, *, user: Principal, keyword: str, desk: CommentDesk) -> list[dict[str, Any]]:
    """Active users matching `keyword` who may read the ticket: the @-mention suggestions (at most 10)."""
    ticket = await readable_ticket(ticket_id, user, desk.views)
    records = await desk.directory.users_in_area(None, keyword=keyword, active=True, limit=MENTIONABLE_CANDIDATES)
    found = []
    for record in records:
        principal = member_principal(record)
        if record["org_active"] and principal.covers(ticket["org_path"]):
            found.append({"id": principal.user_id, "username": principal.username, "name": principal.name,
                          "org_name": principal.org_name})  # fmt: skip
    return found[:10]
