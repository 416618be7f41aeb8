"""Accounts: password hashing (Argon2id), authentication and creation."""

import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import delete, func, or_, select, update

from .. import audit
from ..database import read_snapshot
from ..extensions import db
from ..inputs import BadEmail, clean_email, formula_start, has_nul
from ..models import CITY_ROLES, City, Role, School, User, UserSession, Ward, utcnow

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,79}")
MIN_PASSWORD_LENGTH = 10
FULL_NAME_MAX = 200


class AccountError(ValueError):
    """A request about an account that cannot be carried out; the message is for the user, and
    `field` names the form field it is about, if one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _hasher() -> PasswordHasher:
    # RFC 9106's low-memory profile: Argon2id, 64 MiB, a few tens of milliseconds per hash.
    # Tests use the cheapest profile so that creating personas costs nothing.
    if current_app.config.get("PASSWORD_HASH_FAST"):
        return PasswordHasher.from_parameters(profiles.CHEAPEST)
    return PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def authenticate(username: str, password: str) -> User | None:
    """The enabled user with these credentials, or None, taking the same time for every failure.

    The account is read and the password checked outside any write transaction: Argon2 takes tens
    of milliseconds, and on SQLite a writing request holds the database's one write lock from its
    first statement, so checking inside it made every other writer (other logins too) wait."""
    with read_snapshot():
        user = db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
        checked_hash = user.password_hash if user is not None else None
    hasher = _hasher()
    if checked_hash is None:
        # Spend the same effort on unknown names, so timing does not reveal which exist.
        hasher.hash(password)
        return None
    try:
        hasher.verify(checked_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    # Reloaded, and locked before the audit head as every writer does, in the request's write
    # transaction: refuse if the password changed meanwhile.
    assert user is not None  # its hash was read above
    db.session.refresh(user, with_for_update=True)
    if user.password_hash != checked_hash or not user.is_enabled:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    user.last_login_at = utcnow()
    return user


def record_failed_login(username: str) -> None:
    """Count a wrong password against the account, for its owner to be told at the next sign-in.
    The same one UPDATE runs whether or not the name exists, so failures take the same path.
    Not committed."""
    db.session.execute(
        update(User)
        .where(func.lower(User.username) == username.strip().lower()[:80])
        .values(failed_logins=User.failed_logins + 1, last_failed_login_at=utcnow())
    )


def take_failed_logins(user: User) -> tuple[int, datetime | None]:
    """The wrong passwords typed since the last sign-in (how many, the latest when), now told."""
    told = (user.failed_logins, user.last_failed_login_at)
    user.failed_logins, user.last_failed_login_at = 0, None
    return told


# Ended or idle sign-ins are kept this long (the account page and support questions), then dropped.
KEEP_SESSIONS = timedelta(days=30)


def start_session(user: User, *, user_agent: str, ip: str) -> str:
    """A new sign-in for this browser: its row, and the key its cookie will carry. Not committed."""
    now = utcnow()
    db.session.execute(
        delete(UserSession).where(
            UserSession.user_id == user.id,
            or_(UserSession.ended_at < now - KEEP_SESSIONS, UserSession.last_seen_at < now - KEEP_SESSIONS),
        )
    )
    token = secrets.token_urlsafe(32)
    record = UserSession(
        user=user,
        token_hash=UserSession.hash_token(token),
        created_at=now,
        last_seen_at=now,
        user_agent=(user_agent or "")[:200],
        ip=(ip or "")[:45],
    )
    db.session.add(record)
    db.session.flush()
    user.current_session, user.session_key = record, f"{record.id}:{token}"
    return user.session_key


def end_session(user: User) -> None:
    """End the sign-in this request runs under; the user's other devices stay signed in. Not committed."""
    if user.current_session is not None:
        user.current_session.ended_at = utcnow()


def active_sessions(user: User) -> Sequence[UserSession]:
    """The user's sign-ins that still open pages: not ended, not idle past the limit; newest first."""
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    return db.session.scalars(
        select(UserSession)
        .where(
            UserSession.user_id == user.id, UserSession.ended_at.is_(None), UserSession.last_seen_at >= utcnow() - idle
        )
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ).all()


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Mật khẩu cần ít nhất {MIN_PASSWORD_LENGTH} ký tự.")


def check_full_name(full_name: str) -> None:
    """The rules the account form applies to a name, for every other way in (the command line,
    imports): exports must not run it as a formula, and the database must be able to keep it."""
    if has_nul(full_name):
        raise AccountError("Họ tên chứa ký tự NUL (mã 0), không được phép.", "full_name")
    if len(full_name.strip()) > FULL_NAME_MAX:
        raise AccountError(f"Họ tên tối đa {FULL_NAME_MAX} ký tự.", "full_name")
    if formula_start(full_name) is not None:
        raise AccountError("Họ tên không được bắt đầu bằng =, +, - hoặc @.", "full_name")


def create_user(
    username: str,
    role: Role,
    password: str,
    *,
    ward: Ward | None = None,
    school: School | None = None,
    city: City | None = None,
    full_name: str = "",
    actor=None,
    must_change_password: bool = False,
    email: str | None = None,
) -> User:
    """Create an account; school staff belong to exactly one school, other roles to none. Commits."""
    try:
        user = add_user(
            username,
            role,
            password,
            ward=ward,
            school=school,
            city=city,
            full_name=full_name,
            actor=actor,
            must_change_password=must_change_password,
            email=email,
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return user


def add_user(
    username: str,
    role: Role,
    password: str,
    *,
    ward: Ward | None = None,
    school: School | None = None,
    city: City | None = None,
    full_name: str = "",
    actor=None,
    must_change_password: bool = False,
    email: str | None = None,
) -> User:
    """create_user without the commit, for imports that add many accounts or none."""
    username = username.strip().lower()
    if not USERNAME.fullmatch(username):
        raise AccountError("Tên đăng nhập chỉ gồm chữ thường không dấu, số, '.', '_' hoặc '-' (2–80 ký tự).")
    if role in CITY_ROLES:
        if city is None or ward is not None or school is not None:
            raise AccountError("Tài khoản của Sở gắn với một thành phố (--city), không gắn với phường hay trường.")
    elif ward is None:
        raise AccountError("Tài khoản của phường hoặc trường phải gắn với một phường (--ward).")
    else:
        city = None  # a ward's account reaches its city through its ward
    if role is Role.SCHOOL_STAFF and school is None:
        raise AccountError("Tài khoản cán bộ nhà trường phải gắn với một trường (--school).")
    if role is not Role.SCHOOL_STAFF and school is not None:
        raise AccountError("Chỉ tài khoản cán bộ nhà trường mới gắn với một trường.")
    if school is not None and (ward is None or school.ward_id != ward.id):
        raise AccountError("Trường này không thuộc phường của tài khoản.")
    check_full_name(full_name)
    try:
        email = clean_email(email)
    except BadEmail as refused:
        raise AccountError(str(refused), "email") from None
    check_password_rules(password)
    if db.session.scalar(select(User.id).where(func.lower(User.username) == username)):
        raise AccountError(f"Tên đăng nhập '{username}' đã có.")
    user = User(
        username=username,
        role=role,
        city=city,
        ward=ward,
        school=school,
        full_name=full_name.strip(),
        email=email,
        password_hash=hash_password(password),
        must_change_password=must_change_password,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user.create",
        user,
        school_id=school.id if school else None,
        ward_id=ward.id if ward else None,
        actor=actor,
        after={"username": username, "role": role.value, "school": school.slug if school else None}
        | ({"city": city.slug} if city else {})
        | ({"email": email} if email else {}),
    )
    return user


def temporary_password() -> str:
    """A password to hand over once, easy to read aloud and type: no 0/O, 1/l/I; 72 bits."""
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
    groups = ("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(3))
    return "-".join(groups)


def check_password(user: User, password: str) -> bool:
    try:
        return _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def change_password(user: User, current: str, new: str) -> None:
    """The user's own change: the current password, then a new one that meets the rules and differs.
    Ends every session of the user (the caller signs the current one in again). Commits."""
    if not check_password(user, current):
        raise AccountError("Mật khẩu hiện tại không đúng.", "current_password")
    try:
        check_password_rules(new)
    except AccountError as refused:
        raise AccountError(str(refused), "new_password") from None
    if new == current:
        raise AccountError("Mật khẩu mới phải khác mật khẩu hiện tại.", "new_password")
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.end_sessions()
    audit.record("user.change_password", user, school_id=user.school_id, ward_id=user.ward_id, actor=user)
    db.session.commit()


_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("CocCoc", "Cốc Cốc"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def device_label(user_agent: str) -> str:
    """ "Chrome · Windows": enough for a person to recognise their own devices in the list."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), "")
    return " · ".join(part for part in (browser, system) if part) or (user_agent[:60] or "?")
