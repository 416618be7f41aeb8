"""How much one request's zip containers (Office, OpenDocument, Scratch) may inflate, all together.

Each file is checked on its own against EVIDENCE_ZIP_MAX_MB when it is sniffed, but one request
may carry up to EVIDENCE_MAX_FILES of them: twenty files just under the limit made one 5 MB
request inflate 5 GB. So before any file is inflated, the sizes and entry counts the zips
declare in their central directories (cheap to read) are added up over the whole request and
held against a budget. Declared sizes are enough: zipfile never inflates a member past its
declared size, and a member that lies about it fails its CRC check when it is sniffed.
"""

import zipfile
from pathlib import Path

from flask_babel import lazy_gettext as _l

from .validation import MB, FileRefused, Policy, is_zip


def check_request(paths: list[Path], policy: Policy) -> None:
    """Raise FileRefused when the zip containers among `paths` declare more, together, than the
    request's budget. Files that are not zips, or that cannot be read as one, are left to
    `check_file`, which refuses the latter on its own."""
    size = entries = 0
    for path in paths:
        with path.open("rb") as f:
            if not is_zip(f.read(4)):
                continue
        try:
            with zipfile.ZipFile(path) as archive:
                listed = archive.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError):
            continue
        entries += len(listed)
        size += sum(entry.file_size for entry in listed)
    if entries > policy.zip_request_max_entries:
        raise FileRefused(
            "zip_request_entries",
            _l(
                "Chưa lưu tệp nào: các tệp Office, OpenDocument và Scratch gửi cùng một lần chứa tổng cộng "
                "quá nhiều thành phần (trên %(limit)s). Hãy gửi ít tệp hơn mỗi lần.",
                limit=policy.zip_request_max_entries,
            ),
        )
    if size > policy.zip_request_max_bytes:
        raise FileRefused(
            "zip_request_size",
            _l(
                "Chưa lưu tệp nào: các tệp Office, OpenDocument và Scratch gửi cùng một lần giải nén ra "
                "tổng cộng quá lớn (trên %(limit)s MB). Hãy gửi ít tệp hơn mỗi lần.",
                limit=policy.zip_request_max_bytes // MB,
            ),
        )
