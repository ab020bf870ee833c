"""软件需求说明书 (requirements specification, 第十二条二) of one publication batch, as a .docx file.

"根据业务处室的确认意见，编制需求说明书" (第六条四): it lists the batch's ADOPTED requirements only — a
declined one is in the publication with its reason, but nobody builds it. One table per requirement.
"""

from datetime import datetime
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from shared.orgtree import BUSINESS_DIVISIONS

CATEGORY_NAMES = {"new": "新增需求", "optimisation": "优化完善需求", "report": "统计报表需求"}
URGENCY_NAMES = {"normal": "一般", "urgent": "紧急"}
BEIJING = ZoneInfo("Asia/Shanghai")
DIVISION_NAMES = {org_id: name for org_id, name, _ in BUSINESS_DIVISIONS}
FONT = "SimSun"  # 宋体, so Chinese text renders the same on every reader's machine
MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def specification_docx(publication: dict[str, Any]) -> bytes:
    """The document for a stored publication (as PublicationRepository.read answers it)."""
    document = Document()
    _use_chinese_font(document)
    month = publication["month"]
    document.add_heading("软件需求说明书", level=0)
    document.add_paragraph(f"公示批次：{publication['_id']}　　需求月份：{month}")
    document.add_paragraph(f"公示时间：{_when(publication.get('published_at'))}　　编制：财政信息化主管处室")
    adopted = [entry for entry in publication["entries"] if entry["adopted"]]
    document.add_paragraph(
        f"本说明书根据归口业务处室的确认意见编制（第六条四），收录本批次予以采纳的需求共 {len(adopted)} 项。"
    )
    if not adopted:
        document.add_paragraph("本批次没有予以采纳的需求。")
    for number, entry in enumerate(adopted, start=1):
        document.add_heading(f"{number}. {entry['title']}", level=1)
        _requirement_table(document, entry)
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def filename(batch_id: str) -> str:
    return f"{batch_id}-specification.docx"


def _requirement_table(document: Any, entry: dict[str, Any]) -> None:
    rows = [
        ("需求编号", entry["ticket_id"]),
        ("需求标题", entry["title"]),
        ("需求类别", CATEGORY_NAMES.get(entry["category"], entry["category"])),
        ("提出单位", entry.get("org_name", "")),
        ("归口业务处室", DIVISION_NAMES.get(entry["business_division_id"], entry["business_division_id"])),
        ("紧急程度", URGENCY_NAMES.get(entry.get("urgency", ""), entry.get("urgency", ""))),
        ("功能模块", entry.get("module") or "—"),
        ("需求描述", entry["description"]),
        ("预计升级时间", entry.get("expected_upgrade") or "待定"),
    ]
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in rows:
        cells = table.add_row().cells
        cells[0].text = label
        cells[1].text = str(value)
        cells[0].paragraphs[0].runs[0].bold = True


def _use_chinese_font(document: Any) -> None:
    for name in ("Normal", "Title", "Heading 1"):
        style = document.styles[name]
        style.font.name = FONT
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        fonts.set(qn("w:eastAsia"), FONT)
    document.styles["Normal"].font.size = Pt(11)


def _when(value: datetime | str | None) -> str:
    """The date in Beijing (a publication at 01:30 on the 3rd in Beijing is dated the 3rd, not UTC's 2nd)."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d")
