"""Who may do what in review (第十二条～第十四条). One place for the rules of access; the domain keeps the
rules of turn (whose level's task is open, which business division a requirement was routed to).

A role that may never use an endpoint gets 403. A case outside the user's area answers 404, as if it
did not exist: a county must not even learn that another county's requirement exists (docs/security.md).
"""

from services.review.domain import CaseNotFound
from shared.auth import AUDITOR, BUSINESS_DIVISION, IT_DIVISION, REVIEWER, Principal
from shared.errors import Forbidden


def authorize_queue(user: Principal) -> None:
    """The review queue belongs to reviewers of a finance bureau; each sees their own division only."""
    if not _is_reviewer(user):
        raise Forbidden("not_a_reviewer", "只有财政部门审核人员可以查看审核队列 (reviewers only)")


def authorize_review(user: Principal) -> None:
    """第十三条一, 第十四条一: a finance bureau's reviewers review (forward, reject, return)."""
    if not _is_reviewer(user):
        raise Forbidden("not_a_reviewer", "只有财政部门审核人员可以审核需求 (reviewers only)")


def authorize_read_case(user: Principal, org_path: list[str], ticket_id: str) -> None:
    """Anyone whose area covers the submitting organisation may read the case; for others it does not exist."""
    if not user.covers(org_path):
        raise CaseNotFound(ticket_id)


def authorize_refinement(user: Principal) -> None:
    """第六条二, 第十二条二: the IT division (财政信息化主管处室) refines and merges."""
    if not user.has_role(IT_DIVISION):
        raise Forbidden("not_it_division", "只有财政信息化主管处室可以梳理细化需求 (IT division only)")


def authorize_confirmation(user: Principal) -> None:
    """第六条三, 第十三条三: a business division (归口业务处室) confirms what was routed to it."""
    if not user.has_role(BUSINESS_DIVISION) or user.org_kind != "business_division":
        raise Forbidden("not_business_division", "只有归口业务处室可以确认需求 (business divisions only)")


def authorize_publish(user: Principal) -> None:
    """第六条四: the IT division publishes the month's decisions."""
    if not user.has_role(IT_DIVISION):
        raise Forbidden("not_it_division", "只有财政信息化主管处室可以发布公示 (IT division only)")


def authorize_read_publications(user: Principal) -> None:
    """第六条四: 公示内容通过预算管理一体化系统需求征集模块查看 — every signed-in user reads publications."""


def reads_whole_publication(user: Principal) -> bool:
    """第十二条二, 第十三条三: the IT division compiles the specification, business divisions confirm it;
    auditors read everything. Everyone else reads the publication's public fields (PUBLIC_ENTRY_FIELDS)."""
    return user.has_role(IT_DIVISION, BUSINESS_DIVISION, AUDITOR)


def authorize_specification(user: Principal) -> None:
    """The specification holds the whole requirement texts: for those who read the whole publication."""
    if not reads_whole_publication(user):
        raise Forbidden(
            "not_allowed_specification",
            "只有信息化处室、业务处室和审计人员可以下载需求说明书 (IT division, business divisions and auditors only)",
        )


def _is_reviewer(user: Principal) -> bool:
    return user.has_role(REVIEWER) and user.org_kind == "finance_bureau"
