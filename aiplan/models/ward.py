"""The ward and its schools."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .vocabulary import Vocabulary


class SchoolLevel(Vocabulary):
    TIEU_HOC = "tieu_hoc", _l("Tiểu học")
    THCS = "thcs", _l("THCS")
    LIEN_CAP = "lien_cap", _l("Liên cấp")


class Ward(Model):
    """A phường or xã: the level that issues a plan and follows its schools."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(200))
    # How the ward signs its documents: "UBND phường Long Biên", "Phòng Văn hóa - Xã hội".
    authority: Mapped[str] = mapped_column(String(200))
    office: Mapped[str] = mapped_column(String(200))

    schools: Mapped[list["School"]] = relationship(back_populates="ward", order_by="School.name")

    def __repr__(self) -> str:
        return f"<Ward {self.slug}>"


class School(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("ward.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[SchoolLevel] = mapped_column(
        Enum(SchoolLevel, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    is_pilot: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    ward: Mapped[Ward] = relationship(back_populates="schools")

    def __repr__(self) -> str:
        return f"<School {self.slug}>"
