"""What both evidence stores (storage.py's local folder, s3storage.py's bucket) share: how a blob
is named, and the error of a store that cannot be reached. Apart, so that the S3 store needs
nothing of storage.py, which loads it (and boto3) only when EVIDENCE_STORE names a bucket."""

import re

SHA256 = re.compile(r"[0-9a-f]{64}")


class StoreUnavailable(OSError):
    """The evidence store cannot be reached or refused a request (an S3 store that is down, a wrong
    key, a full disk behind it). An upload fails with a message and records nothing; a download
    gets 503 (aiplan/web.py)."""
