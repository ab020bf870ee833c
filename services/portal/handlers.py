"""The portal's use cases: sign-in, token refresh, and the read models fed by events."""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.portal import policy
from services.portal.adapters import Directory, RefreshTokens, SignInGuard, TicketViews, keys_of
from services.portal.dashboard import SHANGHAI, DashboardQuery, shaped
from services.portal.desks import desk_after
from services.portal.domain import AccountLocked, SignInFailed, UserAccount
from services.portal.milestones import TicketFacts, facts_of
from services.portal.passwords import hash_password, verify_password
from services.portal.timeline import split_part_entry, status_after, timeline_entry
from shared.audit import AuditLog
from shared.auth import KeySet, Principal, issue_access_token
from shared.bus import Record
from shared.clock import Clock
from shared.events import Envelope, Event, SignedIn, new_id
from shared.logs import get_logger
from shared.vendor_reports import ReportRefused, read_vendor_report, vendor_actor, vendor_source

log = get_logger(__name__)


@dataclass(frozen=True)
class TokenPolicy:
    keys: KeySet
    access_minutes: int
    refresh_days: int


WRONG_CREDENTIALS = "用户名或密码错误 (wrong username or password)"
# Verified when the user name does not exist, so an unknown name takes as long as a wrong password.
UNKNOWN_USER_HASH = hash_password(secrets.token_urlsafe(16))


async def sign_in(
    username: str,
    password: str,
    *,
    source: str,
    now: datetime,
    directory: Directory,
    sessions: RefreshTokens,
    tokens: TokenPolicy,
    guard: SignInGuard,
) -> dict:
    """The same answers, in the same time, whether the user name exists or not: a wrong password and an
    unknown name are both counted against the name (LockoutPolicy), a locked name is refused before the
    password is checked, and a password is always verified against a hash."""
    keys = keys_of(username, source)
    if until := await guard.locked_until(list(keys), now):
        raise AccountLocked(until)
    account = await directory.user_by_username(username)
    right = verify_password(account.password_hash if account else UNKNOWN_USER_HASH, password)
    if account is None or not account.active or not right:
        typed = {"username": keys[1], "source": source}  # named in a lock's SignInLocked (audit trail)
        locks = [
            await guard.fail(keys[0], "source", now, **typed),
            await guard.fail(keys[1], "account", now, **typed),
        ]
        if until := max((lock for lock in locks if lock), default=None):  # the next attempt hears of it
            log.warning("sign-in locked", source=source, until=until.isoformat())
        raise SignInFailed("sign_in_failed", WRONG_CREDENTIALS)
    await guard.clear(list(keys))
    family = new_id()
    signed_in = SignedIn(user_id=account.id, session_id=family, source=source)  # for the audit trail
    return await _issue(account, now=now, family=family, sessions=sessions, tokens=tokens, events=[signed_in])


async def refresh(
    refresh_token: str, *, now: datetime, directory: Directory, sessions: RefreshTokens, tokens: TokenPolicy
) -> dict:
    """A refresh token buys a new pair once; presenting a used one revokes its whole family (theft)."""
    stored = await sessions.use(refresh_token)
    if stored is None or stored.expires_at <= now:
        raise SignInFailed("refresh_invalid", "登录已过期，请重新登录 (refresh token invalid or expired)")
    if stored.used:
        until = now + timedelta(minutes=tokens.access_minutes)
        await sessions.revoke_family(stored.family, user_id=stored.user_id, reason="refresh_reused", tokens_until=until)
        raise SignInFailed("refresh_reused", "登录凭证已被使用，请重新登录 (refresh token reused)")
    account = await directory.user_by_id(stored.user_id)
    if account is None or not account.active:
        raise SignInFailed("sign_in_failed", WRONG_CREDENTIALS)
    return await _issue(account, now=now, family=stored.family, sessions=sessions, tokens=tokens)


async def sign_out(refresh_token: str, *, now: datetime, sessions: RefreshTokens, tokens: TokenPolicy) -> None:
    """The session ends everywhere: its refresh tokens, and its access tokens at every service."""
    stored = await sessions.use(refresh_token)
    if stored is not None:
        until = now + timedelta(minutes=tokens.access_minutes)
        await sessions.revoke_family(stored.family, user_id=stored.user_id, reason="signed_out", tokens_until=until)


async def _issue(
    account: UserAccount,
    *,
    now: datetime,
    family: str,
    sessions: RefreshTokens,
    tokens: TokenPolicy,
    events: Sequence[Event] = (),
) -> dict:
    principal = account.principal()
    refresh_token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(days=tokens.refresh_days)
    await sessions.add(
        refresh_token, user_id=account.id, family=family, expires_at=expires_at, events=events, actor=principal.actor()
    )
    return {
        "access_token": issue_access_token(tokens.keys, principal, tokens.access_minutes, session_id=family),
        "refresh_token": refresh_token,
        "token_type": "bearer",
        "expires_in": tokens.access_minutes * 60,
        "user": principal.model_dump(),
        # A new account or a reset password: the web UI sends the user to 修改密码 before anything else.
        "must_change_password": account.must_change_password,
    }


async def when_ticket_event_record_timeline(envelope: Envelope, *, views: TicketViews) -> None:
    await views.record(timeline_entry(envelope))
    if opened := _opened_ticket(envelope):
        await views.upsert_ticket(envelope.subject, opened)
    if envelope.type == "RequirementSplit":
        await _open_split_parts(envelope, views)
    if status := status_after(envelope):
        await views.move_status(envelope.subject, status, envelope.time)
    if facts := facts_of(envelope):
        await views.record_facts(envelope.subject, facts)
    if (desk := desk_after(envelope)) is not None:
        await views.move_desk(envelope.subject, desk, envelope.time)


def _opened_ticket(envelope: Envelope) -> dict[str, Any] | None:
    """A ticket's own fields, from the event that opens it: a requirement submitted, a problem reported."""
    if envelope.type not in ("RequirementSubmitted", "ProblemReported"):
        return None
    data = envelope.data
    problem = envelope.type == "ProblemReported"
    return {
        "kind": "problem" if problem else "requirement",
        "title": data["title"],
        "description": data.get("description", ""),
        "category": data["category"],
        "urgency": ("urgent" if data["urgent"] else "normal") if problem else data["urgency"],
        "org_id": data["org_id"],
        "org_name": data["org_name"],
        "org_path": data["org_path"],
        "submitter_id": data["submitter_id"],
        **({"channel": data["channel"]} if problem else {}),
        "submitted_at": envelope.time,
    }


# What a part of a split requirement takes over from the original's ticket: it was submitted and reviewed
# with it, so the dashboards count its stages from the same times.
INHERITED_MILESTONES = ("submitted", "review_completed")


async def _open_split_parts(envelope: Envelope, views: TicketViews) -> None:
    """拆分 (第六条二): each part is a ticket of its own from now on, in the requester's list, awaiting
    refinement, with a timeline that starts with where it came from. Everything comes from the event (and
    the original's ticket for its submission time); every write is idempotent, so a redelivery is harmless."""
    data = envelope.data
    original = await views.ticket(envelope.subject) or {}
    milestones = {name: at for name, at in (original.get("milestones") or {}).items() if name in INHERITED_MILESTONES}
    for part in data.get("items") or []:
        ticket_id = part["ticket_id"]
        await views.upsert_ticket(
            ticket_id,
            {
                "kind": "requirement",
                "title": part["title"],
                "description": part.get("description", ""),
                "category": data["category"] or original.get("category", ""),
                "urgency": data["urgency"],
                "org_id": data["org_id"] or original.get("org_id", ""),
                "org_name": data["org_name"] or original.get("org_name", ""),
                "org_path": data["org_path"] or original.get("org_path", []),
                "submitter_id": data["submitter_id"] or original.get("submitter_id", ""),
                "submitted_at": original.get("submitted_at") or envelope.time,
                "split_from": envelope.subject,
            },
        )
        await views.record(split_part_entry(envelope, part))
        await views.move_status(ticket_id, "refining", envelope.time)
        if milestones:
            await views.record_facts(ticket_id, TicketFacts(at=envelope.time, milestones=milestones))


async def readable_ticket(ticket_id: str, user: Principal, views: TicketViews) -> dict[str, Any]:
    """The ticket as the portal knows it, if `user` may read it (404 otherwise, as its timeline)."""
    ticket = await views.ticket(ticket_id)
    policy.authorize_timeline(user, ticket.get("org_path") if ticket else None, ticket_id)
    assert ticket is not None
    return ticket


async def ticket_timeline(
    ticket_id: str, *, reader: Principal, views: TicketViews, english: bool = False
) -> dict[str, Any]:
    ticket = await readable_ticket(ticket_id, reader, views)
    return {"ticket": ticket, "entries": await views.timeline(ticket_id, english=english)}


async def dashboard_figures(query: DashboardQuery, *, reader: Principal, views: TicketViews, clock: Clock) -> dict:
    """The dashboard of the reader's area (dashboard.py has the definitions), from the counters the read model
    keeps as tickets change (decision 0017): no ticket row is read, so `truncated` is always false."""
    policy.authorize_dashboard(reader)
    today = clock.now().astimezone(SHANGHAI).date()
    counters = await views.dashboard_counters(
        reader.area_scope(), first=query.first, last=query.last, kind=query.kind, today=today
    )
    return shaped(counters, query)


async def when_any_event_append_audit(envelope: Envelope, *, audit: AuditLog) -> None:
    """Every state change of every service reaches the hash-chained audit trail through its event.

    Events leave through each service's outbox, so the trail misses none; the check on the event id
    keeps a redelivered event from being recorded twice.
    """
    if await audit.contains_event(envelope.id):
        return
    await audit.append(
        envelope.actor,
        envelope.type,
        envelope.subject,
        {"event_id": envelope.id, "source": envelope.source, "time": envelope.time.isoformat(), "data": envelope.data},
    )


async def when_vendor_reports_progress_append_audit(
    body: Any, record: Record, *, vendor_id: str, audit: AuditLog
) -> None:
    """What a vendor writes on its own progress topic reaches the trail only as a valid progress report, under
    the vendor of the topic (shared.vendor_reports): the vendor writes these messages itself, so their type,
    actor and source are its word, and the trail records who acted, not who a message says acted."""
    try:
        report = read_vendor_report(body, vendor_id)
    except ReportRefused as refusal:
        log.warning(
            "vendor message not audited",
            vendor_id=vendor_id,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            code=refusal.code,
            reason=refusal.message,
        )
        return
    if await audit.contains_event(report.id):
        return
    await audit.append(
        vendor_actor(vendor_id),
        report.type,
        report.subject,
        {
            "event_id": report.id,
            "source": vendor_source(vendor_id),
            "time": report.time.isoformat(),
            "data": report.data.model_dump(mode="json"),
        },
    )
