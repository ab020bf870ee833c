"""Dispatch's reads, each scoped by services.dispatch.policy."""

from datetime import datetime
from typing import Any

from services.dispatch import policy
from services.dispatch.adapters import DispatchCaseRepository, ReleaseRepository, VendorRefusalRepository
from services.dispatch.handlers import today_in_shanghai
from services.dispatch.views import (
    queue_item_view,
    refusal_view,
    release_view,
    verification_view,
    work_order_view,
)
from shared.auth import Principal
from shared.clock import Clock
from shared.errors import NotFound


async def list_work_orders(
    reader: Principal,
    *,
    cases: DispatchCaseRepository,
    clock: Clock,
    status: str | None = None,
    overdue: bool | None = None,
    limit: int,
    skip: int,
) -> list[dict[str, Any]]:
    """Newest first; `overdue` means past the planned delivery date (Asia/Shanghai) and not delivered."""
    today = today_in_shanghai(clock)
    found = await cases.work_orders(
        vendor_id=policy.work_order_scope(reader), stage=status, late=overdue, today=today, limit=limit, skip=skip
    )
    return [work_order_view(case, today, with_requester=policy.sees_requester(reader)) for case in found]


async def get_work_order(
    work_order_id: str, reader: Principal, *, cases: DispatchCaseRepository, clock: Clock
) -> dict[str, Any]:
    case = await cases.by_work_order(work_order_id)
    if case is None or case.work_order is None:
        policy.work_order_scope(reader)  # a role with no business here gets 403 even for unknown ids
        raise NotFound("work_order_not_found", f"工单 {work_order_id} 不存在 (no such work order)")
    policy.authorize_read_work_order(reader, work_order_id, case.work_order.vendor_id)
    return work_order_view(case, today_in_shanghai(clock), with_requester=policy.sees_requester(reader))


async def dispatch_queue(
    reader: Principal, *, cases: DispatchCaseRepository, limit: int, skip: int
) -> list[dict[str, Any]]:
    """第六条五: adopted requirements not yet dispatched, urgent first (急事急办), then oldest first."""
    policy.authorize_dispatch(reader)
    return [queue_item_view(case) for case in await cases.awaiting_dispatch(limit=limit, skip=skip)]


async def pending_verifications(reader: Principal, *, cases: DispatchCaseRepository) -> list[dict[str, Any]]:
    """第六条七: deliveries the signed-in user, as the requester, is asked to verify."""
    return [verification_view(case) for case in await cases.awaiting_verification_by(reader.user_id, limit=500)]


async def list_releases(releases: ReleaseRepository, *, limit: int, skip: int) -> list[dict[str, Any]]:
    """第六条八: every signed-in user may read the release announcements."""
    return [release_view(document) for document in await releases.latest(limit=limit, skip=skip)]


async def list_vendor_refusals(
    reader: Principal, *, refusals: VendorRefusalRepository, since: datetime | None, limit: int, skip: int
) -> list[dict[str, Any]]:
    """The progress reports refused from vendors' topics, newest first: a vendor sees its own only."""
    found = await refusals.latest(vendor_id=policy.refusal_scope(reader), since=since, limit=limit, skip=skip)
    return [refusal_view(row) for row in found]
