"""Evidence in an S3-API object store (SeaweedFS, MinIO, AWS…), for several app servers with no
shared disk: EVIDENCE_STORE=s3://bucket/prefix, with the ecosystem's AWS_ENDPOINT_URL,
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION.

The same key layout as the local folder (`<prefix>/ab/cd/<sha256>`), and the same promises
(aiplan/storage.py): an upload streams into a local temporary file, is hashed and checked there,
then is put before its row commits. A put is a conditional create (If-None-Match: *, on a plain
PUT and on a multipart upload's completion), so a stored blob is never overwritten: a second
upload of the same bytes gets 412 and is told the blob was already there. Files are sent in
parts of PART_SIZE read from the temporary file, and read back in chunks: never a whole file in
memory. Nothing is ever handed out as a presigned URL; downloads go through the app's access
checks and are streamed from here.

The background jobs' finished files live in the same bucket under `<prefix>/jobs/` (see
aiplan/jobs/files.py), so any app server can send them.

An unreachable store, or one that refuses (credentials, permissions, a full disk), raises
StoreUnavailable: the upload fails with a message and nothing is recorded; a download gets 503.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, cast
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .storage_common import SHA256, StoreUnavailable

PART_SIZE = 8 * 1024 * 1024  # files larger than this go up as a multipart upload, one part at a time
READ_CHUNK = 256 * 1024
JOBS = "jobs"  # the sub-prefix of the background jobs' files
NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
ALREADY_THERE = {"412", "PreconditionFailed"}
IN_PROGRESS = {"409", "ConditionalRequestConflict"}  # another conditional write of the key is under way


def parse_store_url(url: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` → ("bucket", "some/prefix"); ValueError if it is not one."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"EVIDENCE_STORE must be file:///… or s3://bucket/prefix, not {url!r}")
    return parts.netloc, parts.path.strip("/")


def make_client(config: dict):
    """A boto3 S3 client from the app's settings (read from the AWS_* variables by aiplan/config.py).
    Short timeouts and few retries: a store that is down fails an upload in seconds, not minutes."""
    endpoint = config.get("AWS_ENDPOINT_URL") or None
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=config.get("AWS_ACCESS_KEY_ID") or None,
        aws_secret_access_key=config.get("AWS_SECRET_ACCESS_KEY") or None,
        region_name=config.get("AWS_REGION") or "us-east-1",
        config=Config(
            # Self-hosted stores (SeaweedFS, MinIO) answer on one host name: bucket in the path.
            s3={"addressing_style": "path" if endpoint else "auto"},
            connect_timeout=float(config.get("S3_CONNECT_TIMEOUT", 3)),
            read_timeout=float(config.get("S3_READ_TIMEOUT", 30)),
            retries={"max_attempts": int(config.get("S3_MAX_ATTEMPTS", 3)), "mode": "standard"},
            # Checksums only where S3 requires them: not every S3-compatible store knows the newer ones.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _status(error: ClientError) -> str:
    return str(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))


def _refused(error: Exception) -> StoreUnavailable:
    return StoreUnavailable(f"kho S3 không nhận yêu cầu: {error}")


class S3Body:
    """A blob being read from the store: a file-like object over the response body, whose read
    errors are StoreUnavailable (an OSError), and which knows its size (for backups)."""

    def __init__(self, body, size: int):
        self.body, self.size = body, size

    def read(self, amount: int = -1) -> bytes:
        try:
            return self.body.read(None if amount is None or amount < 0 else amount)
        except (BotoCoreError, ClientError, OSError) as error:
            raise _refused(error) from None

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.body.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(READ_CHUNK):
            yield chunk


class S3Storage:
    """Blobs in a bucket under a prefix; temporary files on this machine (`tmp`), as uploads and
    restores are streamed and checked locally before anything is put."""

    def __init__(self, client, bucket: str, prefix: str, tmp: str | os.PathLike):
        self.client, self.bucket, self.prefix = client, bucket, prefix.strip("/")
        self.tmp = Path(tmp)
        # Blobs seen stored (`looks_stored`), so that a page listing files (figures/evidence.py
        # marks lost ones) asks the store once per blob and process, not once per file shown: a
        # blob is never overwritten, and only `collect` removes one (no row names it, so no page
        # lists it). `exists` always asks.
        self._present: set[str] = set()

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def job_key(self, name: str) -> str:
        """Where a background job's file is kept (aiplan/jobs/files.py)."""
        return self._key(f"{JOBS}/{name}")

    def _blob_key(self, sha256: str) -> str:
        if not SHA256.fullmatch(sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        return self._key(f"{sha256[:2]}/{sha256[2:4]}/{sha256}")

    # --- the Storage protocol -------------------------------------------------------------------

    def new_temp(self) -> tuple[BinaryIO, Path]:
        self.tmp.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.tmp, prefix="upload-", suffix=".part")
        return os.fdopen(fd, "wb"), Path(name)

    def put(self, temp_path: Path, sha256: str) -> bool:
        """Create the blob unless it exists; the temporary file is removed either way once the
        store has answered. A refusal or an unreachable store raises StoreUnavailable and leaves
        the temporary file, for the caller to remove."""
        created = self.create(self._blob_key(sha256), temp_path)
        temp_path.unlink(missing_ok=True)
        self._remember(sha256)
        return created

    def open(self, sha256: str) -> BinaryIO:
        return cast(BinaryIO, self.open_key(self._blob_key(sha256)))  # read(), close(), a with-block: all it needs

    def looks_stored(self, sha256: str) -> bool:
        return sha256 in self._present or self.exists(sha256)

    def exists(self, sha256: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._blob_key(sha256))
        except ClientError as error:
            if _code(error) in NOT_FOUND or _status(error) == "404":
                return False
            raise _refused(error) from None
        except BotoCoreError as error:
            raise _refused(error) from None
        self._remember(sha256)
        return True

    def _remember(self, sha256: str) -> None:
        if len(self._present) >= 200_000:  # about 30 MB: start again rather than grow without end
            self._present.clear()
        self._present.add(sha256)

    def blobs(self, older_than_seconds: float = 0) -> Iterator[str]:
        cutoff = time.time() - older_than_seconds
        for key, modified in self._objects():
            name = self._blob_name(key)
            if name and (not older_than_seconds or modified.timestamp() <= cutoff):
                yield name

    def collect(self, sha256: str, older_than_seconds: float) -> bool:
        """Remove an unnamed blob unless it was put within `older_than_seconds`. An object store
        has no atomic move aside as the local folder does: the caller has just checked that no
        row names the blob, and the age threshold (hours) is what keeps an upload's blob safe."""
        key = self._blob_key(sha256)
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _code(error) in NOT_FOUND or _status(error) == "404":
                return False
            raise _refused(error) from None
        except BotoCoreError as error:
            raise _refused(error) from None
        if head["LastModified"].timestamp() > time.time() - older_than_seconds:
            return False
        self._present.discard(sha256)
        self.delete_key(key)
        return True

    def strays(self) -> list[str]:
        jobs = self._key(JOBS) + "/"
        return [
            key.removeprefix(self._key(""))
            for key, _ in self._objects()
            if not self._blob_name(key) and not key.startswith(jobs)
        ]

    def temps(self, older_than_seconds: float = 0) -> list[Path]:
        if not self.tmp.is_dir():
            return []
        cutoff = time.time() - older_than_seconds
        return sorted(path for path in self.tmp.iterdir() if path.is_file() and path.stat().st_mtime <= cutoff)

    # --- keys in general (the blobs above, the jobs' files) ---------------------------------------

    def create(self, key: str, path: Path) -> bool:
        """Upload a local file as `key` if no object has that key: True if created, False if one
        was there already (untouched). One PUT for a small file, a multipart upload for a larger."""
        try:
            if path.stat().st_size <= PART_SIZE:
                with path.open("rb") as f:
                    self.client.put_object(Bucket=self.bucket, Key=key, Body=f, IfNoneMatch="*")
            else:
                self._create_multipart(key, path)
        except ClientError as error:
            if _code(error) in ALREADY_THERE or _status(error) == "412":
                return False
            if _code(error) in IN_PROGRESS or _status(error) == "409":
                # Someone is writing the same key: the same bytes, since the key is their hash.
                return self._wait_for(key)
            raise _refused(error) from None
        except BotoCoreError as error:
            raise _refused(error) from None
        return True

    def _create_multipart(self, key: str, path: Path) -> None:
        upload = self.client.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"]
        try:
            parts = []
            with path.open("rb") as f:
                number = 1
                while chunk := f.read(PART_SIZE):
                    answer = self.client.upload_part(
                        Bucket=self.bucket, Key=key, UploadId=upload, PartNumber=number, Body=chunk
                    )
                    parts.append({"ETag": answer["ETag"], "PartNumber": number})
                    number += 1
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts}, IfNoneMatch="*"
            )
        except BaseException:
            try:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload)
            except (BotoCoreError, ClientError):
                pass  # the store's own lifecycle rules clean up an upload nobody finished
            raise

    def _wait_for(self, key: str) -> bool:
        for _ in range(20):
            time.sleep(0.25)
            try:
                self.client.head_object(Bucket=self.bucket, Key=key)
                return False
            except ClientError:
                continue
        raise StoreUnavailable(f"kho S3: {key} đang được ghi bởi một yêu cầu khác và chưa xong")

    def open_key(self, key: str) -> S3Body:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if _code(error) in NOT_FOUND or _status(error) == "404":
                raise FileNotFoundError(key) from None
            raise _refused(error) from None
        except BotoCoreError as error:
            raise _refused(error) from None
        return S3Body(answer["Body"], int(answer["ContentLength"]))

    def delete_key(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError) as error:
            raise _refused(error) from None

    def _objects(self) -> Iterator[tuple[str, datetime]]:
        """Every key under the prefix, with when it was put."""
        prefix = self._key("")
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
                for entry in page.get("Contents", []):
                    modified = entry["LastModified"]
                    yield entry["Key"], modified if modified.tzinfo else modified.replace(tzinfo=UTC)
        except (BotoCoreError, ClientError) as error:
            raise _refused(error) from None

    def _blob_name(self, key: str) -> str | None:
        name = key.rsplit("/", 1)[-1]
        if SHA256.fullmatch(name) and key == self._blob_key(name):
            return name
        return None
