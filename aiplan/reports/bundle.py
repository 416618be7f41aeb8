"""A school's evidence bundle: a ZIP of its live, non-restricted evidence files of the plan, one
folder per checklist item or activity, with an index (index.html and index.csv) listing each
file's folder, original name, size and SHA-256, for inspections and archiving.

Restricted files never go in, whoever asks, so every reader gets the same bundle. Names in the
archive are made from the plan's numbering and plain ASCII, never taken as paths from what a
client sent. The archive is written to a spooled temporary file (memory up to SPOOL_BYTES, then
disk) while each blob is streamed from the store and hashed again on the way.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from tempfile import SpooledTemporaryFile
from urllib.parse import quote

from flask import current_app
from markupsafe import escape

from ..documents.language import in_vietnamese
from ..figures.evidence import school_evidence
from ..models import EvidenceFile, Plan, School
from ..storage import get_storage
from ..timeutil import LOCAL_TZ
from ..units import file_size

SPOOL_BYTES = 8 * 1024 * 1024
CHUNK = 1024 * 1024
FOLDER_CHARS = 70
NAME_CHARS = 80
# Windows cannot create files with these names, whatever the extension.
RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


@dataclass
class Entry:
    """One file as the index lists it."""

    folder_label: str
    path: str  # inside the archive
    file: EvidenceFile
    missing: bool = False  # no blob in the store: listed, but not in the archive
    status: str = ""  # "" when the bytes went in and match; otherwise what went wrong


def ascii_name(text: str, limit: int) -> str:
    """`text` as a safe file or folder name: ASCII letters, digits, spaces and ._(),-, no leading dots,
    at most `limit` characters, never a name Windows reserves; "" if nothing is left."""
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[\"'“”‘’«»]", "", text)
    text = re.sub(r"[^A-Za-z0-9 ._(),-]+", "-", text)
    text = re.sub(r"-{2,}", "-", re.sub(r"\s+", " ", text)).strip(" .-")
    if len(text) > limit:  # cut at a word boundary when there is one in the second half
        cut = text[: limit + 1]
        text = cut[: cut.rindex(" ")] if " " in cut[limit // 2 :] else text[:limit]
    text = text.rstrip(" .-")
    if text.split(".")[0].upper() in RESERVED:
        text = f"_{text}"
    return text


def file_name(original: str, taken: set[str]) -> str:
    """A safe name for a file, keeping its extension, unique (case-insensitively) within its folder."""
    stem, dot, extension = original.rpartition(".")
    if not dot:
        stem, extension = original, ""
    extension = ascii_name(extension, 10).replace(" ", "").replace(".", "").lower()
    stem = ascii_name(stem, NAME_CHARS) or "tep"
    name, n = stem, 1
    while True:
        candidate = f"{name}.{extension}" if extension else name
        if candidate.lower() not in taken:
            taken.add(candidate.lower())
            return candidate
        n += 1
        name = f"{stem} ({n})"


@in_vietnamese
def build_bundle(
    plan: Plan, school: School, progress: Callable[[int, int, str], None] | None = None
) -> tuple[SpooledTemporaryFile, int]:
    """The school's bundle as a ZIP in a spooled temporary file, rewound, and its size in bytes.
    `progress(done, total, step)` is told of each file copied (a background job shows it)."""
    evidence = school_evidence(plan, school)
    total = sum(len(group.files) for group in evidence.groups)
    storage = get_storage()
    out = SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 — handed to the response, which closes it
    entries: list[Entry] = []
    try:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
            folders: set[str] = set()
            for group in evidence.groups:
                folder = _unique(f"{group.code} - {ascii_name(group.title, FOLDER_CHARS)}".rstrip(" -"), folders)
                taken: set[str] = set()
                for file in group.files:
                    entry = Entry(group.label, f"{folder}/{file_name(file.original_name, taken)}", file)
                    _copy(storage, archive, entry)
                    entries.append(entry)
                    if progress is not None:
                        progress(len(entries), total, f"Đang chép tệp minh chứng {len(entries)}/{total}")
            # Evidence is mostly compressed already (PDF, DOCX, images, video): stored as is; the index is text.
            stamp = _zip_time(datetime.now(LOCAL_TZ))
            for name, data in (
                ("index.html", _index_html(plan, school, entries, evidence.restricted)),
                ("index.csv", _index_csv(entries)),
            ):
                archive.writestr(zipfile.ZipInfo(name, stamp), data, compress_type=zipfile.ZIP_DEFLATED)
        size = out.tell()
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return out, size


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{name} ({n})"
    taken.add(candidate.lower())
    return candidate


def _zip_time(moment: datetime) -> tuple:
    return max(moment.timetuple()[:6], (1980, 1, 1, 0, 0, 0))


def _copy(storage, archive: zipfile.ZipFile, entry: Entry) -> None:
    """Stream one blob into the archive, hashing it again; the entry says what went wrong, if anything."""
    file = entry.file
    try:
        source = storage.open(file.sha256)
    except FileNotFoundError:
        current_app.logger.error(
            "Evidence file %s has no blob %s in the store; left out of the bundle", file.id, file.sha256
        )
        entry.missing, entry.status = True, "Thiếu trong kho lưu trữ: tệp không có trong gói"
        return
    info = zipfile.ZipInfo(entry.path, _zip_time(file.uploaded_at.astimezone(LOCAL_TZ)))
    info.file_size = file.size  # lets zipfile choose ZIP64 before writing a large file
    digest = hashlib.sha256()
    with source, archive.open(info, "w") as target:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            target.write(chunk)
    if digest.hexdigest() != file.sha256:
        current_app.logger.error(
            "Evidence file %s: blob %s does not match its SHA-256 (%s)", file.id, file.sha256, digest.hexdigest()
        )
        entry.status = f"Nội dung không khớp mã SHA-256 đã lưu (thực tế: {digest.hexdigest()})"


def _index_csv(entries: list[Entry]) -> bytes:
    """UTF-8 with a BOM, so that Excel shows the Vietnamese names correctly."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(
        ["Nội dung", "Đường dẫn trong gói", "Tên tệp gốc", "Dung lượng (byte)", "SHA-256", "Ngày tải lên", "Ghi chú"]
    )
    for entry in entries:
        file = entry.file
        writer.writerow(
            [
                entry.folder_label,
                entry.path,
                file.original_name,
                file.size,
                file.sha256,
                f"{file.uploaded_at.astimezone(LOCAL_TZ):%d/%m/%Y}",
                entry.status,
            ]
        )
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def _index_html(plan: Plan, school: School, entries: list[Entry], restricted: int) -> bytes:
    """A page that opens in any browser from the unpacked folder, each file a link to itself."""
    year = plan.school_year.name
    now = datetime.now(LOCAL_TZ)
    parts = [
        '<!doctype html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n',
        f"<title>Minh chứng — {escape(school.name)} — năm học {escape(year)}</title>\n",
        "<style>body{font-family:'Times New Roman',serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem}"
        "table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}th,td{border:1px solid #666;"
        "padding:.25rem .4rem;text-align:left;vertical-align:top}code{font-size:.8rem;word-break:break-all}"
        "td.n{text-align:right;white-space:nowrap}</style>\n</head>\n<body>\n",
        f"<h1>Danh mục minh chứng — {escape(school.name)}</h1>\n",
        f"<p>Năm học {escape(year)}. Lập lúc {now:%H:%M} ngày {now:%d/%m/%Y}: {len(entries)} tệp.",
    ]
    if restricted:
        parts.append(f" Không gồm {restricted} tệp hạn chế (có hình ảnh hoặc thông tin cá nhân của học sinh).")
    parts.append("</p>\n")
    if not entries:
        parts.append("<p>Nhà trường chưa có tệp minh chứng nào.</p>\n")
    current = None
    for entry in entries:
        if entry.folder_label != current:
            if current is not None:
                parts.append("</tbody></table>\n")
            current = entry.folder_label
            parts.append(
                f"<h2>{escape(current)}</h2>\n<table><thead><tr><th>Tệp</th><th>Tên tệp gốc</th>"
                "<th>Dung lượng</th><th>SHA-256</th></tr></thead><tbody>\n"
            )
        file = entry.file
        link = (
            escape(entry.path) if entry.missing else (f'<a href="{escape(quote(entry.path))}">{escape(entry.path)}</a>')
        )
        note = f"<br><strong>{escape(entry.status)}</strong>" if entry.status else ""
        parts.append(
            f"<tr><td>{link}{note}</td><td>{escape(file.original_name)}</td>"
            f'<td class="n">{escape(file_size(file.size))}</td><td><code>{file.sha256}</code></td></tr>\n'
        )
    if current is not None:
        parts.append("</tbody></table>\n")
    parts.append("</body>\n</html>\n")
    return "".join(parts).encode("utf-8")


def bundle_filename(plan: Plan, school: School) -> str:
    """An ASCII download name: "minh-chung-th-doan-ket-2025-2026.zip"."""
    slug = re.sub(r"[^a-z0-9]+", "-", school.slug.lower()).strip("-") or "truong"
    year = re.sub(r"[^0-9-]+", "", plan.school_year.name) or "nam-hoc"
    return f"minh-chung-{slug}-{year}.zip"
