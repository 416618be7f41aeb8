"""Accounts and roles."""
import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .plan import str_enum
from .types import UTCDateTime, utcnow


class Role(enum.StrEnum):
    WARD_ADMIN = "ward_admin"
    SUPERVISOR = "supervisor"
    SCHOOL_STAFF = "school_staff"
    VIEWER = "viewer"

    @property
    def label(self) -> str:
        return {"ward_admin": "Cán bộ Phòng VHXH", "supervisor": "Thành viên đoàn kiểm tra",
                "school_staff": "Cán bộ nhà trường", "viewer": "Lãnh đạo (xem)"}[self.value]


def new_session_token() -> str:
    return secrets.token_urlsafe(16)


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[Role] = mapped_column(str_enum(Role))
    # Every account belongs to a ward; school staff also to one school of that ward.
    ward_id: Mapped[int] = mapped_column(ForeignKey("ward.id"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of the session cookie's identity: a new token ends every existing session.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ward: Mapped["Ward"] = relationship()  # noqa: F821
    school: Mapped["School | None"] = relationship()  # noqa: F821

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.is_enabled

    def end_sessions(self) -> None:
        self.session_token = new_session_token()

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"
