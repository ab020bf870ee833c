"""Request bodies of notify's API (pydantic v2): size- and type-limited, unknown fields refused."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from services.notify.scheme import Rule
from shared.auth import ROLES
from shared.params import INT4_MAX
from shared.validation import field_error

OrgId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
DivisionPrefix = Annotated[str, StringConstraints(pattern=r"^\d{1,6}$")]
ClockTime = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
OutsideChannel = Literal["wecom", "wechat"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SchemeChange(_Strict):
    """Replace the rules of one event type; `base_version` is the version the change was made on."""

    base_version: int = Field(ge=1, le=INT4_MAX)
    rules: list[Rule] = Field(max_length=10)
    note: Annotated[str, StringConstraints(max_length=500)] = ""


class AudienceIn(_Strict):
    division_prefixes: list[DivisionPrefix] = Field(default_factory=list, max_length=50)
    org_ids: list[OrgId] = Field(default_factory=list, max_length=200)
    roles: list[Literal[ROLES]] = Field(default_factory=list, max_length=len(ROLES))  # type: ignore[valid-type]


class AnnouncementIn(_Strict):
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    body: Annotated[str, StringConstraints(max_length=5000)] = ""
    audience: AudienceIn = Field(default_factory=AudienceIn)
    visible_from: AwareDatetime | None = None
    visible_until: AwareDatetime | None = None
    pinned: bool = False

    @model_validator(mode="after")
    def window_is_ordered(self) -> "AnnouncementIn":
        if self.visible_from and self.visible_until and self.visible_until <= self.visible_from:
            raise field_error(
                "AnnouncementIn", ("visible_until",), "window_order", self.visible_until, after="visible_from"
            )
        return self


class QuietHours(_Strict):
    """Beijing time; `from` after `until` spans midnight (22:00–07:00)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: ClockTime = Field(alias="from")
    until: ClockTime


class PreferencesIn(_Strict):
    """Only the fields sent are changed; `quiet_hours: null` clears them, `wechat_openid: null` unbinds."""

    channels: dict[Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,32}$")], list[OutsideChannel]] | None = Field(
        None, max_length=20
    )
    quiet_hours: QuietHours | None = None
    wechat_openid: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{6,64}$")] | None = None
    language: Literal["zh-CN", "en"] | None = None


class RobotIn(_Strict):
    id: OrgId
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    key: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{4,128}$")]
    org_ids: list[OrgId] = Field(default_factory=list, max_length=200)
    division_prefix: DivisionPrefix | None = None
    msgtype: Literal["markdown", "text"] = "markdown"


class RobotChange(_Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    key: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{4,128}$")] | None = None
    org_ids: list[OrgId] | None = Field(None, max_length=200)
    division_prefix: DivisionPrefix | None = None
    msgtype: Literal["markdown", "text"] | None = None
    enabled: bool | None = None


def robot_view(robot: dict) -> dict:
    """A robot as the API shows it: the key is the group's secret, so only its end is shown."""
    return {**{k: v for k, v in robot.items() if k != "key"}, "key_hint": f"…{robot.get('key', '')[-4:]}"}


def window(body: AnnouncementIn, now: datetime) -> tuple[datetime, datetime | None]:
    return body.visible_from or now, body.visible_until
