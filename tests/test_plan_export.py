"""The plan as a plan file, and a plan file loaded from the browser: the export reads back as the
same plan (and reloads as "không có thay đổi"); the upload checks and reports exactly as
`flask load-plan` does, for the ward admins of the file's own ward only."""

import dataclasses
import html
import io
import tomllib

import pytest
from sqlalchemy import func, select
from test_plan_editing import M8, html_of, post, snapshot

from aiplan.extensions import db
from aiplan.models import AuditEvent, Ward
from aiplan.plans.export import value
from aiplan.plans.services import BUNDLED_PLAN
from aiplan.plans.spec import PlanSpec, read_plan_file

EXPORT, UPLOAD = "/admin/plan/2025-2026.toml", "/admin/plan/upload"
PLAN_TEXT = BUNDLED_PLAN.read_text(encoding="utf-8")


def upload(client, raw: bytes, name: str = "ke-hoach.toml", **fields):
    return client.post(UPLOAD, data={"file": (io.BytesIO(raw), name)} | fields, content_type="multipart/form-data")


def exported(client, tmp_path) -> PlanSpec:
    response = client.get(EXPORT)
    assert response.status_code == 200
    path = tmp_path / "xuat.toml"
    path.write_bytes(response.data)
    return read_plan_file(path)


def test_the_exported_bundled_plan_reads_back_field_by_field_as_the_bundled_file(app, as_persona, tmp_path):
    response = as_persona("ward_admin").get(EXPORT)
    assert response.headers["Content-Type"] == "application/toml; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=ke-hoach-long-bien-2025-2026.toml")
    spec, bundled = exported(as_persona("ward_admin"), tmp_path), read_plan_file(BUNDLED_PLAN)
    for field in dataclasses.fields(PlanSpec):
        if field.name not in ("source_name", "sha256"):
            assert getattr(spec, field.name) == getattr(bundled, field.name), field.name


def test_an_edit_shows_in_the_export_and_loading_the_export_changes_nothing(app, as_persona, runner, tmp_path):
    admin = as_persona("ward_admin")
    edited = post(admin, "/admin/plan/2025-2026/milestones/8", M8 | {"title": "Báo cáo kết quả (đã sửa)"})
    assert edited.status_code == 303
    assert [m.title for m in exported(admin, tmp_path).milestones][7] == "Báo cáo kết quả (đã sửa)"
    raw = admin.get(EXPORT).data
    before = snapshot(app)
    response = upload(admin, raw, "xuat.toml")
    assert response.status_code == 200
    assert "Kế hoạch năm học 2025-2026 (xuat.toml): không có thay đổi." in html_of(response)
    path = tmp_path / "xuat.toml"
    path.write_bytes(raw)
    assert "không có thay đổi" in runner.invoke(args=["load-plan", str(path)]).output
    assert snapshot(app) == before


BROKEN = (
    ('timing = "giua_hk2"', 'timing = "giua_ky"'),
    ("stt = 4", "stt = 1"),
    ("hk1_end = 2026-01-17", "hk1_end = 2025-08-17"),
    ('yearly_before = "09/06"', 'yearly_before = "31/02"'),
)


def test_a_broken_file_is_refused_with_the_same_problems_as_the_command_line(app, as_persona, runner, tmp_path):
    text = PLAN_TEXT
    for old, new in BROKEN:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / "hong.toml"
    path.write_text(text, encoding="utf-8")
    cli = runner.invoke(args=["load-plan", str(path)])
    problems = [line[4:] for line in cli.output.splitlines() if line.startswith("  - ")]
    assert cli.exit_code == 1 and len(problems) >= 4
    admin = as_persona("ward_admin")
    before = snapshot(app)
    response = upload(admin, path.read_bytes(), "hong.toml")
    body = html.unescape(html_of(response))
    assert response.status_code == 422
    assert "Không nạp được kế hoạch từ hong.toml; chưa có gì thay đổi" in body
    for problem in problems:
        assert f"<li>{problem}</li>" in body
    assert snapshot(app) == before


@pytest.mark.parametrize(
    "raw, problem",
    [
        (b"format = 1\n[ward\n", "sai cú pháp TOML ở dòng 2"),
        ("format = 1".encode("utf-16"), "tệp không phải văn bản UTF-8"),
        (
            PLAN_TEXT.replace('slug = "long-bien"', 'slug = "phuong-khac"').encode(),
            "[ward]: tệp là kế hoạch của phường 'phuong-khac', không phải của Phường Long Biên",
        ),
        (b"x" * (1024 * 1024 + 1), "tệp lớn hơn 1024 KB"),
    ],
)
def test_a_file_that_is_not_a_plan_of_the_ward_is_refused_and_nothing_changes(app, as_persona, raw, problem):
    admin = as_persona("ward_admin")
    before = snapshot(app)
    response = upload(admin, raw)
    assert response.status_code == 422
    assert problem in html.unescape(html_of(response))
    assert snapshot(app) == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ward)) == 1


def test_an_upload_without_a_file_asks_for_one(app, as_persona):
    response = as_persona("ward_admin").post(UPLOAD, data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Chọn một tệp kế hoạch .toml để nạp." in html_of(response)


def test_a_changed_plan_file_is_loaded_and_its_report_shown(app, as_persona):
    raw = PLAN_TEXT.replace('title = "Tổ chức hội nghị/hội thảo', 'title = "Tổ chức hội nghị trực tuyến/hội thảo', 1)
    # …and a real contradiction in its chain: the schools' report due after the synthesis of it.
    raw = raw.replace("before = 2026-06-09", "before = 2026-06-13", 1)
    response = upload(as_persona("ward_admin"), raw.encode(), "sua-moc-2.toml")
    body = html.unescape(html_of(response))
    assert response.status_code == 200
    assert "Đã nạp kế hoạch năm học 2025-2026 từ sua-moc-2.toml" in body
    assert "9 mốc, 3 chỉ tiêu; thêm 0 mục việc." in body
    assert "mốc 2" in body and "Lưu ý" in body and "muộn hơn" in body  # the plan's own contradiction, shown
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).filter_by(action="plan.load").order_by(AuditEvent.id.desc()))
        assert event.actor_name == "admin"
        assert event.after["changed"] == ["thời hạn bao-cao-co-so", "mốc 2"]


@pytest.mark.parametrize("role", ["anonymous", "staff_a", "staff_b", "supervisor", "viewer"])
def test_only_ward_admins_may_load_a_plan_file(app, as_persona, role):
    client = as_persona(None if role == "anonymous" else role)
    before = snapshot(app)
    raw = PLAN_TEXT.replace("Ban hành Kế hoạch", "Ban hành Kế hoạch mới", 1).encode()
    response = upload(client, raw)
    assert response.status_code == (302 if role == "anonymous" else 403)
    assert snapshot(app) == before


@pytest.mark.parametrize("text", ['"trích dẫn" và \\ gạch', "dòng 1\ndòng 2\ttab", "\x00\x1f\x7f", "Đoàn Kết 🙂", ""])
def test_strings_are_written_as_toml_that_reads_back_the_same(text):
    assert tomllib.loads(f"x = {value(text)}")["x"] == text
