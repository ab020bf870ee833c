"""The template spreadsheet (需求征集样表, 第四条): download it, fill it in, upload it.

Rule for partial imports: every valid row becomes a requirement; every invalid row is reported with its
row number, column and reason and is NOT imported. Fix the reported rows and upload the file again:
rows already imported are recognised (same organisation, title and description) and skipped, so nothing
is submitted twice. An upload outside the submission window imports nothing (第五条).
"""

import hashlib
import zipfile
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import ValidationError

from services.intake.domain import RequirementForm
from services.intake.schemas import RequirementCreate
from shared.spreadsheets import safe_cell
from shared.validation import rule_text

MAX_ROWS = 500
CATEGORIES = {"新增需求": "new", "优化完善需求": "optimisation", "统计报表需求": "report"}
URGENCIES = {"一般": "normal", "紧急": "urgent"}
# (field, header, width, choices)
COLUMNS: list[tuple[str, str, int, dict[str, str] | None]] = [
    ("category", "需求类别*", 16, CATEGORIES),
    ("title", "需求标题*", 30, None),
    ("description", "需求描述*", 60, None),
    ("business_scenario", "业务场景", 40, None),
    ("expected_effect", "预期效果", 40, None),
    ("urgency", "紧急程度", 10, URGENCIES),
    ("module", "涉及模块", 20, None),
    ("local_justification", "个性化需求说明", 40, None),
]
HEADERS = {field: header for field, header, _, _ in COLUMNS}
INSTRUCTIONS = [
    "需求征集样表填写说明",
    "1. 带 * 的列必填；需求类别、紧急程度请从下拉列表中选择（第二条）。",
    "2. 需求标题 2～100 字；需求描述 10～5000 字，请写清现状、问题和期望。",
    "3. 个性化需求（仅适用于本地区）请在“个性化需求说明”中说明必要性（第一条）。",
    "4. 需求征集开放时间为每月前3个工作日（第五条），请在开放期内上传。",
    "5. 校验通过的行即提交；未通过的行会列出行号、列名和原因，修改后可再次上传，已导入的行不会重复提交。",
]


def template() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "需求征集样表"
    header_style = (Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1F5FAD"))
    for index, (_, header, width, choices) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index, value=safe_cell(header))
        cell.font, cell.fill = header_style
        cell.alignment = Alignment(horizontal="center")
        column = cell.column_letter
        sheet.column_dimensions[column].width = width
        if choices:
            validation = DataValidation(type="list", formula1=f'"{",".join(choices)}"', allow_blank=False)
            validation.error = "请从下拉列表中选择"
            validation.add(f"{column}2:{column}{MAX_ROWS + 1}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"
    guide = workbook.create_sheet("填写说明")
    for row, line in enumerate(INSTRUCTIONS, start=1):
        guide.cell(row=row, column=1, value=safe_cell(line))
    guide.column_dimensions["A"].width = 100
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@dataclass(frozen=True)
class ParsedRow:
    row: int
    form: RequirementForm


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    reason: str


class UnreadableSpreadsheet(ValueError):
    pass


# An xlsx is a zip: its parts are read uncompressed. A 500-row template is well under a megabyte; a file whose
# parts would expand past these is refused before openpyxl reads a byte of it (a "zip bomb").
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
MAX_ENTRIES = 500


def check_package(content: bytes) -> None:
    """Refuse, from the zip's directory alone, a package too large or too compressed to be a template."""
    try:
        entries = zipfile.ZipFile(BytesIO(content)).infolist()
    except zipfile.BadZipFile as error:
        raise UnreadableSpreadsheet("无法读取该文件，请使用需求征集样表 (not an xlsx: not a zip)") from error
    total = sum(entry.file_size for entry in entries)
    packed = sum(entry.compress_size for entry in entries) or 1
    if len(entries) > MAX_ENTRIES or total > MAX_UNCOMPRESSED_BYTES or total / packed > MAX_COMPRESSION_RATIO:
        raise UnreadableSpreadsheet(
            f"文件解压后过大（{total // 1024 // 1024} MB），不是需求征集样表 (the package expands too far)"
        )


def parse(content: bytes) -> tuple[list[ParsedRow], list[RowError]]:
    """Valid rows as forms, invalid ones as (row, column, reason); blank rows are skipped. Blocking (openpyxl):
    run it in a thread, after `check_package`."""
    check_package(content)
    try:
        sheet = load_workbook(BytesIO(content), read_only=True, data_only=True).worksheets[0]
    except Exception as error:
        raise UnreadableSpreadsheet(f"无法读取该文件，请使用需求征集样表 (not a readable xlsx: {error})") from error
    header = [str(value or "").strip() for value in next(sheet.iter_rows(max_row=1, values_only=True), ())]
    missing = [h for h in HEADERS.values() if h not in header]
    if missing:
        raise UnreadableSpreadsheet(f"缺少列：{'、'.join(missing)} (missing columns; use the template)")
    position = {field: header.index(head) for field, head in HEADERS.items()}
    rows: list[ParsedRow] = []
    errors: list[RowError] = []
    for number, values in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        if all(value in (None, "") for value in values):
            continue
        if number > MAX_ROWS + 1:
            errors.append(RowError(number, "", f"一次最多导入 {MAX_ROWS} 行 (at most {MAX_ROWS} rows)"))
            break
        raw = {field: _cell(values, index) for field, index in position.items()}
        parsed, row_errors = _validate(number, raw)
        rows.extend(parsed)
        errors.extend(row_errors)
    return rows, errors


def import_key(org_id: str, form: RequirementForm) -> str:
    """The same organisation, title and description is the same requirement: re-uploads skip it."""
    return "xlsx:" + hashlib.sha256(f"{org_id}\n{form.title}\n{form.description}".encode()).hexdigest()


def _cell(values: tuple, index: int) -> str:
    value = values[index] if index < len(values) else None
    return "" if value is None else str(value).strip()


def _validate(number: int, raw: dict[str, str]) -> tuple[list[ParsedRow], list[RowError]]:
    data: dict[str, Any] = {k: v for k, v in raw.items() if v != ""}
    errors: list[RowError] = []
    for field, choices in (("category", CATEGORIES), ("urgency", URGENCIES)):
        if field in data:
            if data[field] not in choices:
                errors.append(RowError(number, HEADERS[field], f"请从下拉列表选择：{'/'.join(choices)}"))
                data.pop(field)
            else:
                data[field] = choices[data[field]]
    try:
        form = RequirementCreate.model_validate(data).form()
    except ValidationError as invalid:
        for item in invalid.errors():
            field = str(item["loc"][0]) if item["loc"] else ""
            if any(e.column == HEADERS.get(field) for e in errors):
                continue
            column = HEADERS.get(field, field)
            ctx = {key: value for key, value in (item.get("ctx") or {}).items() if key != "error"}
            words = rule_text(item["type"], ctx, column.rstrip("*"), False, item["msg"])
            errors.append(RowError(number, column, words))
        return [], errors
    return ([], errors) if errors else ([ParsedRow(number, form)], [])
