"""Where the jobs' finished files are kept: instance/jobs/ (JOB_DIR) with the local evidence store,
or the S3 bucket under `<prefix>/jobs/` when EVIDENCE_STORE is s3://…, so that the app server that
gets the download need not be the one whose worker made the file. Either way the file is written
whole before its job is marked done, and removed when the job expires (services.cleanup_expired).
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from pathlib import Path

from flask import current_app

from ..storage import get_storage
from . import kinds


def job_dir() -> Path:
    path = Path(current_app.config["JOB_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def _bucket():
    """The S3 store, when the jobs' files go there; None for instance/jobs/."""
    if not (current_app.config.get("EVIDENCE_STORE") or "").startswith("s3://"):
        return None
    # Not at the top: it loads boto3, which only an S3 store needs (see storage.get_storage).
    from ..s3storage import S3Storage

    storage = get_storage()
    return storage if isinstance(storage, S3Storage) else None


def save(job_id: int, output: kinds.Output) -> tuple[str, int]:
    """Write the file to a temporary name under instance/jobs/, then rename it into place or put it
    into the bucket; its stored name and size."""
    folder = job_dir()
    name = f"{job_id}-{secrets.token_hex(8)}{output.extension}"
    fd, temp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            if isinstance(output.data, bytes):
                out.write(output.data)
            else:
                with output.data as source:
                    shutil.copyfileobj(source, out, 1024 * 1024)
        size = Path(temp).stat().st_size
        bucket = _bucket()
        if bucket is None:
            os.replace(temp, folder / name)
        else:
            bucket.create(bucket.job_key(name), Path(temp))  # a fresh random name: never already there
    finally:
        Path(temp).unlink(missing_ok=True)
    return name, size


def open_file(name: str):
    """The stored file for reading (a path for the local folder, a stream from the bucket);
    FileNotFoundError if it is gone."""
    bucket = _bucket()
    if bucket is None:
        path = job_dir() / name
        if not path.is_file():
            raise FileNotFoundError(name)
        return path
    return bucket.open_key(bucket.job_key(name))


def remove(name: str) -> None:
    bucket = _bucket()
    if bucket is None:
        (job_dir() / name).unlink(missing_ok=True)
    else:
        bucket.delete_key(bucket.job_key(name))
