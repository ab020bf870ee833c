"""The rules of the problem procedure a step can break, each with a code for clients and a message for the UI.

shared.web answers every DomainError as {"error": code, "message": ..., "detail": [...]}: 409 for a step
the case's state does not allow, 404 for a case that does not exist (or lies outside the user's area),
422 for a value that breaks a rule.
"""

from shared.errors import DomainError, InvalidInput, NotFound


class IllegalTransition(DomainError):
    """409: the case is not in a state where this step is allowed (e.g. verifying before the patch)."""


class NotYourTurn(DomainError):
    """409: the user's role may take this step, but this case's step belongs to another bureau or division."""

    def __init__(self, ticket_id: str, whose: str) -> None:
        super().__init__("not_your_turn", f"问题 {ticket_id} 的当前环节由{whose}办理 (this step belongs to {whose})")


class ConcurrentChange(DomainError):
    """409: somebody changed the case between reading and writing it; read it again and retry."""

    def __init__(self, ticket_id: str) -> None:
        super().__init__(
            "concurrent_change",
            f"问题 {ticket_id} 已被他人同时处理，请刷新后重试 (changed concurrently by someone else: reload and retry)",
        )


class ProblemNotFound(NotFound):
    """404: no such problem, or it lies outside the user's area (then it does not exist for them)."""

    def __init__(self, ticket_id: str) -> None:
        super().__init__("problem_not_found", f"问题 {ticket_id} 不存在 (no such problem)")


class FaqEntryNotFound(NotFound):
    def __init__(self, entry_id: str) -> None:
        super().__init__("faq_entry_not_found", f"常见问题 {entry_id} 不存在 (no such FAQ entry)")


class InvalidCommand(InvalidInput):
    """422: a value breaks a rule (a reason too short, a checksum that is not SHA-256 ...)."""
