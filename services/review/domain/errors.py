"""The rules of review, refinement, confirmation and publication a command can break.

Every error says in Chinese what was wrong (for the UI), in English in brackets, and carries a `code`
for clients and, when one field is at fault, its `field`. shared.web maps them to one 4xx shape.
"""

from shared.errors import DomainError, InvalidInput, NotFound


class IllegalTransition(DomainError):
    """409: the case is not in a state where this step is allowed (e.g. publishing before confirmation)."""


class NotYourTurn(DomainError):
    """409: the user may see the case, but the step belongs to another level, division or business division."""


class ConcurrentChange(DomainError):
    """409: somebody else changed the case between reading and writing it; read it again and retry."""

    def __init__(self, ticket_id: str) -> None:
        super().__init__(
            "concurrent_change",
            f"需求 {ticket_id} 已被他人同时处理，请刷新后重试 (changed concurrently by someone else: reload and retry)",
        )


class RoundAlreadyProcessed(DomainError):
    """A submission round that review has already handled arrived again; it must never be handled twice."""

    def __init__(self, ticket_id: str, round_number: int) -> None:
        super().__init__(
            "round_already_processed",
            f"需求 {ticket_id} 第 {round_number} 轮提交已处理 (round {round_number} was already processed)",
        )


class TaskNotReceived(DomainError):
    """409: the task is its bureau's, but its level deployment has not taken it from its level's topic yet
    (decision 0016): it is not in the queue there, so it cannot be acted on there either."""

    def __init__(self, ticket_id: str) -> None:
        super().__init__(
            "task_not_received",
            f"需求 {ticket_id} 尚未进入本级审核队列，请稍后重试"
            f" (the task has not reached this level's review queue yet: retry shortly)",
        )


class CaseNotFound(NotFound):
    """404: no such requirement, or it lies outside the user's area (then it does not exist for them)."""

    def __init__(self, ticket_id: str, *, field: str | None = None) -> None:
        super().__init__("case_not_found", f"需求 {ticket_id} 不存在 (no such requirement)", field=field)


class InvalidCommand(InvalidInput):
    """422: a value of the command breaks a rule (a reason too short, an unknown business division ...)."""
