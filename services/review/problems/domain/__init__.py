"""The problem procedure's pure rules (第七条–第十一条): no I/O, only state changes and their events.

- flows.py: the states, the steps and which step each category allows in which state
- case.py: the `ProblemCase` aggregate, who acts next (owners), history and pauses
- opening.py: a case opened from ProblemReported (第十条, 第十一条一 问题解决台账)
- common.py: steps every category shares (refine, ask the reporter, verify, close)
- bug.py, configuration.py, data_repair.py, consulting.py: each category's own steps (第十一条一～四)
- steps.py: which function takes which step
- faq.py: FAQ entries and their search (第七条)
"""

from services.review.problems.domain.case import (
    Answerer,
    HistoryEntry,
    Owner,
    Pause,
    ProblemCase,
    ReviewStep,
    owner_of,
)
from services.review.problems.domain.commands import (
    AcceptAnswer,
    AnswerQuestion,
    AnswerRepairPlan,
    AskAgain,
    AskUser,
    CheckCompliance,
    ConfigureProblem,
    ConfirmProblem,
    ConfirmRepairForBusiness,
    EscalateQuestion,
    Link,
    MarkFixReleased,
    PlanRepair,
    RecordBackup,
    RecordRepair,
    RefineProblem,
    ReplyToQuestion,
    ReproduceProblem,
    ReviewRepair,
    VerifyResult,
)
from services.review.problems.domain.consulting import mark_promoted
from services.review.problems.domain.errors import (
    ConcurrentChange,
    FaqEntryNotFound,
    IllegalTransition,
    InvalidCommand,
    NotYourTurn,
    ProblemNotFound,
)
from services.review.problems.domain.faq import (
    FaqEntry,
    draft_from_answer,
    entry_id_for,
    keywords,
    new_entry_id,
    publish_entry,
    revise_entry,
    search,
    suggest,
    tokens,
)
from services.review.problems.domain.flows import (
    CATEGORY_LABELS,
    FLOWS,
    OUTCOME_LABELS,
    STATUS_LABELS,
    USER_STATUSES,
    Status,
    Step,
)
from services.review.problems.domain.opening import open_problem_case
from services.review.problems.domain.steps import STEP_FUNCTIONS, is_turn_of, steps_allowed_now, take_step

__all__ = [
    "CATEGORY_LABELS",
    "FLOWS",
    "OUTCOME_LABELS",
    "STATUS_LABELS",
    "STEP_FUNCTIONS",
    "USER_STATUSES",
    "AcceptAnswer",
    "AnswerQuestion",
    "AnswerRepairPlan",
    "Answerer",
    "AskAgain",
    "AskUser",
    "CheckCompliance",
    "ConcurrentChange",
    "ConfigureProblem",
    "ConfirmProblem",
    "ConfirmRepairForBusiness",
    "EscalateQuestion",
    "FaqEntry",
    "FaqEntryNotFound",
    "HistoryEntry",
    "IllegalTransition",
    "InvalidCommand",
    "Link",
    "MarkFixReleased",
    "NotYourTurn",
    "Owner",
    "Pause",
    "PlanRepair",
    "ProblemCase",
    "ProblemNotFound",
    "RecordBackup",
    "RecordRepair",
    "RefineProblem",
    "ReplyToQuestion",
    "ReproduceProblem",
    "ReviewRepair",
    "ReviewStep",
    "Status",
    "Step",
    "VerifyResult",
    "draft_from_answer",
    "entry_id_for",
    "is_turn_of",
    "keywords",
    "mark_promoted",
    "new_entry_id",
    "open_problem_case",
    "owner_of",
    "publish_entry",
    "revise_entry",
    "search",
    "steps_allowed_now",
    "suggest",
    "take_step",
    "tokens",
]
