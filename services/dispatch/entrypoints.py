"""Dispatch's HTTP API: work orders (第六条五、六). Vendors see only their own."""

from fastapi import APIRouter
from pymongo.asynchronous.collection import AsyncCollection

from shared.auth import IT_DIVISION, VENDOR, CurrentUser
from shared.errors import Forbidden
from shared.outbox import OUTBOX_FIELD


def build_router(work_orders: AsyncCollection) -> APIRouter:
    router = APIRouter(prefix="/api/work-orders", tags=["work orders"])

    @router.get("")
    async def list_work_orders(user: CurrentUser) -> list[dict]:
        """The IT division sees every work order; a vendor only those dispatched to it."""
        if user.has_role(IT_DIVISION):
            query: dict = {}
        elif user.has_role(VENDOR) and user.vendor_id:
            query = {"vendor_id": user.vendor_id}
        else:
            raise Forbidden("not_allowed", "无权查看工单 (work orders are for the IT division and vendors)")
        return await work_orders.find(query, {OUTBOX_FIELD: 0}).sort("_id", 1).to_list()

    return router
