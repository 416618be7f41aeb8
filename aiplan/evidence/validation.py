"""Which files the evidence store accepts, judged by their own bytes, and what their names become.

A short table of signatures rather than a sniffing library: every accepted type needs an
exact answer to "do these bytes agree with this extension?", and the ones schools use most
(Office, OpenDocument, Scratch) are zip or OLE2 containers that only a look inside tells
apart. Pure functions: no app, no database.
"""

import codecs
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask_babel import lazy_gettext as _l

from ..timeutil import LOCAL_TZ

MB = 1024 * 1024
CHUNK = 1024 * 1024
MAX_NAME_LENGTH = 180  # characters; the column holds 255, and a name past 180 helps nobody

# extension -> (content type, the kinds of content it may hold, how the UI names the family)
TYPES = {
    "pdf": ("application/pdf", {"pdf"}, "PDF"),
    "doc": ("application/msword", {"ole-doc"}, "Word"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", {"docx"}, "Word"),
    "odt": ("application/vnd.oasis.opendocument.text", {"odt"}, "OpenDocument"),
    "xls": ("application/vnd.ms-excel", {"ole-xls"}, "Excel"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", {"xlsx"}, "Excel"),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", {"ods"}, "OpenDocument"),
    "ppt": ("application/vnd.ms-powerpoint", {"ole-ppt"}, "PowerPoint"),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", {"pptx"}, "PowerPoint"),
    "odp": ("application/vnd.oasis.opendocument.presentation", {"odp"}, "OpenDocument"),
    "jpg": ("image/jpeg", {"jpeg"}, _l("ảnh")),
    "jpeg": ("image/jpeg", {"jpeg"}, _l("ảnh")),
    "png": ("image/png", {"png"}, _l("ảnh")),
    "gif": ("image/gif", {"gif"}, _l("ảnh")),
    "webp": ("image/webp", {"webp"}, _l("ảnh")),
    "mp4": ("video/mp4", {"isobmff"}, "video"),
    "mov": ("video/quicktime", {"isobmff", "quicktime"}, "video"),
    "webm": ("video/webm", {"webm"}, "video"),
    "mp3": ("audio/mpeg", {"mp3"}, _l("âm thanh")),
    "m4a": ("audio/mp4", {"isobmff"}, _l("âm thanh")),
    "wav": ("audio/wav", {"wav"}, _l("âm thanh")),
    "sb3": ("application/x.scratch.sb3", {"scratch"}, "Scratch"),
    "sb2": ("application/x.scratch.sb2", {"scratch"}, "Scratch"),
    # Plain text is safe here: it is always sent as an attachment with nosniff, and text
    # that opens like an HTML or SVG document is refused all the same.
    "txt": ("text/plain", {"text"}, _l("văn bản")),
    "csv": ("text/csv", {"text"}, "CSV"),
}
DEFAULT_ALLOWED_TYPES = tuple(TYPES)

# How a detected kind is named in a refusal, and which extension a nameless file gets.
KIND_NAMES = {
    "pdf": ("PDF", "pdf"),
    "ole-doc": ("Word (.doc)", "doc"),
    "ole-xls": ("Excel (.xls)", "xls"),
    "ole-ppt": ("PowerPoint (.ppt)", "ppt"),
    "docx": ("Word (.docx)", "docx"),
    "xlsx": ("Excel (.xlsx)", "xlsx"),
    "pptx": ("PowerPoint (.pptx)", "pptx"),
    "odt": ("OpenDocument (.odt)", "odt"),
    "ods": ("OpenDocument (.ods)", "ods"),
    "odp": ("OpenDocument (.odp)", "odp"),
    "jpeg": ("JPEG", "jpg"),
    "png": ("PNG", "png"),
    "gif": ("GIF", "gif"),
    "webp": ("WebP", "webp"),
    "isobmff": ("MP4", "mp4"),
    "quicktime": ("QuickTime", "mov"),
    "webm": ("WebM", "webm"),
    "mp3": ("MP3", "mp3"),
    "wav": ("WAV", "wav"),
    "scratch": ("Scratch", "sb3"),
    "text": (_l("văn bản"), "txt"),
    "markup": ("HTML/XML", None),
    "zip": ("ZIP", None),
    "ole": ("OLE", None),
}

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Stream names inside an OLE2 compound file (UTF-16LE in its directory) that say which program wrote it.
OLE_STREAMS = {
    "ole-doc": "WordDocument".encode("utf-16-le"),
    "ole-xls": "Workbook".encode("utf-16-le"),
    "ole-ppt": "PowerPoint Document".encode("utf-16-le"),
}
OOXML_PARTS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml", "pptx": "ppt/presentation.xml"}
ODF_MIMETYPES = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
    b"application/vnd.oasis.opendocument.presentation": "odp",
}
QUICKTIME_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}
MARKUP = re.compile(rb"\s*<\s*[!?a-zA-Z]")


class FileRefused(Exception):
    """A file the store will not take; `reason` is the sentence the user reads, `code` is for tests and logs."""

    def __init__(self, code: str, reason):
        super().__init__(code)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class Policy:
    """What the store accepts; built from the app's settings by `policy_from_config`."""

    allowed: frozenset = frozenset(DEFAULT_ALLOWED_TYPES)
    zip_max_bytes: int = 512 * MB
    zip_max_entries: int = 5000
    zip_request_max_bytes: int = 512 * MB  # all the zip containers of one request together
    zip_request_max_entries: int = 10000


def policy_from_config(config) -> Policy:
    return Policy(
        allowed=frozenset(ext.lower().lstrip(".") for ext in config["EVIDENCE_ALLOWED_TYPES"]) & set(TYPES),
        zip_max_bytes=int(config["EVIDENCE_ZIP_MAX_BYTES"]),
        zip_max_entries=int(config["EVIDENCE_ZIP_MAX_ENTRIES"]),
        zip_request_max_bytes=int(config["EVIDENCE_ZIP_REQUEST_MAX_BYTES"]),
        zip_request_max_entries=int(config["EVIDENCE_ZIP_REQUEST_MAX_ENTRIES"]),
    )


@dataclass(frozen=True)
class Accepted:
    name: str  # the display name, with the extension that agrees with the bytes
    extension: str
    content_type: str


def check_file(path: Path, name: str, policy: Policy) -> Accepted:
    """Accept the file at `path`, sent as `name`, or raise FileRefused saying why.

    `name` must already be a display name (see `display_name`). A file without an
    extension gets the one its bytes show; a file with one must hold what it says.
    """
    if path.stat().st_size == 0:
        raise FileRefused("empty", _l("Tệp rỗng (0 byte)."))
    stem, extension = split_extension(name)
    if extension and extension not in policy.allowed:
        raise FileRefused(
            "type",
            _l(
                "Không nhận loại tệp .%(ext)s. Các loại được nhận: %(allowed)s.",
                ext=extension,
                allowed=allowed_text(policy),
            ),
        )
    kinds = sniff(path, policy)
    if not extension:
        shown = next((KIND_NAMES[k][1] for k in sorted(kinds) if KIND_NAMES[k][1] in policy.allowed), None)
        if shown is None:
            raise FileRefused("unknown", _l("Không nhận ra loại tệp; hãy gửi tệp có đuôi, ví dụ .pdf hoặc .docx."))
        extension = shown
        name = f"{stem}.{extension}"
    content_type, expected, _family = TYPES[extension]
    if not kinds & expected:
        seen = ", ".join(str(KIND_NAMES[k][0]) for k in sorted(kinds))
        if seen:
            raise FileRefused(
                "mismatch", _l("Nội dung tệp là %(seen)s, không khớp với đuôi .%(ext)s.", seen=seen, ext=extension)
            )
        raise FileRefused("mismatch", _l("Tệp không phải là tệp .%(ext)s hợp lệ.", ext=extension))
    if "text" in kinds and _is_utf8(path):
        content_type += "; charset=utf-8"
    return Accepted(name, extension, content_type)


def sniff(path: Path, policy: Policy) -> set[str]:
    """The kinds of content the bytes at `path` are; empty when none we know.

    Raises FileRefused for a zip container over the policy's limits (a zip bomb) or one that
    cannot be read through.
    """
    with path.open("rb") as f:
        head = f.read(4096)
    if head.startswith(b"%PDF-"):
        return {"pdf"}
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return {"png"}
    if head.startswith(b"\xff\xd8\xff"):
        return {"jpeg"}
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return {"gif"}
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return {"webp"}
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return {"wav"}
    if head[4:8] == b"ftyp":
        return {"isobmff"}
    if head[4:8] in QUICKTIME_ATOMS:
        return {"quicktime"}
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return {"webm"} if b"webm" in head[:64] else set()
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return {"mp3"}
    if head.startswith(OLE_MAGIC):
        return _ole_kinds(path)
    if is_zip(head):
        return {_zip_kind(path, policy)}
    return _text_kind(path, head)


def is_zip(head: bytes) -> bool:
    """Whether a file starting with these bytes is read as a zip container (and inflated)."""
    return head[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def _ole_kinds(path: Path) -> set[str]:
    """Which Office program wrote an OLE2 file, by the stream names in it (streamed, not loaded)."""
    found: set[str] = set()
    tail = b""
    longest = max(len(name) for name in OLE_STREAMS.values())
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            window = tail + chunk
            found.update(kind for kind, name in OLE_STREAMS.items() if name in window)
            tail = window[-longest:]
    return found or {"ole"}


def _zip_kind(path: Path, policy: Policy) -> str:
    """Open a zip container within the policy's limits, read it through, and say what it holds."""
    corrupt = FileRefused("corrupt", _l("Tệp bị hỏng hoặc không đọc được."))
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if len(entries) > policy.zip_max_entries:
                raise FileRefused(
                    "zip_entries",
                    _l(
                        "Tệp chứa quá nhiều thành phần (trên %(limit)s); có thể là tệp nén độc hại.",
                        limit=policy.zip_max_entries,
                    ),
                )
            if sum(entry.file_size for entry in entries) > policy.zip_max_bytes:
                raise FileRefused(
                    "zip_size",
                    _l(
                        "Tệp giải nén ra quá lớn (trên %(limit)s MB); có thể là tệp nén độc hại.",
                        limit=policy.zip_max_bytes // MB,
                    ),
                )
            if any(entry.flag_bits & 0x1 for entry in entries):
                raise FileRefused("encrypted", _l("Tệp được đặt mật khẩu; hãy gỡ mật khẩu rồi gửi lại."))
            # Reading every member checks its CRC, which a zip lying about its sizes fails;
            # zipfile never inflates past the declared size, so the limit above bounds the work.
            for entry in entries:
                with archive.open(entry) as member:
                    while member.read(CHUNK):
                        pass
            names = {entry.filename for entry in entries}
            if "mimetype" in names:
                mimetype = archive.read("mimetype")[:100].strip()
                if mimetype in ODF_MIMETYPES and "content.xml" in names:
                    return ODF_MIMETYPES[mimetype]
            if "[Content_Types].xml" in names:
                for kind, part in OOXML_PARTS.items():
                    if part in names:
                        return kind
            if "project.json" in names:
                return "scratch"
            return "zip"
    except FileRefused:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        EOFError,
        NotImplementedError,
        RuntimeError,
        OSError,
        ValueError,
    ):
        raise corrupt from None


def _text_kind(path: Path, head: bytes) -> set[str]:
    """Plain text: no NUL byte anywhere, and not a document that a browser would render as markup."""
    start = head[3:] if head.startswith(codecs.BOM_UTF8) else head
    if MARKUP.match(start):
        return {"markup"}
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            if b"\x00" in chunk:
                return set()
    return {"text"}


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def display_name(raw: str | None, now: datetime | None = None) -> str:
    """The name a file is shown and downloaded under, made from what the client sent.

    Path parts, NUL, control and bidi-override characters go; Vietnamese letters stay (NFC,
    as Windows and Android send them; macOS sends NFD); the length is capped, keeping the
    extension. A name that is blank after that gets a generated one without an extension,
    which `check_file` then takes from the bytes. The result never reaches a path on disk.
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(
        " " if ch.isspace() else ch
        for ch in name
        if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn") or ch.isspace()
    )
    name = re.sub(r"\s+", " ", name).strip(" .")
    if not name:
        stamp = (now or datetime.now(LOCAL_TZ)).strftime("%Y%m%d-%H%M%S")
        return f"minh-chung-{stamp}"
    if len(name) > MAX_NAME_LENGTH:
        _stem, extension = split_extension(name)
        suffix = f".{extension}" if extension else ""
        name = name[: MAX_NAME_LENGTH - len(suffix)].rstrip(" .") + suffix
    return name


def split_extension(name: str) -> tuple[str, str]:
    """("Kế hoạch", "pdf") for "Kế hoạch.PDF"; an extension is 1–5 letters or digits after the last dot."""
    stem, dot, extension = name.rpartition(".")
    if dot and stem and re.fullmatch(r"[A-Za-z0-9]{1,5}", extension):
        return stem, extension.lower()
    return name, ""


def allowed_text(policy: Policy) -> str:
    """ "PDF, Word, Excel…" with their extensions, for hints and refusals."""
    families: dict[str, list[str]] = {}
    for extension, (_type, _kinds, family) in TYPES.items():
        if extension in policy.allowed:
            families.setdefault(str(family), []).append(f".{extension}")
    return "; ".join(f"{family} ({', '.join(exts)})" for family, exts in families.items())


def accept_attribute(policy: Policy) -> str:
    """The `accept` attribute of the file input: the allowed extensions."""
    return ",".join(f".{extension}" for extension in TYPES if extension in policy.allowed)
