"""Who may change what in notify: the region's administrators (sysadmin, or the IT division at the region)
change the scheme, robots and announcements and see every delivery; everyone manages their own preferences."""

from shared.auth import AUDITOR, IT_DIVISION, REGION_CODE, SYSADMIN, Principal
from shared.errors import Forbidden


def is_region_admin(principal: Principal) -> bool:
    return principal.has_role(SYSADMIN) or (principal.has_role(IT_DIVISION) and principal.division_code == REGION_CODE)


def require_region_admin(principal: Principal) -> None:
    if not is_region_admin(principal):
        raise Forbidden("not_region_admin", "仅自治区系统管理员或信息化处可操作 (region administrators only)")


def require_reader_of_config(principal: Principal) -> None:
    """Administrators and auditors may read the scheme and the delivery records."""
    if not (is_region_admin(principal) or principal.has_role(AUDITOR)):
        raise Forbidden("not_region_admin", "仅自治区管理员或审计人员可查看 (administrators and auditors only)")
