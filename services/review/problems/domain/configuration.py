"""功能配置 (第七条, 第十一条二): refine → compliance check → configured by the region → the reporter verifies.

A request that does not comply with the Ministry of Finance's business rules and technical standards is
answered at once with the reason and closed (第十一条二2 针对不符合标准规范的问题和需求及时答复用户). A
configuration records what changed and from when, so business in progress and history are not disturbed
(第七条 配置过程中应明确时间节点).
"""

from datetime import datetime

from services.review.problems.domain.case import ProblemCase, Status, Step
from services.review.problems.domain.commands import CheckCompliance, ConfigureProblem, VerifyResult
from services.review.problems.domain.common import DETAILED_REASON_MIN, close, required_text, verify
from services.review.problems.domain.errors import InvalidCommand
from shared.auth import Principal
from shared.events import ProblemClosed, ProblemComplianceChecked, ProblemConfigured
from shared.orgtree import BUSINESS_DIVISIONS

BUSINESS_DIVISION_IDS = frozenset(org_id for org_id, _, _ in BUSINESS_DIVISIONS)


def check_compliance(case: ProblemCase, command: CheckCompliance, *, by: Principal, now: datetime) -> None:
    """第十一条二2: the IT division and a business division check it; not compliant → reasoned reply, closed."""
    case.require(Step.CHECK_COMPLIANCE)
    division = business_division_of(command.business_division_id, by)
    case.compliance = {"compliant": command.compliant, "business_division_id": division, "by": by.user_id, "at": now}
    if command.compliant:
        case.move(Status.AWAITING_CONFIGURATION, "compliance_checked", by, now, note=command.reason.strip())
        case.emit(
            ProblemComplianceChecked, compliant=True, reason=command.reason.strip(), business_division_id=division
        )
        return
    reason = required_text(
        command.reason, DETAILED_REASON_MIN, "reason", "不符合规范须向用户说明理由", "a reasoned reply is required"
    )
    close(case, "not_compliant", by, now, reason, action="not_compliant")
    case.emit(ProblemComplianceChecked, compliant=False, reason=reason, business_division_id=division)
    case.emit(ProblemClosed, outcome="not_compliant", reason=reason)


def configure(case: ProblemCase, command: ConfigureProblem, *, by: Principal, now: datetime) -> None:
    """系统配置 (第十一条二3): the region configures it, recording the change and its effective date."""
    case.require(Step.CONFIGURE)
    change = required_text(command.change, 2, "change", "请说明配置变更内容", "say what was changed")
    case.configuration = {
        "change": change,
        "effective_from": command.effective_from.isoformat(),
        "by": by.user_id,
        "at": now,
    }
    case.move(
        Status.AWAITING_VERIFICATION, "configured", by, now, note=f"{change}（自 {command.effective_from} 起生效）"
    )
    case.emit(ProblemConfigured, change=change, effective_from=command.effective_from)


def verify_configuration(case: ProblemCase, command: VerifyResult, *, by: Principal, now: datetime) -> None:
    """功能验证 (第十一条二4): passed closes; failed goes back to be configured again."""
    case.require(Step.VERIFY)
    verify(case, command.passed, command.reason, by, now, back_to=Status.AWAITING_CONFIGURATION)


def business_division_of(named: str | None, by: Principal) -> str:
    """The business division the check was made with: the one named, or the acting business division."""
    division = named or (by.org_id if by.org_kind == "business_division" else None)
    if division not in BUSINESS_DIVISION_IDS:
        raise InvalidCommand(
            "unknown_business_division",
            f"请指定共同论证的归口业务处室（{division or '未填写'}）(name the business division, e.g. bd-budget)",
            field="business_division_id",
        )
    return division
