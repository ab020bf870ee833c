"""Which part of level review (第三条, 第六条一) one review deployment serves (docs/decisions/0016).

FD_REVIEW_LEVEL empty: every level and the whole chain (refinement, confirmation, publication, problems), as
one process does in `make run`. FD_REVIEW_LEVEL=county|city|region: that level only; FD_REVIEW_AREA (county
and city only) narrows it to the divisions whose code starts with it, e.g. 1501 for the counties of 呼和浩特市.
The region's deployment also serves the whole chain: the IT division, the business divisions, publications
and the problem procedure are the region's.

A level deployment takes its tasks from `review-tasks.<level>` with a consumer group of its own, so a task of
a level whose deployment is not running waits in that topic and is in nobody's queue; the deployment's queue
and actions are those of its reviewers only, anyone else's are misdirected (421).
"""

import re
from dataclasses import dataclass

from shared.auth import REVIEWER, Principal
from shared.errors import DomainError
from shared.orgtree import Level, divisions, level_of

LEVELS: tuple[Level, ...] = ("county", "city", "region")
AREA = re.compile(r"^\d{2,6}$")


class MisdirectedRequest(DomainError):
    """421: the request belongs to another review deployment (the gateway routes by the reviewer's bureau)."""

    status_code = 421


@dataclass(frozen=True)
class ReviewDeployment:
    level: Level | None = None
    area: str = ""

    @classmethod
    def of(cls, level: str | None, area: str | None) -> "ReviewDeployment":
        """From FD_REVIEW_LEVEL and FD_REVIEW_AREA; a bad value stops the start with the rule it broke."""
        level, area = (level or "").strip(), (area or "").strip()
        if level and level not in LEVELS:
            raise ValueError(f"FD_REVIEW_LEVEL={level!r}: one of {', '.join(LEVELS)}, or empty for every level")
        if area and level not in ("county", "city"):
            raise ValueError("FD_REVIEW_AREA is for a county or city deployment (FD_REVIEW_LEVEL=county|city)")
        if area and not AREA.match(area):
            raise ValueError(f"FD_REVIEW_AREA={area!r}: the first 2-6 digits of a division code, e.g. 1501")
        if area and not any(code.startswith(area) and d.level == level for code, d in divisions().items()):
            raise ValueError(f"FD_REVIEW_AREA={area!r}: no {level} division's code starts with it")
        return cls(level or None, area)  # type: ignore[arg-type]

    @property
    def name(self) -> str:
        """The deployment's name, also its consumer groups' suffix: all, county, county-1501, city, region."""
        if self.level is None:
            return "all"
        return f"{self.level}-{self.area}" if self.area else self.level

    @property
    def whole_chain(self) -> bool:
        """Serves refinement, confirmation, publication, the problem procedure and the split parts."""
        return self.level in (None, "region")

    @property
    def by_level(self) -> bool:
        """Takes its tasks from its level's topic (a queue of received tasks), not straight from the cases."""
        return self.level is not None

    def serves_task(self, level: str, division_code: str) -> bool:
        if self.level is None:
            return True
        return level == self.level and division_code.startswith(self.area)

    def serves_reviewer(self, user: Principal) -> bool:
        if self.level is None:
            return True
        if not (user.has_role(REVIEWER) and user.org_kind == "finance_bureau"):
            return False
        return user.division_code in divisions() and self.serves_task(level_of(user.division_code), user.division_code)

    def check_reviewer(self, user: Principal) -> None:
        """A reviewer of another level or area reached this deployment: 421, naming who serves them."""
        if self.serves_reviewer(user):
            return
        raise MisdirectedRequest(
            "wrong_review_deployment",
            f"本审核服务只受理{self.name}级别的审核，请通过门户访问 (this review deployment serves {self.name}"
            f" only; reach review through the portal's /gw/review, which routes by your finance bureau)",
        )


def parse_deployments(setting: str) -> list[tuple[Level, str, list[str]]]:
    """FD_REVIEW_DEPLOYMENTS of the portal's gateway: `county=http://a:8102,http://b:8102;county/1502=http://c;
    city=http://d;region=http://e` (level[/area]=url,url;...). Raises ValueError naming the entry at fault."""
    found: list[tuple[Level, str, list[str]]] = []
    for entry in filter(None, (part.strip() for part in setting.split(";"))):
        scope, _, urls = entry.partition("=")
        level, _, area = scope.strip().partition("/")
        try:
            ReviewDeployment.of(level, area)
        except ValueError as error:
            raise ValueError(f"FD_REVIEW_DEPLOYMENTS entry {entry!r}: {error}") from None
        bases = [url.strip().rstrip("/") for url in urls.split(",") if url.strip()]
        if not level or not bases:
            raise ValueError(f"FD_REVIEW_DEPLOYMENTS entry {entry!r}: level[/area]=url[,url...]")
        found.append((level, area, bases))  # type: ignore[arg-type]
    return found
