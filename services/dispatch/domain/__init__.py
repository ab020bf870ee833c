"""Dispatch's domain (第六条五～八): cases, work orders, progress, verification, releases. Pure, no I/O."""

from services.dispatch.domain.commands import AnnounceRelease, DispatchWorkOrder, ReportProgress, VerifyDelivery
from services.dispatch.domain.model import (
    NOT_YET_DELIVERED,
    CaseStatus,
    DispatchCase,
    HistoryEntry,
    WorkOrder,
    WorkOrderStatus,
)
from services.dispatch.domain.refusals import VendorRefusal, refuse_report
from services.dispatch.domain.releases import Release, announce_release, new_release_id
from services.dispatch.domain.verification import mark_released, verify_delivery
from services.dispatch.domain.work_orders import (
    VENDOR_IDS,
    dispatch_work_order,
    flag_overdue,
    open_dispatch_case,
    open_problem_case,
    reopen_problem,
    report_progress,
    work_order_id,
)

__all__ = [
    "NOT_YET_DELIVERED",
    "VENDOR_IDS",
    "AnnounceRelease",
    "CaseStatus",
    "DispatchCase",
    "DispatchWorkOrder",
    "HistoryEntry",
    "Release",
    "ReportProgress",
    "VendorRefusal",
    "VerifyDelivery",
    "WorkOrder",
    "WorkOrderStatus",
    "announce_release",
    "dispatch_work_order",
    "flag_overdue",
    "mark_released",
    "new_release_id",
    "open_dispatch_case",
    "open_problem_case",
    "refuse_report",
    "reopen_problem",
    "report_progress",
    "verify_delivery",
    "work_order_id",
]
