"""The register of AI tools and platforms a school uses with its pupils, and the parental
consents it keeps on file (I.3: "Bảo đảm an toàn thông tin, bảo mật dữ liệu cá nhân; tuân thủ các
quy định về đạo đức, pháp luật trong sử dụng trí tuệ nhân tạo")."""

from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, Date, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model, db
from .plan import Plan, str_enum
from .types import UTCDateTime, utcnow
from .vocabulary import Vocabulary

if TYPE_CHECKING:
    from .activity import Activity
    from .evidence import EvidenceFile
    from .ward import School

consent_tool = Table(
    "consent_tool",
    db.metadata,
    Column("consent_id", ForeignKey("pupil_consent.id", ondelete="CASCADE"), primary_key=True),
    Column("tool_id", ForeignKey("ai_tool.id", ondelete="CASCADE"), primary_key=True),
)


class PupilData(Vocabulary):
    """What pupil data a tool receives, stored as comma-separated codes ("ho_ten,hinh_anh")."""

    NAME = "ho_ten", _l("Họ và tên")
    BIRTH = "ngay_sinh", _l("Ngày sinh, tuổi")
    CLASS = "lop_truong", _l("Lớp, trường")
    CONTACT = "lien_he", _l("E-mail, số điện thoại")
    IMAGE = "hinh_anh", _l("Hình ảnh, khuôn mặt")
    VOICE = "giong_noi", _l("Giọng nói")
    WORK = "bai_lam", _l("Bài làm, sản phẩm của học sinh")
    CHAT = "hoi_dap", _l("Nội dung học sinh nhập, hỏi đáp")


class AccountType(Vocabulary):
    """Whose account pupils use the tool through."""

    SCHOOL = "truong", _l("Tài khoản của nhà trường")
    TEACHER = "giao_vien", _l("Tài khoản của giáo viên")
    PUPIL = "hoc_sinh", _l("Tài khoản riêng của học sinh")
    NONE = "khong", _l("Không cần tài khoản")


class AiTool(Model):
    """An AI tool or platform used with a school's pupils in one school year (carried into the next)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(200), default="")
    age_suitability: Mapped[str] = mapped_column(String(200), default="")  # "Từ 13 tuổi", as the provider says
    pupil_data: Mapped[str] = mapped_column(String(200), default="")  # PupilData codes
    pupil_data_other: Mapped[str] = mapped_column(String(300), default="")
    account_type: Mapped[AccountType] = mapped_column(str_enum(AccountType))
    notes: Mapped[str] = mapped_column(Text, default="")
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("ai_tool.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    plan: Mapped[Plan] = relationship()
    school: Mapped["School"] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def data_kinds(self) -> list[PupilData]:
        """The ticked kinds of pupil data, in the vocabulary's order (unknown codes are skipped)."""
        codes = set(filter(None, self.pupil_data.split(",")))
        return [member for member in PupilData if member.value in codes]

    @property
    def receives_pupil_data(self) -> bool:
        return bool(self.data_kinds) or bool(self.pupil_data_other.strip())


class PupilConsent(Model):
    """Parents' consent on file for a class or pupil group: its scanned form is a restricted
    evidence file kept on the activity of that class (where the pupils' images and work are
    kept), so it never leaves the school in a bundle or an export. It names the tools it covers.
    Consents stay with their school year."""

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id"), index=True)
    file_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_file.id"), index=True)
    group_name: Mapped[str] = mapped_column(String(200))  # lớp hoặc nhóm học sinh
    consented_on: Mapped[date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    plan: Mapped[Plan] = relationship()
    school: Mapped["School"] = relationship()
    activity: Mapped["Activity"] = relationship()
    file: Mapped["EvidenceFile | None"] = relationship()
    tools: Mapped[list[AiTool]] = relationship(secondary=consent_tool, order_by=AiTool.name)

    __mapper_args__ = {"version_id_col": version}
