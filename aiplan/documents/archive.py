"""The backup archive: one uncompressed tar holding the database dump, the evidence blobs and,
last, manifest.json with the SHA-256 and size of every other member.

Uncompressed because nearly all of it already is: evidence is PDF, Office files (zip), images
and video, and pg_dump's custom format compresses itself. Plain tar also lets a restore find
the manifest by seeking over the members, and any operator list it with `tar -tvf`.
"""

import hashlib
import io
import json
import re
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, BinaryIO

FORMAT = "aiplan-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
ARCHIVE_NAME = re.compile(r"aiplan-backup-(\d{8}-\d{6})(?:-(\d+))?\.tar")
BLOB_MEMBER = re.compile(r"evidence/[0-9a-f]{2}/[0-9a-f]{2}/([0-9a-f]{64})")
CHUNK = 1024 * 1024
MAX_MANIFEST = 256 * 1024 * 1024  # a million files' entries fit well inside this


class ArchiveError(Exception):
    """The archive cannot be used; `problems` says why, one line each."""

    def __init__(self, problems: list[str]):
        super().__init__(problems)
        self.problems = problems


def blob_member(sha256: str) -> str:
    return f"evidence/{sha256[:2]}/{sha256[2:4]}/{sha256}"


class _Hashing:
    """A reader that hashes what passes through it."""

    def __init__(self, stream: BinaryIO):
        self.stream, self.digest, self.size = stream, hashlib.sha256(), 0

    def read(self, n: int = -1) -> bytes:
        data = self.stream.read(n)
        self.digest.update(data)
        self.size += len(data)
        return data


class ArchiveWriter:
    """Adds members to a tar being written, returning each member's SHA-256 as it was written."""

    def __init__(self, out: BinaryIO):
        self.tar = tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT)  # noqa: SIM115 — closed by close()
        self.mtime = int(time.time())

    def add(self, name: str, stream: BinaryIO, size: int) -> str:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = size, self.mtime, 0o600
        reader = _Hashing(stream)
        self.tar.addfile(info, reader)  # raises if the stream ends before `size` bytes
        return reader.digest.hexdigest()

    def add_bytes(self, name: str, data: bytes) -> str:
        return self.add(name, io.BytesIO(data), len(data))

    def close(self) -> None:
        self.tar.close()


def newest_archive(directory: Path) -> Path | None:
    """The last archive `backup` wrote into `directory`: by the time in its name, then its -2, -3…"""
    found = [
        ((match.group(1), int(match.group(2) or 1)), path)
        for path in directory.glob("aiplan-backup-*.tar")
        if (match := ARCHIVE_NAME.fullmatch(path.name))
    ]
    return max(found)[1] if found else None


def read_manifest(path: Path) -> dict:
    """The archive's manifest, found by seeking over the members; ArchiveError if there is none."""
    try:
        with tarfile.open(path, mode="r:") as tar:
            try:
                member = tar.getmember(MANIFEST)
            except KeyError:
                raise ArchiveError(
                    [f"không có {MANIFEST}: đây không phải bản sao lưu của aiplan, hoặc tệp bị cắt cụt"]
                ) from None
            return _parse_manifest(_read_member(tar, member))
    except (tarfile.TarError, OSError, EOFError) as error:
        raise ArchiveError([f"không đọc được tệp lưu trữ: {error}"]) from None


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    if not member.isfile() or member.size > MAX_MANIFEST:
        raise ArchiveError([f"{MANIFEST} không hợp lệ"])
    return _extract(tar, member).read()


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo) -> IO[bytes]:
    """The bytes of a member already known to be a regular file (extractfile is None only for others)."""
    source = tar.extractfile(member)
    assert source is not None
    return source


def _parse_manifest(data: bytes) -> dict:
    try:
        manifest = json.loads(data)
    except ValueError:
        raise ArchiveError([f"{MANIFEST} không phải JSON hợp lệ"]) from None
    problems = []
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveError([f"{MANIFEST} không phải của một bản sao lưu aiplan"])
    if manifest.get("format_version") != FORMAT_VERSION:
        problems.append(
            f"định dạng phiên bản {manifest.get('format_version')!r}; "
            f"bản này của aiplan chỉ đọc được phiên bản {FORMAT_VERSION}"
        )
    database = manifest.get("database")
    if not isinstance(database, dict) or database.get("kind") not in DATABASE_MEMBERS:
        problems.append(f"{MANIFEST} không ghi loại cơ sở dữ liệu")
    elif database.get("path") != DATABASE_MEMBERS[database["kind"]]:
        problems.append(f"{MANIFEST} ghi sai tên tệp cơ sở dữ liệu")
    files = manifest.get("files")
    if not isinstance(files, list) or not isinstance(manifest.get("tables"), dict):
        problems.append(f"{MANIFEST} thiếu danh sách tệp hoặc số dòng của các bảng")
    else:
        for entry in files:
            match = BLOB_MEMBER.fullmatch(str(entry.get("path"))) if isinstance(entry, dict) else None
            if match is None or not (entry.get("damaged") or entry.get("sha256") == match.group(1)):
                problems.append(f"{MANIFEST}: mục tệp không hợp lệ: {entry!r:.200}")
    if problems:
        raise ArchiveError(problems)
    return manifest


@dataclass
class Staged:
    """An archive read through and checked: its manifest, and where its members were written."""

    manifest: dict
    database: Path
    blobs: dict[str, Path] = field(default_factory=dict)  # sha256 → a temporary file of the store
    temps: list[Path] = field(default_factory=list)  # every file written, for cleaning up

    def discard(self) -> None:
        for path in self.temps:
            path.unlink(missing_ok=True)


def stage(path: Path, database_path: Path, new_blob_temp: Callable[[], tuple[BinaryIO, Path]]) -> Staged:
    """Read the whole archive once, writing the database dump to `database_path` and each blob to a
    temporary file of the evidence store, hashing as it goes; then hold every member against the
    manifest. Any difference raises ArchiveError, with everything written removed again."""
    found: dict[str, tuple[str, int]] = {}  # member name → (sha256, size)
    problems, staged, manifest_bytes = [], Staged(manifest={}, database=database_path), None
    try:
        with tarfile.open(path, mode="r:") as tar:
            for member in tar:
                name = member.name
                if name in found or (name == MANIFEST and manifest_bytes is not None):
                    problems.append(f"tệp {name} có hai lần trong bản sao lưu")
                elif not member.isfile():
                    problems.append(f"mục lạ trong bản sao lưu (không phải tệp): {name}")
                elif name == MANIFEST:
                    manifest_bytes = _read_member(tar, member)
                elif name in DATABASE_MEMBERS.values():
                    staged.temps.append(database_path)
                    with database_path.open("xb") as out:
                        found[name] = _copy(_extract(tar, member), out)
                elif match := BLOB_MEMBER.fullmatch(name):
                    blob_out, temp = new_blob_temp()
                    staged.temps.append(temp)
                    with blob_out:
                        found[name] = _copy(_extract(tar, member), blob_out)
                    staged.blobs[match.group(1)] = temp
                else:
                    problems.append(f"tệp lạ trong bản sao lưu: {name[:200]}")
        if manifest_bytes is None:
            raise ArchiveError([f"không có {MANIFEST}: đây không phải bản sao lưu của aiplan, hoặc tệp bị cắt cụt"])
        staged.manifest = _parse_manifest(manifest_bytes)
        problems += _compare(staged.manifest, found)
        if problems:
            raise ArchiveError(problems)
    except (tarfile.TarError, OSError, EOFError) as error:
        staged.discard()
        raise ArchiveError([f"không đọc được tệp lưu trữ: {error}"]) from None
    except BaseException:
        staged.discard()
        raise
    for entry in staged.manifest["files"]:
        if entry.get("damaged"):  # its bytes were already wrong in the store it was copied from
            match = BLOB_MEMBER.fullmatch(entry["path"])
            assert match is not None  # _parse_manifest refused any entry whose path is not a blob's
            sha256 = match.group(1)
            staged.blobs.pop(sha256).unlink(missing_ok=True)
    return staged


def _copy(source: IO[bytes], out: IO[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        out.write(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _compare(manifest: dict, found: dict[str, tuple[str, int]]) -> list[str]:
    """Every member listed with the SHA-256 and size it has, and nothing unlisted."""
    database = manifest["database"]
    expected = {database["path"]: (database.get("sha256"), database.get("size"))}
    expected |= {entry["path"]: (entry.get("sha256"), entry.get("size")) for entry in manifest["files"]}
    problems = []
    for name, (sha256, size) in expected.items():
        if name not in found:
            problems.append(f"thiếu tệp {name}")
        elif found[name] != (sha256, size):
            problems.append(
                f"tệp {name} không khớp với {MANIFEST} (SHA-256 hoặc kích thước khác): "
                "bản sao lưu đã bị hỏng hoặc bị sửa"
            )
    problems += [f"tệp {name} không có trong {MANIFEST}" for name in sorted(set(found) - set(expected))]
    return problems
