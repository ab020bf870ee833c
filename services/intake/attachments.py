"""Attachments: size and type limits, the type told by the content, never by the name or the client.

Screenshots, documents and spreadsheets are accepted; anything else (an .html, an executable, a file
whose bytes do not match its claimed type) is refused with 415 and stored nowhere.
"""

import hashlib
import zipfile
from dataclasses import dataclass
from io import BytesIO

from services.intake.domain import InvalidTransition
from shared.errors import DomainError
from shared.events import new_id, utcnow

MAX_BYTES = 10 * 1024 * 1024
MAX_PER_TICKET = 10
# What one user may upload in a day, whatever the tickets (drafts included): stored bytes are bounded.
DAILY_BYTES_PER_USER = 200 * 1024 * 1024
EXTENSIONS = {
    "application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg", "text/plain; charset=utf-8": "txt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
}  # fmt: skip
# The parts an OOXML package of each kind may hold (ECMA-376 Part 2): anything else — a macro project,
# an embedded executable, a path out of the package — means it is not the document it claims to be.
OOXML_COMMON = ("[Content_Types].xml", "_rels/", "docProps/", "customXml/")
FORBIDDEN_PARTS = ("vbaproject.bin", "vbadata.xml", "activex", ".exe", ".dll", ".js", ".vbs", ".bat", ".cmd", ".ps1")

OOXML = {
    "word/": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "ppt/": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"),
}


class AttachmentRefused(DomainError):
    status_code = 415


@dataclass(frozen=True)
class Sniffed:
    media_type: str
    extension: str
    sha256: str
    size: int


def sniff(content: bytes) -> Sniffed:
    """The media type the bytes really are, or AttachmentRefused naming the rule."""
    if not content:
        raise AttachmentRefused("attachment_empty", "附件为空 (empty file)", field="file")
    if len(content) > MAX_BYTES:
        raise AttachmentRefused(
            "attachment_too_large", f"附件不能超过 {MAX_BYTES // 1024 // 1024} MB (file too large)", field="file"
        )
    media_type, extension = _kind(content)
    return Sniffed(media_type, extension, hashlib.sha256(content).hexdigest(), len(content))


def _kind(content: bytes) -> tuple[str, str]:
    if content.startswith(b"%PDF-"):
        return "application/pdf", "pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", "png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", "jpg"
    if content.startswith(b"PK\x03\x04"):
        return _office(content)
    if b"\x00" not in content[:4096]:
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            if "<script" not in text.lower() and "<html" not in text.lower():
                return "text/plain; charset=utf-8", "txt"
    raise AttachmentRefused(
        "attachment_type",
        "仅支持 PDF、PNG、JPEG、Word/Excel/PowerPoint (OOXML) 和纯文本附件 (unsupported file type)",
        field="file",
    )


def _office(content: bytes) -> tuple[str, str]:
    try:
        names = zipfile.ZipFile(BytesIO(content)).namelist()
    except zipfile.BadZipFile as error:
        raise AttachmentRefused("attachment_type", "压缩文件已损坏 (corrupt zip)", field="file") from error
    if "[Content_Types].xml" in names:
        for prefix, kind in OOXML.items():
            if any(name.startswith(prefix) for name in names):
                _only_parts_of(names, prefix)
                return kind
    raise AttachmentRefused("attachment_type", "不支持的压缩文件 (zip files are not accepted)", field="file")


def _only_parts_of(names: list[str], prefix: str) -> None:
    """Every entry is a part of this kind of document, and none is code."""
    for name in names:
        lowered = name.lower()
        outside = not name.startswith((*OOXML_COMMON, prefix))
        unsafe = name.startswith("/") or ".." in name.split("/") or any(part in lowered for part in FORBIDDEN_PARTS)
        if outside or unsafe:
            raise AttachmentRefused(
                "attachment_unexpected_entry",
                f"文档中含有不应有的内容“{name[:80]}”，请另存为普通文档后再上传 (unexpected entry in the document)",
                field="file",
            )


def download_name(description: dict) -> str:
    """A download is named by its id and the type its bytes are, never by the name the uploader gave it."""
    return f"{description['id']}.{EXTENSIONS.get(description['media_type'], 'bin')}"


def describe(filename: str, content: bytes, uploader_id: str) -> dict:
    """What is listed of an upload: its id, the name it came with (cut to 200 characters), the type its
    bytes really are (sniff refuses the rest), size, digest, who uploaded it and when."""
    sniffed = sniff(content)
    return {
        "id": f"ATT-{new_id()[:12]}",
        "name": filename[:200],
        "media_type": sniffed.media_type,
        "size": sniffed.size,
        "sha256": sniffed.sha256,
        "by": uploader_id,
        "at": utcnow(),
    }


def refuse(refused: str | None, limit: int, what: str) -> None:
    """Why an upload was not stored (AttachmentStore: "ticket_full", "quota_reached"), as a 409 in words."""
    if refused == "ticket_full":
        raise InvalidTransition("too_many_attachments", f"每个{what}最多 {limit} 个附件 (too many attachments)")
    if refused == "quota_reached":
        megabytes = DAILY_BYTES_PER_USER // 1024 // 1024
        raise InvalidTransition(
            "attachment_quota_reached",
            f"24 小时内上传的附件已达 {megabytes} MB 上限，请稍后再传 (daily upload quota reached)",
        )
