"""The requirements specification (软件需求说明书) opens in python-docx and lists adopted requirements only."""

from datetime import UTC, datetime
from io import BytesIO

import docx

from services.review.adapters.documents import publication_state
from services.review.domain import draft_publication, publish
from services.review.publication_docx import specification_docx
from services.review.tests.factories import ITDIV, NOW, confirmed


def stored_publication(*cases):
    publication = draft_publication(cases, month="2026-12", sequence=1, by=ITDIV, now=NOW)
    publish(publication, published={case.ticket_id for case in cases}, now=NOW)
    return {"_id": publication.batch_id, **publication_state(publication)}


def test_the_specification_has_a_table_per_adopted_requirement() -> None:
    content = specification_docx(stored_publication(confirmed("REQ-A"), confirmed("REQ-B", adopted=False)))

    document = docx.Document(BytesIO(content))
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert "软件需求说明书" in text and "PUB-2026-12" in text and "2026-12" in text
    [table] = document.tables
    rows = {row.cells[0].text: row.cells[1].text for row in table.rows}
    assert rows["需求编号"] == "REQ-A"
    assert rows["需求类别"] == "优化完善需求"
    assert rows["提出单位"] == "新城区教育局"
    assert rows["预计升级时间"] == "2027-03-31"
    assert rows["需求描述"].startswith("在指标查询界面")
    assert "REQ-B" not in text


def test_a_batch_without_adopted_requirements_still_makes_a_document() -> None:
    document = docx.Document(BytesIO(specification_docx(stored_publication(confirmed(adopted=False)))))
    assert document.tables == []
    assert any("没有予以采纳" in paragraph.text for paragraph in document.paragraphs)


def test_a_publication_at_half_past_one_in_beijing_is_dated_that_day_not_the_utc_day_before() -> None:
    publication = draft_publication([confirmed("REQ-A")], month="2026-12", sequence=1, by=ITDIV, now=NOW)
    publish(publication, published={"REQ-A"}, now=datetime(2026, 12, 2, 17, 30, tzinfo=UTC))
    content = specification_docx({"_id": publication.batch_id, **publication_state(publication)})
    text = "\n".join(paragraph.text for paragraph in docx.Document(BytesIO(content)).paragraphs)
    assert "公示时间：2026-12-03" in text
