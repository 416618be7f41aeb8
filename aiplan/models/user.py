"""Accounts and roles."""

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model, db
from .plan import str_enum
from .types import UTCDateTime, utcnow
from .vocabulary import Vocabulary

if TYPE_CHECKING:
    from .ward import City, School, Ward


class Role(Vocabulary):
    WARD_ADMIN = "ward_admin", _l("Cán bộ Phòng VHXH")
    SUPERVISOR = "supervisor", _l("Thành viên đoàn kiểm tra")
    SCHOOL_STAFF = "school_staff", _l("Cán bộ nhà trường")
    VIEWER = "viewer", _l("Lãnh đạo (xem)")
    CITY_ADMIN = "city_admin", _l("Cán bộ Sở GD&ĐT")
    CITY_VIEWER = "city_viewer", _l("Lãnh đạo Sở (xem)")


# The Sở's accounts: they read every ward of their city, and write nothing of a ward's or a school's.
CITY_ROLES = (Role.CITY_ADMIN, Role.CITY_VIEWER)


class DigestFrequency(Vocabulary):
    """How often an account wants the reminders that are not urgent mailed (aiplan/mailing/)."""

    DAILY = "daily", _l("Mỗi ngày một thư")
    WEEKLY = "weekly", _l("Mỗi tuần một thư")
    OFF = "off", _l("Không nhận thư")


class User(UserMixin, Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    # Optional; where reminders go. Stored as inputs.clean_email gives it (trimmed, domain lower-cased);
    # not unique: two accounts of one school may share the office's address.
    email: Mapped[str | None] = mapped_column(String(254))
    # How often the reminders that are not urgent are mailed (aiplan/mailing/); "off": no mail at all.
    digest_frequency: Mapped[DigestFrequency] = mapped_column(
        str_enum(DigestFrequency), default=DigestFrequency.DAILY, server_default=DigestFrequency.DAILY.value
    )
    role: Mapped[Role] = mapped_column(str_enum(Role))
    # An account belongs to one place, by its role: city roles to a city (city_id, no ward); the
    # ward's roles to a ward; school staff to one school of that ward (ward_id and school_id).
    city_id: Mapped[int | None] = mapped_column(ForeignKey("city.id"), index=True)
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("ward.id"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Wrong passwords typed for this account since its last sign-in, told to the owner at the next one.
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    last_failed_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    city: Mapped["City | None"] = relationship()
    ward: Mapped["Ward | None"] = relationship()
    school: Mapped["School | None"] = relationship()

    # The sign-in this request runs under (not a column): set by the user loader and at login.
    if TYPE_CHECKING:  # declared for the checker only: the ORM would try to map an annotated attribute
        current_session: "UserSession | None"
        session_key: str | None
    current_session = None
    session_key = None  # "<UserSession.id>:<token>", what Flask-Login keeps in the cookie

    def get_id(self) -> str | None:
        return self.session_key

    @property
    def is_active(self) -> bool:
        return self.is_enabled

    def end_sessions(self) -> None:
        """End every sign-in of the account, on every device (password change, reset, disabling)."""
        db.session.execute(
            update(UserSession)
            .where(UserSession.user_id == self.id, UserSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )

    @property
    def place_name(self) -> str:
        """Where the account works: its school, its ward, or its city."""
        place = self.school or self.ward or self.city
        return place.name if place is not None else ""

    @property
    def home_ward_id(self) -> int:
        """The ward of a ward or school account (the ward's own pages and accounts); city accounts
        have none and must not reach the code that asks (access.viewed_ward_id gives theirs)."""
        if self.ward_id is None:
            raise LookupError(f"{self.username} is a city account: it has no ward of its own")
        return self.ward_id

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class UserSession(Model):
    """One sign-in, on one browser. Its cookie holds the id and a random token; the table keeps only
    the token's hash, so that a copy of the database cannot be replayed as cookies. Logging out ends
    this row alone; the user's other devices stay signed in."""

    __tablename__ = "user_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Updated at most every few minutes (see access.load_user), so that reading pages writes nothing.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    ip: Mapped[str] = mapped_column(String(45), default="")

    user: Mapped[User] = relationship()

    @staticmethod
    def hash_token(token: str) -> str:
        # The token is 256 random bits: a plain SHA-256 is enough, no slow hash needed.
        return hashlib.sha256(token.encode()).hexdigest()
