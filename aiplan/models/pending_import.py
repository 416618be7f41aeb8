"""An uploaded list (schools, accounts) kept between its preview and the ward admin's confirmation.

In the database, not the instance folder: behind a reverse proxy the preview and the confirmation
may reach two different app servers, which share the database and nothing on disk."""

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow


class PendingImport(Model):
    __tablename__ = "pending_import"
    token: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, named by the confirmation form
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("ward.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)  # at most documents.tables.MAX_BYTES (2 MB)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
