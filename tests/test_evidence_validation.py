"""docs/security.md lines 12–14: which evidence files are accepted, judged by their own bytes, and
what their names become. Pure functions: no app, no database."""

import io
import struct
import unicodedata
import zipfile
from datetime import datetime

import pytest

from aiplan.evidence.validation import (
    MAX_NAME_LENGTH,
    FileRefused,
    Policy,
    accept_attribute,
    allowed_text,
    check_file,
    display_name,
)

POLICY = Policy()

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
GIF = b"GIF89a" + b"\x01\x00\x01\x00" + b"\x00" * 10
WEBP = b"RIFF" + struct.pack("<I", 30) + b"WEBPVP8 " + b"\x00" * 20
WAV = b"RIFF" + struct.pack("<I", 36) + b"WAVEfmt " + b"\x00" * 24
MP4 = struct.pack(">I", 24) + b"ftypmp42" + b"\x00\x00\x00\x00mp42isom" + b"\x00" * 16
M4A = struct.pack(">I", 24) + b"ftypM4A " + b"\x00\x00\x00\x00M4A mp42" + b"\x00" * 16
MOV = struct.pack(">I", 20) + b"ftypqt  " + b"\x00" * 16
OLD_MOV = struct.pack(">I", 8) + b"wide" + struct.pack(">I", 16) + b"mdat" + b"\x00" * 8
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + b"\x00" * 16
MKV = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska" + b"\x00" * 16
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" + b"\x00" * 30
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
CSV = "Lớp,Số học sinh\n4A1,35\n".encode()
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 60


def ole(stream_name: str) -> bytes:
    """An OLE2 compound file header with one directory entry name, as Office writes it."""
    return (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 504
        + "Root Entry".encode("utf-16-le").ljust(64, b"\x00")
        + b"\x00" * 64
        + stream_name.encode("utf-16-le").ljust(64, b"\x00")
        + b"\x00" * 64
    )


def make_zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_STORED if name == "mimetype" else compression)
    return buffer.getvalue()


CONTENT_TYPES = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
DOCX = make_zip({"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": b"<r/>", "word/document.xml": b"<w:document/>"})
XLSX = make_zip({"[Content_Types].xml": CONTENT_TYPES, "xl/workbook.xml": b"<workbook/>"})
PPTX = make_zip({"[Content_Types].xml": CONTENT_TYPES, "ppt/presentation.xml": b"<p:presentation/>"})
ODT = make_zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office:document-content/>"})
ODS = make_zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"})
ODP = make_zip({"mimetype": b"application/vnd.oasis.opendocument.presentation", "content.xml": b"<x/>"})
SB3 = make_zip({"project.json": b'{"targets": [], "meta": {"semver": "3.0.0"}}', "0a1b.svg": b"<svg/>"})
SB2 = make_zip({"project.json": b'{"objName": "Stage", "children": []}'})
PLAIN_ZIP = make_zip({"readme.txt": b"hello"})


def check(tmp_path, name: str, data: bytes, policy: Policy = POLICY):
    path = tmp_path / "upload.part"
    path.write_bytes(data)
    return check_file(path, display_name(name), policy)


def refusal(tmp_path, name: str, data: bytes, policy: Policy = POLICY) -> FileRefused:
    with pytest.raises(FileRefused) as caught:
        check(tmp_path, name, data, policy)
    return caught.value


@pytest.mark.parametrize(
    "name, data, content_type",
    [
        ("Kế hoạch.pdf", PDF, "application/pdf"),
        ("bao-cao.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("so-lieu.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("bai-giang.pptx", PPTX, "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
        ("bao-cao.odt", ODT, "application/vnd.oasis.opendocument.text"),
        ("so-lieu.ods", ODS, "application/vnd.oasis.opendocument.spreadsheet"),
        ("bai-giang.odp", ODP, "application/vnd.oasis.opendocument.presentation"),
        ("bao-cao.doc", ole("WordDocument"), "application/msword"),
        ("so-lieu.xls", ole("Workbook"), "application/vnd.ms-excel"),
        ("bai-giang.ppt", ole("PowerPoint Document"), "application/vnd.ms-powerpoint"),
        ("anh.jpg", JPEG, "image/jpeg"),
        ("anh.JPEG", JPEG, "image/jpeg"),
        ("anh.png", PNG, "image/png"),
        ("anh.gif", GIF, "image/gif"),
        ("anh.webp", WEBP, "image/webp"),
        ("video.mp4", MP4, "video/mp4"),
        ("video.mov", MOV, "video/quicktime"),
        ("video-cu.mov", OLD_MOV, "video/quicktime"),
        ("video.webm", WEBM, "video/webm"),
        ("ghi-am.mp3", MP3, "audio/mpeg"),
        ("ghi-am.m4a", M4A, "audio/mp4"),
        ("ghi-am.wav", WAV, "audio/wav"),
        ("du-an.sb3", SB3, "application/x.scratch.sb3"),
        ("du-an-cu.sb2", SB2, "application/x.scratch.sb2"),
        ("danh-sach.csv", CSV, "text/csv; charset=utf-8"),
        ("ghi-chu.txt", "Ghi chú buổi học".encode(), "text/plain; charset=utf-8"),
    ],
)
def test_the_files_schools_have_are_accepted_with_their_real_type(tmp_path, name, data, content_type):
    accepted = check(tmp_path, name, data)
    assert accepted.content_type == content_type
    assert accepted.name == unicodedata.normalize("NFC", name)


def test_text_in_a_legacy_encoding_is_accepted_without_claiming_utf8(tmp_path):
    accepted = check(tmp_path, "cu.txt", b"L\xf5p 4A")  # "Lơp" in Windows-1258
    assert accepted.content_type == "text/plain"


def test_a_png_renamed_pdf_is_refused(tmp_path):
    refused = refusal(tmp_path, "ke-hoach.pdf", PNG)
    assert refused.code == "mismatch"
    assert "PNG" in str(refused.reason) and ".pdf" in str(refused.reason)


def test_an_html_file_renamed_docx_is_refused(tmp_path):
    refused = refusal(tmp_path, "bao-cao.docx", HTML)
    assert refused.code == "mismatch"
    assert ".docx" in str(refused.reason)


@pytest.mark.parametrize(
    "name, data",
    [
        ("trang.txt", HTML),
        ("trang.csv", b"  <svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
        ("bao-cao.pdf", b"<html>%PDF-1.4</html>"),
        ("chuong-trinh.pdf", EXE),
        ("du-lieu.txt", b"abc\x00def"),
        ("bao-cao.docx", PLAIN_ZIP),
        ("bao-cao.docx", XLSX),
        ("so-lieu.xlsx", DOCX),
        ("bao-cao.odt", ODS),
        ("du-an.sb3", DOCX),
        ("bao-cao.docx", ole("WordDocument")),
        ("so-lieu.xls", ole("WordDocument")),
        ("phim.webm", MKV),
        ("anh.jpg", PNG),
    ],
)
def test_a_file_whose_bytes_disagree_with_its_extension_is_refused(tmp_path, name, data):
    assert refusal(tmp_path, name, data).code == "mismatch"


@pytest.mark.parametrize(
    "name", ["trang.html", "trang.htm", "hinh.svg", "cai-dat.exe", "tap-lenh.js", "nen.zip", "bao-cao.final"]
)
def test_types_outside_the_list_are_refused_and_the_list_is_named(tmp_path, name):
    refused = refusal(tmp_path, name, b"whatever it holds")
    assert refused.code == "type"
    assert "PDF (.pdf)" in str(refused.reason) and "Word (.doc, .docx, .odt)" not in str(refused.reason)
    assert "Word (.doc, .docx)" in str(refused.reason)


def test_the_allowed_types_are_configurable(tmp_path):
    only_pdf = Policy(allowed=frozenset({"pdf"}))
    assert check(tmp_path, "a.pdf", PDF, only_pdf).content_type == "application/pdf"
    assert refusal(tmp_path, "a.docx", DOCX, only_pdf).code == "type"
    assert allowed_text(only_pdf) == "PDF (.pdf)"
    assert accept_attribute(only_pdf) == ".pdf"


def test_an_empty_file_is_refused(tmp_path):
    assert refusal(tmp_path, "rong.pdf", b"").code == "empty"


def bomb(member: str, size: int, **others: bytes) -> bytes:
    """A container whose one big member is highly compressible zeros: small on disk, huge inflated."""
    return make_zip({"[Content_Types].xml": CONTENT_TYPES, member: b"\x00" * size, **others})


@pytest.mark.parametrize(
    "name, member",
    [
        ("bao-cao.docx", "word/document.xml"),
        ("so-lieu.xlsx", "xl/workbook.xml"),
        ("bai-giang.pptx", "ppt/presentation.xml"),
    ],
)
def test_a_zip_bomb_disguised_as_an_office_file_is_refused(tmp_path, name, member):
    policy = Policy(zip_max_bytes=1024 * 1024)
    data = bomb(member, 8 * 1024 * 1024)
    assert len(data) < 64 * 1024, "the bomb should be small on the wire"
    refused = refusal(tmp_path, name, data, policy)
    assert refused.code == "zip_size"
    assert "1 MB" in str(refused.reason)


def test_a_container_with_too_many_entries_is_refused(tmp_path):
    members = {"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": b"<w/>"}
    members.update({f"word/media/image{i}.png": b"x" for i in range(30)})
    refused = refusal(tmp_path, "bao-cao.docx", make_zip(members), Policy(zip_max_entries=20))
    assert refused.code == "zip_entries"


def test_a_zip_that_lies_about_its_inflated_size_is_refused(tmp_path):
    data = bytearray(make_zip({"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": b"A" * 100_000}))
    # Declare 100 bytes for the big member, in its local header and in the central directory.
    local = data.index(b"PK\x03\x04", data.index(b"word/document.xml") - 60)
    struct.pack_into("<I", data, local + 22, 100)
    central = data.rindex(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 100)
    assert refusal(tmp_path, "bao-cao.docx", bytes(data), Policy(zip_max_bytes=50_000)).code == "corrupt"


def test_a_truncated_office_file_is_refused(tmp_path):
    assert refusal(tmp_path, "bao-cao.docx", DOCX[: len(DOCX) // 2]).code in ("corrupt", "mismatch")


def test_a_password_protected_zip_is_refused(tmp_path):
    data = bytearray(DOCX)
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            struct.pack_into("<H", data, start + flag_offset, 1)
            start += 4
    assert refusal(tmp_path, "bao-cao.docx", bytes(data)).code == "encrypted"


# -- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("../../etc/passwd", "passwd"),
        ("/etc/passwd", "passwd"),
        ("..\\..\\Windows\\win.ini", "win.ini"),
        ("C:\\Users\\Cô giáo\\Desktop\\Kế hoạch.docx", "Kế hoạch.docx"),
        ("bao-cao.php\x00.pdf", "bao-cao.php.pdf"),
        ("bao\x01cao\x7f.pdf", "baocao.pdf"),
        ("anh\u202egnp.pdf", "anhgnp.pdf"),  # a right-to-left override would show "anhfdp.png"
        ("  Kế   hoạch\tlớp 4A.pdf  ", "Kế hoạch lớp 4A.pdf"),
        ("Kế hoạch nhà trường.pdf", "Kế hoạch nhà trường.pdf"),
    ],
)
def test_names_lose_their_paths_and_control_characters_but_keep_vietnamese(raw, expected):
    assert display_name(raw) == expected


def test_names_from_a_mac_are_stored_composed():
    decomposed = unicodedata.normalize("NFD", "Kế hoạch nhà trường.pdf")
    assert display_name(decomposed) == "Kế hoạch nhà trường.pdf"


@pytest.mark.parametrize("raw", ["", None, "   ", "..", "../..", "/", "\x00\x00", "...."])
def test_a_blank_name_gets_a_generated_one(raw):
    assert display_name(raw, now=datetime(2026, 3, 2, 8, 30)) == "minh-chung-20260302-083000"


def test_a_very_long_name_is_cut_but_keeps_its_extension():
    name = display_name("Báo cáo " + "rất " * 100 + "dài.docx")
    assert len(name) <= MAX_NAME_LENGTH
    assert name.startswith("Báo cáo rất") and name.endswith(".docx")


def test_a_nameless_file_takes_its_extension_from_its_bytes(tmp_path):
    assert check(tmp_path, "", PDF).name.endswith(".pdf")
    assert check(tmp_path, "../../etc/passwd", PNG).name == "passwd.png"
    assert refusal(tmp_path, "", b"\x00\x01\x02\x03binary").code == "unknown"
