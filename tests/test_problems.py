"""Problems raised (issue 17, part 7): a school raises a problem with files and a linked item, the
Phòng VHXH answers, assigns, closes and reopens it, both sides see the thread; supervisors and
viewers read; another school sees nothing; every write is audited; the rollup, its exports, the
ward page and both reports show them."""

import io
import json

from helpers import SCHOOL_A, SCHOOL_B, text_of
from openpyxl import load_workbook
from sqlalchemy import select

from aiplan.evidence.integrity import compare_store
from aiplan.extensions import db
from aiplan.models import (
    AuditEvent,
    ChecklistItem,
    Notification,
    NotificationKind,
    Problem,
    ProblemFile,
    ProblemStatus,
    School,
    User,
)

PDF = b"%PDF-1.4\n%vuong mac\n%%EOF\n"


def item_id(key="m3", slug=SCHOOL_A) -> int:
    return db.session.scalar(select(ChecklistItem.id).join(School).where(School.slug == slug, ChecklistItem.key == key))


def raise_one(app, client, subject="Thiếu máy tính cho lớp thí điểm", files=(), item=True):
    """Post a problem; `item`: True for school A's milestone 3, False for none, or an item id."""
    with app.app_context():
        linked = str(item_id()) if item is True else (str(item) if item else "")
    data = {"subject": subject, "details": "Phòng máy chỉ có 10 máy chạy được.", "item": linked}
    data["file"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(f"/schools/{SCHOOL_A}/problems", data=data, content_type="multipart/form-data")


def only_problem(app) -> Problem:
    with app.app_context():
        problem = db.session.scalar(select(Problem))
        assert problem is not None
        db.session.expunge(problem)
        return problem


def actions(app) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent.action).where(AuditEvent.action.like("problem.%")).order_by(AuditEvent.id)
            )
        )


def test_a_school_raises_a_problem_with_a_file_and_an_item_and_the_ward_sees_it(app, as_persona):
    response = raise_one(app, as_persona("staff_a"), files=[("de-nghi.pdf", PDF)])
    assert response.status_code == 303
    problem = only_problem(app)
    assert response.location.endswith(f"/problems/{problem.id}")
    assert problem.status is ProblemStatus.OPEN and problem.item_id is not None
    with app.app_context():
        [file] = db.session.scalars(select(ProblemFile)).all()
        assert file.original_name == "de-nghi.pdf" and file.content_type == "application/pdf"
        # The evidence store's check counts the file's bytes as named, not as an orphan.
        assert file.sha256 not in compare_store(quick=True).orphans
    assert actions(app) == ["problem.raise"]
    for persona in ("ward_admin", "supervisor", "viewer", "staff_a"):
        page = text_of(as_persona(persona).get(f"/problems/{problem.id}"))
        assert "Thiếu máy tính cho lớp thí điểm" in page and "Phòng máy chỉ có 10 máy" in page, persona
        download = as_persona(persona).get(f"/problems/{problem.id}/files/{file.id}")
        assert download.status_code == 200 and download.data == PDF, persona
        assert download.headers["Content-Disposition"].startswith("attachment")
    ward = text_of(as_persona("ward_admin").get("/problems"))
    assert "Thiếu máy tính cho lớp thí điểm" in ward and "Trường Tiểu học Đoàn Kết" in ward
    assert "1 vướng mắc đang chờ xử lý" in text_of(as_persona("ward_admin").get("/ward"))


def test_another_school_sees_nothing_of_it(app, as_persona):
    raise_one(app, as_persona("staff_a"), files=[("de-nghi.pdf", PDF)])
    problem = only_problem(app)
    with app.app_context():
        file_id = db.session.scalar(select(ProblemFile.id))
    other = as_persona("staff_b")
    assert other.get(f"/problems/{problem.id}").status_code == 403
    assert other.get(f"/problems/{problem.id}/files/{file_id}").status_code == 403
    assert other.get(f"/schools/{SCHOOL_A}/problems").status_code == 403
    assert other.post(f"/problems/{problem.id}/messages", data={"body": "?"}).status_code == 403
    assert "Thiếu máy tính" not in text_of(other.get(f"/schools/{SCHOOL_B}/problems"))
    assert other.get("/problems").status_code == 403


def test_a_refused_file_stores_nothing_and_says_which(app, as_persona):
    response = raise_one(app, as_persona("staff_a"), files=[("chay.exe", b"MZ" + b"\0" * 100)])
    assert response.status_code == 422
    assert "chay.exe" in text_of(response) and "Chưa gửi vướng mắc" in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(Problem)) is None and db.session.scalar(select(ProblemFile)) is None
    assert actions(app) == []


def test_a_problem_without_subject_or_with_another_schools_item_is_refused(app, as_persona):
    client = as_persona("staff_a")
    response = raise_one(app, client, subject="")
    assert response.status_code == 422 and "Hãy ghi vấn đề vướng mắc" in text_of(response)
    with app.app_context():
        foreign = item_id(slug=SCHOOL_B)
    response = raise_one(app, client, item=foreign)
    assert response.status_code == 422 and "Mục việc liên quan phải là một mục của nhà trường" in text_of(response)
    assert actions(app) == []


def test_the_ward_answers_assigns_closes_and_reopens_and_the_school_reads_the_thread(app, as_persona):
    raise_one(app, as_persona("staff_a"))
    problem = only_problem(app)
    admin = as_persona("ward_admin")
    assert admin.post(f"/problems/{problem.id}/messages", data={"body": "Phường sẽ bổ sung 5 máy."}).status_code == 303
    with app.app_context():
        admin_id = db.session.scalar(select(User.id).filter_by(username="admin"))
    response = admin.post(f"/problems/{problem.id}/assign", data={"assignee": str(admin_id), "version": "1"})
    assert response.status_code == 303
    # A second officer's form, loaded before the assignment: refused, nothing changed.
    assert admin.post(f"/problems/{problem.id}/status", data={"status": "da_dong", "version": "1"}).status_code == 409
    assert only_problem(app).status is ProblemStatus.OPEN
    assert admin.post(f"/problems/{problem.id}/status", data={"status": "da_dong", "version": "2"}).status_code == 303
    closed = only_problem(app)
    assert closed.status is ProblemStatus.CLOSED and closed.closed_at is not None
    school_view = text_of(as_persona("staff_a").get(f"/problems/{problem.id}"))
    assert "Phường sẽ bổ sung 5 máy." in school_view and "Đã đóng" in school_view and "admin" in school_view
    # Closed: no more messages until the ward reopens it.
    staff = as_persona("staff_a")
    assert staff.post(f"/problems/{problem.id}/messages", data={"body": "Cảm ơn"}).status_code == 409
    assert admin.post(f"/problems/{problem.id}/status", data={"status": "dang_mo", "version": "3"}).status_code == 303
    assert staff.post(f"/problems/{problem.id}/messages", data={"body": "Cảm ơn"}).status_code == 303
    assert actions(app) == [
        "problem.raise",
        "problem.message",
        "problem.assign",
        "problem.close",
        "problem.reopen",
        "problem.message",
    ]


def test_only_ward_admins_assign_and_close(app, as_persona):
    raise_one(app, as_persona("staff_a"))
    problem = only_problem(app)
    for persona in ("staff_a", "supervisor", "viewer"):
        client = as_persona(persona)
        assert (
            client.post(f"/problems/{problem.id}/status", data={"status": "da_dong", "version": "1"}).status_code == 403
        )
        assert client.post(f"/problems/{problem.id}/assign", data={"assignee": "", "version": "1"}).status_code == 403
    for persona in ("supervisor", "viewer"):
        assert as_persona(persona).post(f"/problems/{problem.id}/messages", data={"body": "x"}).status_code == 403
    with app.app_context():
        staff_id = db.session.scalar(select(User.id).filter_by(username="canbo-a"))
    response = as_persona("ward_admin").post(
        f"/problems/{problem.id}/assign", data={"assignee": str(staff_id), "version": "1"}
    )
    assert response.status_code == 422 and "Chỉ giao cho cán bộ Phòng VHXH" in text_of(response)
    assert only_problem(app).status is ProblemStatus.OPEN and only_problem(app).assignee_id is None
    assert actions(app) == ["problem.raise"]


def test_the_rollup_its_exports_and_the_reports_show_the_problems(app, as_persona):
    staff = as_persona("staff_a")
    raise_one(app, staff, subject="Thiếu máy tính cho lớp thí điểm")
    raise_one(app, staff, subject="Chưa có tài liệu tập huấn", item=False)
    admin = as_persona("ward_admin")
    with app.app_context():
        closed_id = db.session.scalar(select(Problem.id).filter_by(subject="Chưa có tài liệu tập huấn"))
    admin.post(f"/problems/{closed_id}/status", data={"status": "da_dong", "version": "1"})
    rollup = text_of(admin.get("/rollup"))
    assert "Vướng mắc đang chờ xử lý 1" in rollup
    data = json.loads(admin.get("/rollup.json").get_data(as_text=True))
    mine = next(s for s in data["duties"]["schools"] if s["slug"] == SCHOOL_A)
    assert (mine["problems_open"], mine["problems_closed"], mine["oldest_open_problem_days"]) == (1, 1, 0)
    assert data["duties"]["totals"]["problems_open"] == 1
    book = load_workbook(io.BytesIO(admin.get("/rollup.xlsx").data), read_only=True)
    rows = {row[1]: row for row in book["Phân công, vướng mắc"].iter_rows(min_row=4, values_only=True)}
    assert rows[SCHOOL_A][4:7] == (1, 1, 0)
    # The ward's report lists the open one under "Khó khăn, vướng mắc", after what the ward wrote.
    report = text_of(admin.get("/ward/report"))
    difficulties = report.split("1. Khó khăn, vướng mắc", 1)[1].split("2. Đề xuất, kiến nghị", 1)[0]
    assert "đã giải quyết, đóng: 1; đang xử lý: 1" in difficulties
    assert "Trường Tiểu học Đoàn Kết: Thiếu máy tính cho lớp thí điểm" in difficulties
    assert "Chưa có tài liệu tập huấn" not in difficulties
    school_report = text_of(admin.get(f"/schools/{SCHOOL_A}/report"))
    assert "Thiếu máy tính cho lớp thí điểm" in school_report.split("1. Khó khăn, vướng mắc", 1)[1]


def test_the_schools_history_says_who_raised_answered_and_closed_it(app, as_persona):
    raise_one(app, as_persona("staff_a"))
    problem = only_problem(app)
    admin = as_persona("ward_admin")
    admin.post(f"/problems/{problem.id}/messages", data={"body": "Đã nhận."})
    admin.post(f"/problems/{problem.id}/status", data={"status": "da_dong", "version": "1"})
    history = text_of(admin.get(f"/schools/{SCHOOL_A}/history"))
    for words in ("Báo cáo vướng mắc", "Trả lời vướng mắc", "Đóng vướng mắc", "Thiếu máy tính cho lớp thí điểm"):
        assert words in history, words


def test_the_ward_list_and_a_thread_run_a_fixed_number_of_queries(app, as_persona, count_queries):
    staff, admin = as_persona("staff_a"), as_persona("ward_admin")
    raise_one(app, staff, files=[("a.pdf", PDF)])
    problem = only_problem(app)
    with count_queries() as one:
        assert admin.get("/problems").status_code == 200
    with count_queries() as thread_small:
        assert admin.get(f"/problems/{problem.id}").status_code == 200
    for number in range(5):
        raise_one(app, staff, subject=f"Vướng mắc {number}", files=[(f"{number}.pdf", PDF)])
        admin.post(f"/problems/{problem.id}/messages", data={"body": f"Trả lời {number}"})
        staff.post(f"/problems/{problem.id}/messages", data={"body": f"Hỏi lại {number}"})
    with count_queries() as many:
        assert admin.get("/problems").status_code == 200
    with count_queries() as thread_large:
        assert admin.get(f"/problems/{problem.id}").status_code == 200
    assert many.count == one.count, many.statements
    assert thread_large.count == thread_small.count, thread_large.statements


def test_each_side_of_a_problem_is_told_on_its_bell(app, as_persona):
    """Raised: the ward's admins are told; the ward answers: the school's staff; the school writes
    back: the ward admin handling it only. Nobody is told of their own message."""

    def told(username: str) -> list[Notification]:
        with app.app_context():
            user = db.session.scalar(select(User).filter_by(username=username))
            return list(
                db.session.scalars(select(Notification).filter_by(user_id=user.id, kind=NotificationKind.PROBLEM))
            )

    staff = as_persona("staff_a")
    assert raise_one(app, staff).status_code == 303
    problem = only_problem(app)
    [raised] = told("admin")
    assert "Trường Tiểu học Đoàn Kết báo cáo vướng mắc" in raised.title and raised.url == f"/problems/{problem.id}"
    assert told("canbo-a") == [] and told("canbo-b") == [] and told("giamsat") == []

    ward = as_persona("ward_admin")
    assert (
        ward.post(f"/problems/{problem.id}/messages", data={"body": "Phường sẽ điều chuyển 5 máy."}).status_code == 303
    )
    [answer] = told("canbo-a")
    assert "Phòng VHXH trả lời" in answer.title and "điều chuyển 5 máy" in answer.body
    assert told("canbo-b") == [] and len(told("admin")) == 1

    staff = as_persona("staff_a")
    assert staff.post(f"/problems/{problem.id}/messages", data={"body": "Cảm ơn, chúng tôi chờ."}).status_code == 303
    assert len(told("admin")) == 2 and len(told("canbo-a")) == 1
