"""Who may do what in intake. One place for the rules; tests/test_access_matrix.py checks them all.

Out-of-area reads answer 404, not 403: a county must not even learn that another county's ticket
exists (docs/security.md). A role that may never use an endpoint gets 403.
"""

from shared.auth import SUBMITTER, Principal
from shared.errors import Forbidden, NotFound


def authorize_submit(user: Principal) -> None:
    """第三条, 第八条: users of the budget system (units, bureaus, related bodies such as banks) submit."""
    if not user.has_role(SUBMITTER):
        raise Forbidden("not_a_submitter", "只有系统使用单位的录入人员可以提交 (only submitters may submit)")


def authorize_read(user: Principal, org_path: list[str], ticket_id: str) -> None:
    if not user.covers(org_path):
        raise NotFound("requirement_not_found", f"需求 {ticket_id} 不存在 (no such requirement)")
