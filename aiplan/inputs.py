"""What the app refuses in any text it is sent, whichever way it comes in (a form, the URL, an
imported file, a plan file, a command): NUL characters, text a spreadsheet would run as a
formula, and versions or fingerprints that are not the shape the app itself writes.

One place, so that the web forms, the web imports and the command line apply the same rule and
say the same thing."""

import hashlib
import json
import re
import unicodedata

from email_validator import EmailNotValidError, validate_email
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


def fold(text: str) -> str:
    """Without Vietnamese accents: "Đoàn Kết" → "Doan Ket" (for slugs, and for text in PDFs)."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in text if unicodedata.category(ch) != "Mn")


def slugify(text: str) -> str:
    """A name as an address part: "Thành phố Hà Nội" → "thanh-pho-ha-noi"."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text).lower()).strip("-")


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


EMAIL_MAX = 254  # the longest address SMTP carries (RFC 3696 errata, RFC 5321)
BAD_EMAIL = "Địa chỉ e-mail không hợp lệ: {}"


class BadEmail(ValueError):
    """An e-mail address the app will not keep; str() is the Vietnamese message to show."""


def clean_email(text: str | None) -> str | None:
    """An account's optional e-mail address as stored, or None when it is left blank.

    Trimmed; the domain lower-cased and the address in Unicode NFC (email-validator's normalized
    form); the local part keeps its case. BadEmail, with one message for the form, the import and
    the command line, when it is too long, holds control characters, would start a spreadsheet
    formula, or is not the shape of an address. Deliverability is not checked (no DNS on the
    ward's intranet)."""
    text = (text or "").strip()
    if not text:
        return None
    if len(text) > EMAIL_MAX:
        raise BadEmail(BAD_EMAIL.format(f"dài quá {EMAIL_MAX} ký tự"))
    if any(ord(char) < 32 or 127 <= ord(char) < 160 for char in text):
        raise BadEmail(BAD_EMAIL.format("chứa ký tự điều khiển (như NUL, tab hoặc xuống dòng)"))
    if formula_start(text) is not None:
        raise BadEmail(BAD_EMAIL.format(f"'{text}' không được bắt đầu bằng =, +, - hoặc @"))
    if "@" not in text:
        raise BadEmail(BAD_EMAIL.format(f"'{text}' thiếu dấu @ (ví dụ ten@truong.edu.vn)"))
    try:
        address = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise BadEmail(BAD_EMAIL.format(f"'{text}' không đúng dạng ten@ten-mien (ví dụ ten@truong.edu.vn)")) from None
    if len(address.normalized) > EMAIL_MAX:
        raise BadEmail(BAD_EMAIL.format(f"dài quá {EMAIL_MAX} ký tự"))
    return address.normalized
