"""The FAQ's search (every keyword) and suggestions (enough shared words of a title), in Python (第七条)."""

from services.review.problems.domain import search, suggest
from services.review.problems.domain.faq import tokens

ENTRIES = [
    {"_id": "F1", "question": "如何查询直达资金支付进度", "answer": "在 支付管理 → 直达资金 → 支付进度查询 中查看。",
     "module": "支付管理"},
    {"_id": "F2", "question": "预算指标如何导出 Excel", "answer": "在指标查询界面点击导出按钮。", "module": "指标管理"},
    {"_id": "F3", "question": "三保标识填错了怎么办", "answer": "提交数据修复问题，经盟市审核后由自治区统一修正。",
     "module": "指标管理"},
]  # fmt: skip


def test_tokens_are_chinese_character_pairs_and_latin_words_without_words_of_asking() -> None:
    assert tokens("如何导出Excel") == {"何导", "导出", "excel"}


def test_search_needs_every_keyword_and_ranks_question_matches_first() -> None:
    assert [e["_id"] for e in search(ENTRIES, "指标 导出", 10)] == ["F2"]
    assert [e["_id"] for e in search(ENTRIES, "指标", 10)] == ["F2", "F3"]
    assert [e["_id"] for e in search(ENTRIES, "EXCEL", 10)] == ["F2"]
    assert search(ENTRIES, "不存在的词", 10) == []
    assert len(search(ENTRIES, "   ", 2)) == 2


def test_a_regex_special_character_is_just_a_character() -> None:
    assert search(ENTRIES, ".*", 10) == [] and suggest(ENTRIES, "(?i).*", 5) == []


def test_a_title_being_written_is_shown_the_entries_that_may_answer_it() -> None:
    assert [e["_id"] for e in suggest(ENTRIES, "直达资金支付进度在哪里查看", 5)] == ["F1"]
    assert [e["_id"] for e in suggest(ENTRIES, "三保标识选错了", 5)] == ["F3"]
    assert suggest(ENTRIES, "系统登录很慢", 5) == []
