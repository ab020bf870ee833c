"""Review's pure rules (第三条, 第六条一～四): no I/O, only state changes and the events they produce.

- case.py: the `ReviewCase` aggregate, its states and tasks, opening a case on submission
- review.py: level review — forward, reject, return, resubmission (第三条, 第六条一)
- refinement.py: refinement, merge, split, confirmation (第六条二、三)
- publication.py: the monthly publication (第六条四)
- deadline.py: each level's review deadline on the working calendar (the region's rule)
"""

from services.review.domain.case import (
    STATUS_LABELS,
    Decision,
    HistoryEntry,
    ReviewCase,
    ReviewTask,
    Status,
    open_review_case,
)
from services.review.domain.commands import (
    ConfirmRequirement,
    ForwardRequirement,
    MergeRequirement,
    PublishMonth,
    RefineRequirement,
    RejectRequirement,
    RequirementPart,
    ReturnRequirement,
    ReviewAction,
    ReviewInBatch,
    SplitRequirement,
)
from services.review.domain.deadline import ReviewDeadline
from services.review.domain.errors import (
    CaseNotFound,
    ConcurrentChange,
    IllegalTransition,
    InvalidCommand,
    NotYourTurn,
    RoundAlreadyProcessed,
    TaskNotReceived,
)
from services.review.domain.publication import (
    PUBLIC_ENTRY_FIELDS,
    Publication,
    PublicationEntry,
    amend,
    batch_id_for,
    check_month,
    draft_publication,
    preview_entries,
    publish,
    publish_requirement,
)
from services.review.domain.refinement import BUSINESS_DIVISION_IDS, confirm, merge, refine, split, split_parts
from services.review.domain.review import (
    DETAILED_REASON_MIN,
    RETURN_REASON_MIN,
    forward,
    reject,
    remind_if_overdue,
    reopen_after_amendment,
    return_for_amendment,
)

__all__ = [
    "BUSINESS_DIVISION_IDS",
    "DETAILED_REASON_MIN",
    "PUBLIC_ENTRY_FIELDS",
    "RETURN_REASON_MIN",
    "STATUS_LABELS",
    "CaseNotFound",
    "ConcurrentChange",
    "ConfirmRequirement",
    "Decision",
    "ForwardRequirement",
    "HistoryEntry",
    "IllegalTransition",
    "InvalidCommand",
    "MergeRequirement",
    "NotYourTurn",
    "Publication",
    "PublicationEntry",
    "PublishMonth",
    "RefineRequirement",
    "RejectRequirement",
    "RequirementPart",
    "ReturnRequirement",
    "ReviewAction",
    "ReviewCase",
    "ReviewDeadline",
    "ReviewInBatch",
    "ReviewTask",
    "RoundAlreadyProcessed",
    "SplitRequirement",
    "Status",
    "TaskNotReceived",
    "amend",
    "batch_id_for",
    "check_month",
    "confirm",
    "draft_publication",
    "forward",
    "merge",
    "open_review_case",
    "preview_entries",
    "publish",
    "publish_requirement",
    "refine",
    "reject",
    "remind_if_overdue",
    "reopen_after_amendment",
    "return_for_amendment",
    "split",
    "split_parts",
]
