"""A background job: a heavy download (the ward's DOCX, the rollup's XLSX, a school's evidence ZIP…)
prepared by the job worker (aiplan/jobs) while the asker watches its progress, then kept as a file
under instance/jobs/ until it expires (JOB_KEEP_HOURS).

The row is the job's truth; the queue (Huey) only carries its id. A worker claims a row atomically
(queued → running, or running with a stale heartbeat → running again) so that a job never runs
twice at once, and a job whose worker died is found by its heartbeat and run again.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .plan import str_enum
from .types import UTCDateTime, utcnow
from .vocabulary import Vocabulary

if TYPE_CHECKING:
    from .user import User


class JobKind(Vocabulary):
    WARD_REPORT = "ward_report", _l("Báo cáo tổng hợp của phường (DOCX)")
    UPWARD_REPORT = "upward_report", _l("Báo cáo gửi Sở GD&ĐT (DOCX)")
    ROLLUP_XLSX = "rollup_xlsx", _l("Tổng hợp toàn phường (Excel)")
    ROLLUP_CSV = "rollup_csv", _l("Tổng hợp toàn phường (CSV)")
    EVIDENCE_ZIP = "evidence_zip", _l("Gói minh chứng của trường (ZIP)")


class JobStatus(Vocabulary):
    QUEUED = "queued", _l("Đang chờ"), "◷"
    RUNNING = "running", _l("Đang chuẩn bị"), "◔"
    DONE = "done", _l("Đã xong"), "✓"
    FAILED = "failed", _l("Không thành công"), "✗"
    EXPIRED = "expired", _l("Đã hết hạn"), "–"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.FAILED, JobStatus.EXPIRED)


class Job(Model):
    __table_args__ = (
        Index("ix_job_user_created", "user_id", "created_at"),
        Index("ix_job_status_heartbeat", "status", "heartbeat_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[JobKind] = mapped_column(str_enum(JobKind))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {"plan_id": 1, "school_id": 3, …}
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))  # who asked
    ward_id: Mapped[int] = mapped_column(ForeignKey("ward.id"), index=True)
    status: Mapped[JobStatus] = mapped_column(str_enum(JobStatus), default=JobStatus.QUEUED)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    step: Mapped[str] = mapped_column(String(200), default="")  # "Đang ghi trang tính Mốc 3", in Vietnamese
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # claims so far (a crashed worker's included)
    result_name: Mapped[str | None] = mapped_column(String(200))  # the download name
    content_type: Mapped[str | None] = mapped_column(String(120))
    stored_path: Mapped[str | None] = mapped_column(String(300))  # relative to instance/jobs/
    size: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)  # shown to the asker, in Vietnamese
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the running worker's last sign of life
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    user: Mapped["User"] = relationship()

    @property
    def percent(self) -> int:
        if self.status is JobStatus.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(100, self.progress_done * 100 // self.progress_total)

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind.value} {self.status.value}>"
