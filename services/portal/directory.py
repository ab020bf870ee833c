"""Maintaining the organisation tree (region → league/city → banner/county → units; bureaus, divisions,
vendors): the region's administrators add and change organisations; every change is an event, so it is
in the audit trail, and the review chain of new units follows from their place in the tree (第三条)."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.portal import policy
from services.portal.adapters import Directory
from shared.auth import Principal
from shared.errors import DomainError, InvalidInput, NotFound
from shared.events import OrganisationChanged
from shared.orgtree import division_path, divisions

Kind = Literal["finance_bureau", "it_division", "business_division", "budget_unit", "financial_institution", "vendor"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=100)]


class OrganisationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")]
    name: Name
    kind: Kind
    division_code: Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
    domains: list[Annotated[str, StringConstraints(max_length=50)]] = Field(default_factory=list, max_length=20)


class OrganisationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    domains: list[Annotated[str, StringConstraints(max_length=50)]] | None = Field(None, max_length=20)
    active: bool | None = None


async def create(body: OrganisationCreate, *, user: Principal, directory: Directory) -> dict:
    policy.authorize_directory_edit(user)
    if body.division_code not in divisions():
        raise InvalidInput("unknown_division", f"未知的行政区划代码 {body.division_code}", field="division_code")
    org: dict[str, Any] = {**body.model_dump(), "active": True}
    if not await directory.create_organisation(org, [_changed(org, "created")], actor=user.actor()):
        raise DomainError("organisation_exists", f"组织机构 {body.id} 已存在 (already exists)", field="id")
    return org


async def update(org_id: str, body: OrganisationUpdate, *, user: Principal, directory: Directory) -> dict:
    """Change an organisation as read; a change made meanwhile by someone else is a 409 (ConcurrentChange)."""
    policy.authorize_directory_edit(user)
    current = await directory.organisation(org_id)
    if current is None:
        raise NotFound("organisation_not_found", f"组织机构 {org_id} 不存在 (no such organisation)")
    org = {**current.org, **body.model_dump(exclude_none=True)}
    await directory.update_organisation(org, [_changed(org, "updated")], version=current.version, actor=user.actor())
    return org


def _changed(org: dict[str, Any], change: str) -> OrganisationChanged:
    return OrganisationChanged(
        org_id=org["id"],
        change=change,
        name=org["name"],
        kind=org["kind"],
        division_code=org["division_code"],
        domains=list(org.get("domains", [])),
        active=org.get("active", True),
    )


def divisions_within(code: str) -> list[str]:
    """The division `code` and every division below it (a league/city's counties), for the area's pickers."""
    if code not in divisions():
        raise InvalidInput("unknown_division", f"未知的行政区划代码 {code}", field="within")
    return [other for other in divisions() if code in division_path(other)]
