"""Settings read from the environment, with defaults that suit one ward's intranet."""

import os
import secrets
import tempfile
from pathlib import Path


def from_environment(instance_path: str) -> dict:
    """Return the settings the environment gives, falling back to safe defaults."""
    instance = Path(instance_path)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'aiplan.sqlite3'}"
    idle_minutes = int(os.environ.get("SESSION_IDLE_MINUTES", "480"))
    evidence_store = os.environ.get("EVIDENCE_STORE", "").strip()
    evidence_dir = os.environ.get("EVIDENCE_DIR") or str(instance / "evidence")
    if evidence_store.startswith("file://"):
        evidence_dir = evidence_store.removeprefix("file://") or evidence_dir
    elif evidence_store and not evidence_store.startswith("s3://"):
        raise ValueError(f"EVIDENCE_STORE must be file:///folder or s3://bucket/prefix, not {evidence_store!r}")
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY") or _instance_secret(instance, "secret_key"),
        # Signs the audit chain's head (aiplan/audit_mac.py): kept outside the database, so that
        # someone with only database access cannot rewind the log unnoticed.
        "AUDIT_KEY": os.environ.get("AUDIT_KEY") or _instance_secret(instance, "audit_key"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        # Where evidence (and, with S3, the jobs' files) is kept: EVIDENCE_STORE=file:///folder (the
        # default: EVIDENCE_DIR, or instance/evidence) or s3://bucket/prefix with the AWS_* variables
        # below (aiplan/s3storage.py). With S3, EVIDENCE_DIR still holds this machine's temporary files.
        "EVIDENCE_STORE": evidence_store,
        "EVIDENCE_DIR": evidence_dir,
        **{name: os.environ.get(name, "") for name in S3_ENVIRONMENT},
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # Wrong passwords for one account from one address: strict. The old name still counts,
        # since what an operator set it to was meant to stop guessing.
        "LOGIN_LIMIT_PER_ACCOUNT_ADDRESS": os.environ.get("LOGIN_LIMIT_PER_ACCOUNT_ADDRESS")
        or os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes"),
        "LOGIN_LIMIT_PER_IP": os.environ.get("LOGIN_LIMIT_PER_IP", "50 per 15 minutes"),
        # For the account as a whole, from every address together: high, so that nobody can lock a
        # colleague out with a few wrong passwords, yet a guessing run from many addresses stops.
        "LOGIN_LIMIT_ACCOUNT_CEILING": os.environ.get("LOGIN_LIMIT_ACCOUNT_CEILING", "100 per hour"),
        # A sign-in not used for this long ends (checked on the server; see access.load_user).
        "SESSION_IDLE_MINUTES": idle_minutes,
        # Flask refuses a session cookie this long after it was last written (its signature's age):
        # a backstop behind the idle limit, long enough for an office day of reading.
        "PERMANENT_SESSION_LIFETIME": max(12 * 60, idle_minutes) * 60,
        # Secure cookies only when the app is really served over HTTPS.
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        # The largest request, so the largest evidence upload; a larger one gets 413 and nothing is stored.
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_MB", "50")) * 1024 * 1024,
        # How many days ahead the notifications tell of an item, a report or a visit coming due.
        "NOTIFY_DUE_DAYS": int(os.environ.get("NOTIFY_DUE_DAYS", "7")),
        # E-mail reminders (aiplan/mailing/), under Flask-Mail's names; kept as typed and checked by
        # aiplan/mailing/settings.py, which names what is wrong. No MAIL_SERVER: nothing is sent.
        **{name: os.environ.get(name, default) for name, default in MAIL_ENVIRONMENT.items()},
        # Background jobs (aiplan/jobs): the queue, where finished files are kept and for how long,
        # and from how many schools the ward's DOCX and rollup exports are made by the worker.
        "JOB_QUEUE_URL": os.environ.get("JOB_QUEUE_URL") or f"sqlite:///{instance / 'job-queue.sqlite3'}",
        "JOB_DIR": str(instance / "jobs"),
        "JOB_KEEP_HOURS": float(os.environ.get("JOB_KEEP_HOURS", "24")),
        "JOB_MIN_SCHOOLS": int(os.environ.get("JOB_MIN_SCHOOLS", "5")),
        "JOB_STALE_SECONDS": int(os.environ.get("JOB_STALE_SECONDS", "60")),
        "JOB_IMMEDIATE": os.environ.get("JOB_IMMEDIATE", "0") == "1",
    }


# The S3 client's settings under the names every S3 tool reads (EVIDENCE_STORE=s3://…).
S3_ENVIRONMENT = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION")


# name -> default when the environment does not set it (aiplan/mailing/settings.py reads them).
MAIL_ENVIRONMENT = {
    "MAIL_SERVER": "",
    "MAIL_PORT": "25",
    "MAIL_USE_TLS": "0",
    "MAIL_USE_SSL": "0",
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_DEFAULT_SENDER": "",
    "MAIL_TIMEOUT": "30",  # seconds to wait for the server before the attempt counts as failed
    "AIPLAN_BASE_URL": "",  # where the app is reached, e.g. https://giaoduc-ai.longbien.gov.vn: links in mail
    "DIGEST_HOUR": "7",  # the daily and weekly digests go out from this hour, Hà Nội time
}


DEFAULTS = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,  # a token lives as long as the session it belongs to
    "WTF_CSRF_HEADERS": ["X-CSRFToken"],
    "BABEL_DEFAULT_LOCALE": "vi",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
    "LANGUAGES": {"vi": "Tiếng Việt", "en": "English"},
    "RATELIMIT_HEADERS_ENABLED": False,
    # Pages, fragments, styles, scripts and text exports go out gzip-compressed (an intranet PC
    # or a phone on a school's slow link). Evidence files are sent as stored.
    "COMPRESS_ALGORITHM": ["gzip"],
    "COMPRESS_ALGORITHM_STREAMING": ["gzip"],
    "COMPRESS_MIMETYPES": [
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "text/csv",
        "image/svg+xml",
    ],
    # Static files carry their content hash in the URL (see web.static_url), so browsers keep them.
    "SEND_FILE_MAX_AGE_DEFAULT": 365 * 24 * 3600,
}


def _instance_secret(instance: Path, name: str) -> str:
    """A random key kept in instance/NAME (mode 600), so it survives restarts without configuration.

    Written to a temporary file and linked into place, so that two worker processes starting at
    once never read a half-written file nor end up with two different keys: the first link wins
    and both read the winner.
    """
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / name
    if not path.exists():
        fd, temp = tempfile.mkstemp(dir=instance, prefix=f".{name}-")  # mode 600 from the start
        try:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
            try:
                os.link(temp, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(temp)
    return path.read_text().strip()
