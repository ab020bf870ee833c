"""The demo tickets `make run` creates on a first start (infra/demo.py) go through today's APIs: if a
request body or a step changes, the demo would silently come up empty, so the scenario is run here."""

import pytest

from infra.demo import DemoClient, Scenario
from infra.launcher import ServiceProcess
from tests.support import Api, eventually

pytestmark = pytest.mark.e2e


def test_the_demo_scenario_fills_every_stage_of_the_procedure(services: dict[str, ServiceProcess], api: Api) -> None:
    Scenario(DemoClient({name: process.url for name, process in services.items()})).run()

    def titled(title: str) -> dict | None:
        tickets = api.get("portal", "/api/tickets", as_user="itdiv", params={"limit": 200}).json()
        return next((t for t in tickets if t["title"] == title), None)

    in_development = eventually(
        lambda: (t := titled("指标查询增加按资金性质筛选")) and t["status"] == "in_development" and t,
        what="the adopted requirement in development at the vendor",
    )
    orders = api.get("dispatch", "/api/work-orders", as_user="vendor1", params={"limit": 500}).json()
    assert any(order["ticket_id"] == in_development["_id"] for order in orders)
    assert eventually(lambda: (t := titled("部门决算报表增加自定义口径")) and t["status"] == "declined")
    assert eventually(lambda: (t := titled("单位基本信息页面换肤")) and t["status"] == "rejected")
    city_queue = api.get("review", "/api/review-tasks", as_user="city").json()
    assert any(task["title"] == "工资发放增加银行回单查询" for task in city_queue)
    county_queue = api.get("review", "/api/review-tasks", as_user="county").json()
    assert any(task["title"] == "预算编制模块支持批量调整项目支出" for task in county_queue)
    problems = api.get("review", "/api/problem-ledger", as_user="itdiv", params={"limit": 500}).json()
    statuses = {case["title"]: case["status"] for case in problems}
    assert statuses["如何查询指标使用进度"] == "answered"
    assert statuses["支付回单下载报错"] == "refined"
    faq = api.get("review", "/api/faq", as_user="submitter", params={"q": "用款计划"}).json()
    assert any(entry["question"] == "用款计划如何批量导入" for entry in faq)
