"""常见问题集 (FAQ, 第七条): answers the region publishes, searchable, shown before a consulting ticket is sent.

第七条: 财政厅各业务处室将问题解决情况记入系统操作手册或常见问题集，定期更新并向全区发布. The IT division
publishes an entry fresh or promotes a consulting answer; each revision emits FaqEntryPublished.

- `search(q)`: every whitespace-separated keyword (`keywords`) must occur in the question, answer or module
  (AND); entries whose question holds the keywords rank first. The database does the same with trigram
  indexes (services/review/problems/adapters.py); this is the rule it follows.
- `suggest(title)`: for a consulting ticket being written; Chinese runs are cut into character pairs
  (bigrams) and latin words kept, and entries sharing enough of them with the title are returned. The
  database narrows the entries to those holding one of the title's words; the ranking is done here.
"""

import re
import secrets
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from services.review.problems.domain.case import ProblemCase, Someone
from services.review.problems.domain.commands import Link
from services.review.problems.domain.errors import InvalidCommand
from shared.events import Event, FaqEntryPublished, GuideLink

CATEGORIES = ("software_operation", "business", "general")
CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
LATIN_WORD = re.compile(r"[0-9a-z]+")
# Words of asking that say nothing about the subject.
STOP = frozenset(
    {"如何", "怎么", "怎样", "什么", "哪里", "在哪", "哪个", "请问", "问题", "为何", "能否", "是否", "一下"}
)
SUGGEST_MIN_SHARE = 0.4


@dataclass
class FaqEntry:
    id: str
    question: str
    answer: str
    category: str
    published_by: str
    published_at: datetime
    module: str = ""
    links: list[Link] = field(default_factory=list)
    source_ticket_id: str | None = None
    published_by_name: str = ""
    revision: int = 1
    updated_at: datetime | None = None
    version: int = 0
    events: list[Event] = field(default_factory=list)


def new_entry_id() -> str:
    return f"FAQ-{secrets.token_hex(4).upper()}"


def entry_id_for(ticket_id: str) -> str:
    """A promoted answer's entry id: one per consulting case, so promoting twice cannot make two."""
    return f"FAQ-{ticket_id}"


def publish_entry(
    entry_id: str,
    *,
    question: str,
    answer: str,
    category: str,
    module: str,
    links: Iterable[Link],
    by: Someone,
    now: datetime,
    source_ticket_id: str | None = None,
) -> FaqEntry:
    entry = FaqEntry(entry_id, "", "", "", by.user_id, now, source_ticket_id=source_ticket_id, revision=0)
    revise_entry(entry, question=question, answer=answer, category=category, module=module, links=links, by=by, now=now)
    return entry


def revise_entry(
    entry: FaqEntry,
    *,
    question: str,
    answer: str,
    category: str,
    module: str,
    links: Iterable[Link],
    by: Someone,
    now: datetime,
) -> None:
    """定期更新 (第七条): a new revision of the entry, published again."""
    if category not in CATEGORIES:
        raise InvalidCommand("unknown_category", f"未知的分类 {category}", field="category")
    entry.question, entry.answer, entry.category = question.strip(), answer.strip(), category
    entry.module, entry.links = module.strip(), list(links)
    entry.revision += 1
    entry.published_by, entry.published_by_name = by.user_id, by.name
    entry.updated_at = now
    entry.events.append(
        FaqEntryPublished(
            entry_id=entry.id,
            revision=entry.revision,
            question=entry.question,
            answer=entry.answer,
            category=entry.category,
            module=entry.module,
            links=[GuideLink(**asdict(link)) for link in entry.links],
            source_ticket_id=entry.source_ticket_id,
        )
    )


def draft_from_answer(case: ProblemCase) -> dict[str, Any]:
    """What a promoted entry says unless the IT division rewrites it: the question and the accepted answer."""
    answer = case.answer or {}
    return {
        "question": case.title,
        "answer": answer.get("text", ""),
        "category": case.details.get("question_type", "general"),
        "module": case.module,
        "links": [Link(**link) for link in answer.get("links", [])],
    }


def tokens(text: str) -> set[str]:
    """Character pairs of Chinese runs and latin words of two letters or more, without words of asking."""
    text = text.casefold()
    found: set[str] = set()
    for run in CJK_RUN.findall(text):
        found.update(run[i : i + 2] for i in range(len(run) - 1))
    found.update(word for word in LATIN_WORD.findall(text) if len(word) >= 2)
    return found - STOP


def keywords(q: str) -> list[str]:
    """The keywords of a search: its whitespace-separated words, each once, case folded."""
    return list(dict.fromkeys(word.casefold() for word in q.split()))


def search(entries: Iterable[dict[str, Any]], q: str, limit: int) -> list[dict[str, Any]]:
    """Entries holding every keyword of `q` in question, answer or module; question matches first."""
    wanted = keywords(q)
    if not wanted:
        return list(entries)[:limit]
    ranked = []
    for entry in entries:
        question = entry["question"].casefold()
        haystack = f"{question}\n{entry['answer'].casefold()}\n{entry.get('module', '').casefold()}"
        if all(word in haystack for word in wanted):
            ranked.append((sum(word in question for word in wanted), entry))
    ranked.sort(key=lambda pair: pair[0], reverse=True)  # stable: newest first among equals
    return [entry for _, entry in ranked[:limit]]


def suggest(entries: Iterable[dict[str, Any]], title: str, limit: int) -> list[dict[str, Any]]:
    """Entries that share enough of the words of `title` (a consulting ticket being written)."""
    wanted = tokens(title)
    if not wanted:
        return []
    ranked = []
    for entry in entries:
        in_question = wanted & tokens(entry["question"])
        shared = in_question | (wanted & tokens(f"{entry['answer']} {entry.get('module', '')}"))
        share = len(shared) / len(wanted)
        if share >= SUGGEST_MIN_SHARE and (len(shared) >= 2 or len(wanted) == 1):
            ranked.append((share, len(in_question), {**entry, "match": round(share, 2)}))
    ranked.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [entry for _, _, entry in ranked[:limit]]
