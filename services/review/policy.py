"""Who may do what in review. A reviewer acts only at their own bureau's level and area (第三条, 第十四条)."""

from shared.auth import REVIEWER, Principal
from shared.errors import Forbidden


def authorize_queue(user: Principal) -> None:
    """The review queue belongs to reviewers of a finance bureau; each sees their own division only."""
    if not user.has_role(REVIEWER) or user.org_kind != "finance_bureau":
        raise Forbidden("not_a_reviewer", "只有财政部门审核人员可以查看审核队列 (reviewers only)")
