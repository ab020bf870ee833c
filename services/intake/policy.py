"""Who may do what in intake. One place for the rules; tests/test_access_matrix.py checks them all.

Out-of-area reads answer 404, not 403: a county must not even learn that another county's ticket
exists (docs/security.md). A role that may never use an endpoint gets 403.
"""

from typing import Any

from services.intake.domain import Requirement, Status
from shared.auth import DUTY_OPERATOR, IT_DIVISION, SUBMITTER, SYSADMIN, Principal
from shared.errors import Forbidden, NotFound


def _not_found(ticket_id: str) -> NotFound:
    return NotFound("requirement_not_found", f"需求 {ticket_id} 不存在 (no such requirement)")


def authorize_submit(user: Principal) -> None:
    """第三条, 第八条: users of the budget system (units, bureaus, related bodies such as banks) submit."""
    if not user.has_role(SUBMITTER):
        raise Forbidden("not_a_submitter", "只有系统使用单位的录入人员可以提交 (only submitters may submit)")


def authorize_read(user: Principal, doc: dict[str, Any], ticket_id: str) -> None:
    """In-area users read submitted requirements; a draft is its author's alone."""
    if not user.covers(doc["org"]["path"]):
        raise _not_found(ticket_id)
    if doc["status"] == Status.DRAFT and doc["submitter"]["id"] != user.user_id:
        raise _not_found(ticket_id)


def authorize_edit(user: Principal, requirement: Requirement) -> None:
    """Only the submitter edits, submits or resubmits their own requirement."""
    if requirement.submitter.user_id != user.user_id:
        if user.covers(requirement.submitter.org_path) and requirement.status is not Status.DRAFT:
            raise Forbidden("not_the_submitter", "只有提交人可以修改或提交该需求 (only the submitter may)")
        raise _not_found(requirement.id)


def authorize_calendar(user: Principal) -> None:
    """The region's IT division (and system administrators) maintain the calendar and windows (第五条)."""
    if not (user.has_role(IT_DIVISION, SYSADMIN) and user.is_regional):
        raise Forbidden("not_allowed", "只有自治区财政厅信息化处可以维护征集日历 (IT division only)")


def authorize_record_call(user: Principal) -> None:
    """第九条: the 400 hotline and WeChat service group duty operators record problems for callers."""
    if not user.has_role(DUTY_OPERATOR):
        raise Forbidden("not_a_duty_operator", "只有热线和微信服务群值班人员可以代为登记 (duty operators only)")


def authorize_read_problem(user: Principal, doc: dict[str, Any], ticket_id: str) -> None:
    if not (user.covers(doc["org"]["path"]) or doc.get("recorded_by") == user.user_id):
        raise NotFound("problem_not_found", f"问题 {ticket_id} 不存在 (no such problem)")


def not_the_reporter(problem_id: str) -> Forbidden:
    """Only who reported a problem (or recorded the call) adds files to the report; readers comment instead."""
    return Forbidden(
        "not_the_reporter", f"只有问题 {problem_id} 的上报人可以添加附件 (only the reporter may attach files)"
    )
