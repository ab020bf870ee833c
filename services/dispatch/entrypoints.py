"""Dispatch's HTTP API: work orders (第六条五、六). Vendors see only their own."""

from fastapi import APIRouter
from pymongo.asynchronous.collection import AsyncCollection

from services.dispatch import policy
from shared.auth import CurrentUser
from shared.outbox import OUTBOX_FIELD


def build_router(work_orders: AsyncCollection) -> APIRouter:
    router = APIRouter(prefix="/api/work-orders", tags=["work orders"])

    @router.get("")
    async def list_work_orders(user: CurrentUser) -> list[dict]:
        """The IT division sees every work order; a vendor only those dispatched to it."""
        query = policy.work_order_filter(user)
        return await work_orders.find(query, {OUTBOX_FIELD: 0}).sort("_id", 1).to_list()

    return router
