"""What the app refuses in any text it is sent, whichever way it comes in (a form, the URL, an
imported file, a plan file, a command): NUL characters, text a spreadsheet would run as a
formula, and versions or fingerprints that are not the shape the app itself writes.

One place, so that the web forms, the web imports and the command line apply the same rule and
say the same thing."""

import hashlib
import json
import re

from flask import abort, request
from flask_babel import lazy_gettext as _l

NUL = "\x00"
# What spreadsheets take as the start of a formula (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A number the app wrote into a form or a link (a version, a page): ASCII digits only ("²" and "١"
# pass str.isdigit(), int() fails on the first and reads the second as 1), at most 9 of them so it
# stays inside the database's integer.
DIGITS = re.compile(r"[0-9]{1,9}")
# An edit form's fingerprint as `fingerprint` writes it.
FINGERPRINT = re.compile(r"[0-9a-f]{24}")
BAD_VERSION = _l(
    "Trang gửi lên thiếu hoặc sai phiên bản dữ liệu, nên chưa có gì được lưu. Hãy tải lại trang rồi thử lại."
)
NUL_TEXT = _l("Dữ liệu gửi lên chứa ký tự NUL (mã 0), không được phép; chưa có gì được lưu.")


def parse_digits(text: str | None) -> int | None:
    """A number the app wrote itself (a version, a page), or None when it is missing or not its shape."""
    if text is None or not DIGITS.fullmatch(text):
        return None
    return int(text)


parse_version = parse_digits


def is_fingerprint(text: str | None) -> bool:
    return text is not None and FINGERPRINT.fullmatch(text) is not None


def fingerprint(values: dict) -> str:
    """What an edit form carries as its version where a record has no version column: a short
    digest of the values it showed."""
    canonical = json.dumps(values, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:24]


def posted_version(name: str = "version") -> int:
    """The version a posted form was loaded at, for views that read `request.form` themselves;
    anything but the app's own shape is refused (400) with a message saying to reload."""
    version = parse_version(request.form.get(name))
    if version is None:
        abort(400, description=str(BAD_VERSION))
    return version


def has_nul(text: str | None) -> bool:
    return text is not None and NUL in text


def formula_start(text: str | None) -> str | None:
    """The character that would make a spreadsheet run `text` as a formula, if it starts with one
    (also after leading blanks, which a spreadsheet may drop)."""
    text = text or ""
    for candidate in (text, text.strip()):
        if candidate.startswith(FORMULA_STARTS):
            return candidate[0]
    return None


def cell_problem(value: str | None) -> str | None:
    """Why a text cell of an imported list (CSV, XLSX or a command's file) cannot be imported as it is."""
    if has_nul(value):
        return "ô chứa ký tự NUL (mã 0), không được phép; hãy xóa ký tự này"
    start = formula_start(value)
    if start is not None:
        shown = {"\t": "dấu tab", "\r": "dấu xuống dòng"}.get(start, start)
        return f"ô bắt đầu bằng “{shown}” sẽ bị bảng tính hiểu là công thức; hãy bỏ ký tự này"
    return None
