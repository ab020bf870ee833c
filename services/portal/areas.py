"""Who administers which users (用户管理), pure.

- The region's system administrator (系统管理员, `sysadmin` at an organisation of the region's finance
  department) administers every user and may grant every role.
- A league/city or county administrator (盟市 / 旗县区管理员, `org_admin` at that division's finance bureau)
  administers the users of organisations in its division and the divisions below it (a league/city's
  counties too), and grants only the roles whose reach stays inside that area: a role that sees the whole
  region (system administrator, auditor, IT or business division, duty operator, vendor) is the region's to
  grant. A user of the area who holds such a role is beyond the area administrator's reach (403), or an area
  administrator could reset an auditor's password and sign in as them.
- A user outside one's area does not exist for one (404, decision 0006).
"""

from dataclasses import dataclass

from shared.auth import ORG_ADMIN, REVIEWER, ROLES, SUBMITTER, SYSADMIN, UNIT_ADMIN

# What an area administrator may grant: roles whose reach is the user's own organisation or division.
AREA_ROLES = frozenset({SUBMITTER, UNIT_ADMIN, REVIEWER, ORG_ADMIN})


@dataclass(frozen=True)
class Administrator:
    """The acting user, as plain values (the part of the principal these rules read)."""

    user_id: str
    roles: tuple[str, ...]
    org_kind: str
    division_code: str
    is_regional: bool


@dataclass(frozen=True)
class AdminArea:
    """`scope`: the division code an organisation's path must contain (None: the whole region)."""

    scope: str | None
    grantable: frozenset[str]

    @classmethod
    def of(cls, admin: Administrator) -> "AdminArea | None":
        """The area `admin` administers, or None when they administer no users."""
        if SYSADMIN in admin.roles and admin.is_regional:
            return cls(None, frozenset(ROLES))
        if ORG_ADMIN in admin.roles and admin.org_kind == "finance_bureau":
            return cls(admin.division_code, AREA_ROLES)
        return None

    def covers(self, org_path: list[str]) -> bool:
        """Whether the organisation at `org_path` (division codes, then its id) lies in this area."""
        return self.scope is None or self.scope in org_path[:-1]

    def ungrantable(self, roles: list[str]) -> list[str]:
        """The roles of `roles` this area's administrator may not grant (nor manage a holder of)."""
        return sorted(set(roles) - self.grantable)
