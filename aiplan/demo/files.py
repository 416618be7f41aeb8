"""Evidence files for demo data: PDFs, JPEGs and DOCX documents of realistic sizes that open in
ordinary viewers and pass the evidence store's checks, made from a seeded random generator only
(the same seed gives the same bytes).

Sizes are log-normal (most files between 50 KB and 2 MB, like scans, phone photos and Word
reports); the bulk of each file is a noise image, which does not compress, so the size on disk
is what was asked for.
"""

import io
import math
import random
import struct
import zipfile
from xml.sax.saxutils import escape

from ..inputs import fold

KB = 1024
# kind -> (median size in KB, spread of its logarithm)
SIZES = {"pdf": (260, 0.8), "jpg": (650, 0.6), "docx": (140, 0.9)}
PAPER = bytes(200 + (b * 55) // 255 for b in range(256))  # maps noise to light grey, like scanned paper


def file_size(kind: str, rng: random.Random, max_kb: int) -> int:
    """A size in bytes for a file of `kind`: log-normal, clipped to 50 KB … min(2 MB, max_kb)."""
    median, sigma = SIZES[kind]
    high = min(2048, max_kb)
    low = min(50, high)
    return int(min(max(math.exp(rng.gauss(math.log(median), sigma)), low), high) * KB)


def make_file(kind: str, size: int, title: str, lines: list[str], rng: random.Random) -> bytes:
    return {"pdf": pdf, "jpg": jpeg, "docx": docx}[kind](size, title, lines, rng)


# -- PDF -----------------------------------------------------------------------------------------


def pdf(size: int, title: str, lines: list[str], rng: random.Random) -> bytes:
    """A one-page A4 PDF: the title and lines as text (the standard fonts have no Vietnamese
    accents, so they are folded), above a grey 'scan' image that brings the file to `size`."""
    width = 800
    height = max(1, (size - 1200) // width)
    text = ["BT /F1 15 Tf 56 790 Td (" + _pdf_text(title) + ") Tj ET"]
    for n, line in enumerate(lines[:12]):
        text.append(f"BT /F1 11 Tf 56 {760 - 16 * n} Td ({_pdf_text(line)}) Tj ET")
    text.append("q 483 0 0 300 56 120 cm /Im1 Do Q")
    content = "\n".join(text).encode("latin-1")
    scan = rng.randbytes(width * height).translate(PAPER)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R "
        b"/Resources << /Font << /F1 4 0 R >> /XObject << /Im1 6 0 R >> >> >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Length %d >>\nstream\n" % (width, height, len(scan)) + scan + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _pdf_text(text: str) -> str:
    folded = fold(text).encode("ascii", "replace").decode()
    return folded.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


# -- JPEG ----------------------------------------------------------------------------------------


def jpeg(size: int, title: str, lines: list[str], rng: random.Random) -> bytes:
    """A baseline JPEG that decodes to a plain grey 320×240 picture, carrying the title as a
    comment and camera-like noise in further comment segments up to `size`."""
    out = bytearray(b"\xff\xd8")  # SOI
    out += _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x48\x00\x48\x00\x00")  # APP0
    out += _segment(0xFE, fold(title).encode("ascii", "replace")[:200])  # COM
    tail = _grey_picture()
    left = size - len(out) - len(tail)
    while left > 4:
        chunk = min(left - 4, 65533)
        out += _segment(0xFE, rng.randbytes(chunk))
        left -= chunk + 4
    return bytes(out + tail)


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def _grey_picture(width: int = 320, height: int = 240) -> bytes:
    """Quantisation table, frame, two one-symbol Huffman tables and a scan in which every 8×8
    block is 'DC unchanged, end of block' (two 0 bits): uniform mid-grey."""
    dqt = _segment(0xDB, b"\x00" + b"\x01" * 64)
    sof = _segment(0xC0, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")
    one_code = b"\x01" + b"\x00" * 15 + b"\x00"  # one code of length 1, for symbol 0
    dht = _segment(0xC4, b"\x00" + one_code) + _segment(0xC4, b"\x10" + one_code)
    sos = _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    blocks = math.ceil(width / 8) * math.ceil(height / 8)
    bits = 2 * blocks
    data = b"\x00" * (bits // 8) + (bytes([0xFF >> (bits % 8)]) if bits % 8 else b"")
    return dqt + sof + dht + sos + data + b"\xff\xd9"  # EOI


# -- DOCX ----------------------------------------------------------------------------------------

ZIP_TIME = (2026, 1, 1, 0, 0, 0)  # fixed, so the same content gives the same bytes
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Default Extension="jpeg" ContentType="image/jpeg"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{R}/officeDocument" Target="word/document.xml"/></Relationships>'
)
DOCUMENT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{R}/image" Target="media/image1.jpeg"/></Relationships>'
)
PICTURE = (
    '<w:p><w:r><w:drawing><wp:inline><wp:extent cx="5486400" cy="4114800"/><wp:docPr id="1" name="Ảnh 1"/>'
    '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
    '<pic:pic><pic:nvPicPr><pic:cNvPr id="0" name="image1.jpeg"/><pic:cNvPicPr/></pic:nvPicPr>'
    '<pic:blipFill><a:blip r:embed="rId1"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
    '<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="5486400" cy="4114800"/></a:xfrm>'
    '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic>'
    "</wp:inline></w:drawing></w:r></w:p>"
)


def docx(size: int, title: str, lines: list[str], rng: random.Random) -> bytes:
    """A Word document (Times New Roman 14, as Vietnamese offices write): the title in bold,
    the lines, and a photo that brings the file to about `size`."""

    def paragraph(text: str, bold: bool = False) -> str:
        props = (
            '<w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman"/>'
            f'{"<w:b/>" if bold else ""}<w:sz w:val="28"/></w:rPr>'
        )
        return f'<w:p><w:r>{props}<w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'

    body = paragraph(title, bold=True) + "".join(paragraph(line) for line in lines)
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<w:document xmlns:w="{W}" xmlns:r="{R}" '
        'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        'xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        f'<w:body>{body}{PICTURE}<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>'
    )
    parts = [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", PACKAGE_RELS),
        ("word/document.xml", document),
        ("word/_rels/document.xml.rels", DOCUMENT_RELS),
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in parts:
            archive.writestr(_info(name, zipfile.ZIP_DEFLATED), text.encode("utf-8"))
        photo = jpeg(max(size - buffer.tell() - 600, 2 * KB), title, [], rng)
        archive.writestr(_info("word/media/image1.jpeg", zipfile.ZIP_STORED), photo)
    return buffer.getvalue()


def _info(name: str, compression: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.compress_type = compression
    info.external_attr = 0o644 << 16
    return info
