"""What notify starts with when its database is empty: scheme version 1 and the demo's WeCom robots; on
later starts, the default rules of event types an upgrade brought (a new scheme version).

Robots: one for the region's IT division group (itd and the region's finance department) and one per
league/city bureau group, covering the bureau and its banners/counties by division prefix. Their keys are
placeholders; they are only used when FD_WECOM_BASE_URL is set (docs/notifications.md, "Demo").
"""

from services.notify.config_store import RobotStore, SchemeStore
from services.notify.scheme_defaults import IT_DIVISION_ORG, default_rules, superseded_rules
from shared.events import utcnow
from shared.logs import get_logger
from shared.orgtree import REGION_CODE, bureau_id, divisions

log = get_logger(__name__)


def demo_robots() -> list[dict]:
    robots = [
        {
            "_id": "itd",
            "name": "财政厅信息化处工作群",
            "key": "demo-itd",
            "org_ids": [IT_DIVISION_ORG, bureau_id(REGION_CODE)],
            "division_prefix": None,
            "msgtype": "markdown",
            "enabled": True,
        }
    ]
    for division in divisions().values():
        if division.level == "city":
            robots.append(
                {
                    "_id": f"city-{division.code}",
                    "name": f"{division.name}财政局工作群",
                    "key": f"demo-{division.code}",
                    "org_ids": [],
                    "division_prefix": division.code[:4],
                    "msgtype": "markdown",
                    "enabled": True,
                }
            )
    return robots


async def seed(schemes: SchemeStore, robots: RobotStore) -> None:
    if await schemes.seed(default_rules(), utcnow()):
        log.info("notification scheme version 1 seeded")
    elif added := await schemes.add_new_defaults(default_rules(), utcnow(), superseded_rules()):
        log.info("notification scheme: default rules added or corrected by an upgrade", event_types=added)
    if added := await robots.seed(demo_robots()):
        log.info("demo wecom robots seeded", robots=added)
