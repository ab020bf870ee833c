"""The organisation tree: region → league/city → banner/county divisions (GB/T 2260), and the
organisations in them (finance bureaus, budget units, the region's IT and business divisions, vendors,
financial institutions).

An organisation's `org_path` is the list of division codes from the region down to its own division,
then its id, e.g. ["150000", "150100", "150102", "bu-150102-01"]. Tokens and events carry it, so every
service can scope queries and derive the review chain (第三条) without reading the portal's database.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

Level = Literal["region", "city", "county"]
OrgKind = Literal[
    "finance_bureau", "it_division", "business_division", "budget_unit", "financial_institution", "vendor"
]
DATA = Path(__file__).parent / "data" / "divisions-150000.tsv"
REGION_CODE = "150000"


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    parent: str | None
    level: Level


@dataclass(frozen=True)
class Organisation:
    id: str
    name: str
    kind: OrgKind
    division_code: str
    domains: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "division_code": self.division_code,
            "domains": list(self.domains),
        }


def bureau_id(division_code: str) -> str:
    """The finance bureau (财政部门) of a division; the region's is the finance department (财政厅)."""
    return f"fb-{division_code}"


@cache
def divisions() -> dict[str, Division]:
    rows = [line.split("\t") for line in DATA.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    result: dict[str, Division] = {}
    for code, name, parent in rows:
        parent = parent or None
        level: Level = "region" if parent is None else "city" if parent == REGION_CODE else "county"
        result[code] = Division(code, name, parent, level)
    return result


def division_path(code: str) -> list[str]:
    """Division codes from the region down to `code`."""
    path = []
    current: str | None = code
    while current is not None:
        path.append(current)
        current = divisions()[current].parent
    return list(reversed(path))


def org_path(org: Organisation) -> list[str]:
    return [*division_path(org.division_code), org.id]


def level_of(division_code: str) -> Level:
    return divisions()[division_code].level


def review_chain(path: list[str]) -> list[tuple[Level, str]]:
    """The finance levels that review a submission, from the unit's own bureau up to the region (第三条).

    `path` is an org_path; the answer is [(level, division code), ...] bottom-up, e.g. a county unit's
    requirement is reviewed by the county, then its league/city, then the region.
    """
    division_codes = path[:-1]
    levels: tuple[Level, ...] = ("region", "city", "county")
    return [(levels[depth], code) for depth, code in reversed(list(enumerate(division_codes)))]


BUSINESS_DIVISIONS = [
    ("bd-budget", "预算处", ("budget", "预算编制", "预算调整")),
    ("bd-treasury", "国库处", ("treasury", "国库支付", "资金清算")),
    ("bd-accounting", "会计处", ("accounting", "单位会计核算")),
    ("bd-assets", "资产管理处", ("assets", "资产配置")),
    ("bd-social", "社会保障处", ("social", "三保", "社保资金")),
]
COUNTY_UNITS = ("教育局", "卫生健康委员会", "农牧局")
CITY_UNITS = ("教育局", "人力资源和社会保障局")
REGION_UNITS = (("bu-150000-01", "内蒙古自治区教育厅"), ("bu-150000-02", "内蒙古自治区卫生健康委员会"))
VENDORS = (("vendor-a", "北疆软件有限公司（示例）"), ("vendor-b", "草原云科技有限公司（示例）"))
INSTITUTIONS = (
    ("fi-150000-abc", "农业银行内蒙古分行（示例）", "150000"),
    ("fi-150100-icbc", "工商银行呼和浩特分行（示例）", "150100"),
)


def base_organisations() -> Iterator[Organisation]:
    """What a production start puts in the tree: the region's finance department and IT division, and the
    finance bureau of every league/city and banner/county (GB/T 2260). Units, business divisions, vendors
    and banks are the administrators' to add (POST /api/orgs)."""
    for division in divisions().values():
        if division.level == "region":
            yield Organisation(bureau_id(division.code), "内蒙古自治区财政厅", "finance_bureau", division.code)
            yield Organisation("itd", "财政厅信息化处", "it_division", division.code)
        else:
            yield Organisation(bureau_id(division.code), f"{division.name}财政局", "finance_bureau", division.code)


def demo_organisations() -> Iterator[Organisation]:
    """An Inner Mongolia–sized region: a bureau per division, budget units, divisions, vendors, banks."""
    for division in divisions().values():
        if division.level == "region":
            yield Organisation(bureau_id(division.code), "内蒙古自治区财政厅", "finance_bureau", division.code)
            yield Organisation("itd", "财政厅信息化处", "it_division", division.code)
            for org_id, name, domains in BUSINESS_DIVISIONS:
                yield Organisation(org_id, name, "business_division", division.code, domains)
            for org_id, name in REGION_UNITS:
                yield Organisation(org_id, name, "budget_unit", division.code)
            for org_id, name in VENDORS:
                yield Organisation(org_id, name, "vendor", division.code)
            continue
        yield Organisation(bureau_id(division.code), f"{division.name}财政局", "finance_bureau", division.code)
        units = COUNTY_UNITS if division.level == "county" else CITY_UNITS
        for number, suffix in enumerate(units, start=1):
            yield Organisation(
                f"bu-{division.code}-{number:02d}", f"{division.name}{suffix}", "budget_unit", division.code
            )
    for org_id, name, code in INSTITUTIONS:
        yield Organisation(org_id, name, "financial_institution", code)
