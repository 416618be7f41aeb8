"""The ward and its schools."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .vocabulary import Vocabulary


class SchoolLevel(Vocabulary):
    TIEU_HOC = "tieu_hoc", _l("Tiểu học")
    THCS = "thcs", _l("THCS")
    LIEN_CAP = "lien_cap", _l("Liên cấp")


class City(Model):
    """A tỉnh or thành phố (Hà Nội): the level above the wards, whose Sở GD&ĐT the wards report to.
    One deployment may serve a whole city; a ward loaded without one stands alone (`make run`)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Who speaks for the city on the reports: "Sở Giáo dục và Đào tạo Hà Nội".
    authority: Mapped[str] = mapped_column(String(200), default="")

    wards: Mapped[list["Ward"]] = relationship(back_populates="city_unit", order_by="Ward.name")

    def __repr__(self) -> str:
        return f"<City {self.slug}>"


class Ward(Model):
    """A phường or xã: the level that issues a plan and follows its schools."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # The city as the ward's documents name it ("Thành phố Hà Nội"); `city_unit` is the record.
    city: Mapped[str] = mapped_column(String(200))
    city_id: Mapped[int | None] = mapped_column(ForeignKey("city.id"), index=True)
    # How the ward signs its documents: "UBND phường Long Biên", "Phòng Văn hóa - Xã hội".
    authority: Mapped[str] = mapped_column(String(200))
    office: Mapped[str] = mapped_column(String(200))

    schools: Mapped[list["School"]] = relationship(back_populates="ward", order_by="School.name")
    city_unit: Mapped[City | None] = relationship(back_populates="wards")

    def __repr__(self) -> str:
        return f"<Ward {self.slug}>"


class School(Model):
    # The slug names the school in its ward's addresses (/schools/<slug>): unique within the ward,
    # so that 126 wards' lists never collide. City-wide, a school is its Ministry code (mã trường).
    __table_args__ = (UniqueConstraint("ward_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("ward.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    # Mã trường, as the Ministry's database (CSDL ngành) gives it; unique across the deployment.
    code: Mapped[str | None] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[SchoolLevel] = mapped_column(
        Enum(SchoolLevel, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    is_pilot: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    ward: Mapped[Ward] = relationship(back_populates="schools")

    def __repr__(self) -> str:
        return f"<School {self.slug}>"
