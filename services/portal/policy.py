"""Who may read what in the portal: timelines follow the ticket's area (404 outside it, as in intake); users
are administered by the region's system administrators and, in their own area, by league/city and county
administrators (services/portal/areas.py)."""

from services.portal.areas import AdminArea, Administrator
from shared.auth import AUDITOR, SYSADMIN, VENDOR, Principal
from shared.errors import Forbidden, NotFound


def authorize_timeline(user: Principal, org_path: list[str] | None, ticket_id: str) -> None:
    if org_path is None or not user.covers(org_path):
        raise NotFound("ticket_not_found", f"工单 {ticket_id} 不存在 (no such ticket)")


def authorize_audit(user: Principal) -> None:
    """The audit trail is read by auditors (read only) and system administrators."""
    if not user.has_role(AUDITOR, SYSADMIN):
        raise Forbidden("not_an_auditor", "只有审计人员和系统管理员可以查看审计日志 (auditors only)")


def authorize_directory_edit(user: Principal) -> None:
    """The region's system administrators maintain the organisation tree."""
    if not (user.has_role(SYSADMIN) and user.is_regional):
        raise Forbidden("not_an_administrator", "只有自治区系统管理员可以维护组织机构 (region administrators only)")


def authorize_dashboard(user: Principal) -> None:
    """Figures of one's own area for everyone but vendors (they see their work orders in dispatch)."""
    if user.has_role(VENDOR):
        raise Forbidden("not_allowed", "开发公司不能查看统计分析 (vendors have no dashboard)")


def user_admin_area(user: Principal) -> AdminArea:
    """The area whose users `user` administers; 403 for everyone who administers none."""
    admin = Administrator(
        user_id=user.user_id,
        roles=tuple(user.roles),
        org_kind=user.org_kind,
        division_code=user.division_code,
        is_regional=user.is_regional,
    )
    area = AdminArea.of(admin)
    if area is None:
        raise Forbidden(
            "not_a_user_administrator", "只有系统管理员和盟市、旗县区管理员可以管理用户 (user administrators only)"
        )
    return area
