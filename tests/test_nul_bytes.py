"""NUL (U+0000) never reaches the database: PostgreSQL refuses it with an error (a 500 before), and
SQLite kept it silently. Refused wherever it comes in — the URL, query, form, file names, headers,
imported cells and plan files — with a Vietnamese message, on both databases, and nothing changes."""

import io
import re
import zipfile

import pytest
from helpers import text_of
from openpyxl import Workbook
from sqlalchemy import select
from test_admin_import import upload
from test_backup import all_rows

from aiplan.admin.import_plan import plan_import
from aiplan.documents.tables import Table
from aiplan.extensions import db
from aiplan.models import Ward
from aiplan.plans.services import BUNDLED_PLAN

NUL_PAGE = "ký tự NUL"  # inputs.NUL_TEXT on the error page
CELL = "ô chứa ký tự NUL (mã 0)"  # inputs.cell_problem, for every import
SCHOOLS = "slug,tên trường,cấp học\nth-nul,Trường Tiểu học\x00 Ngọc Thụy,tiểu học\n"
PLAN_WITH_NUL = BUNDLED_PLAN.read_text("utf-8").replace(
    'signer = "Phạm Thị Bích Hằng"', 'signer = "Phạm Thị\\u0000 Bích Hằng"'
)
PLAN_MESSAGE = "[plan]: trường 'signer' chứa ký tự NUL"


def _paths_with_a_nul(app) -> list[tuple[str, str]]:
    """(method, URL) for every route with a text variable in its path, that variable set to %00."""
    found = []
    for rule in app.url_map.iter_rules():
        texts = [name for name, converter in rule._converters.items() if converter.regex != r"\d+"]
        if rule.endpoint == "static" or not texts:
            continue
        url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m, texts=texts: "%00" if m[1] in texts else "1", rule.rule)
        found.append(("GET" if "GET" in rule.methods else "POST", url))
    return found


@pytest.mark.parametrize("persona", ["ward_admin", "staff_a", "supervisor"])
def test_every_route_with_text_in_its_path_refuses_a_nul_with_a_page(app, as_persona, persona):
    client = as_persona(persona)
    paths = _paths_with_a_nul(app)
    assert len(paths) >= 6
    before = all_rows(app)
    for method, url in paths:
        response = client.open(url, method=method)
        assert response.status_code in (400, 404), (url, response.status_code)
        assert response.mimetype == "text/html" and "<h1" in response.get_data(as_text=True), url
    assert all_rows(app) == before


@pytest.mark.parametrize("how", ["query-key", "form-key", "file-name", "header", "cookie"])
def test_a_nul_anywhere_else_in_a_request_is_refused_with_a_message(app, as_persona, how):
    client = as_persona("ward_admin")
    before = all_rows(app)
    if how == "query-key":
        response = client.get("/schools?%00=1")
    elif how == "form-key":
        response = client.post("/year", data={"nam": "2025-2026", "\x00": "1"})
    elif how == "file-name":
        response = upload(client, "slug,tên trường,cấp học\nth-moi,Trường Mới,tiểu học\n", name="danh\x00sach.csv")
    elif how == "header":
        response = client.get("/schools", headers={"HX-Target": "item-\x00"})
    else:  # a client that keeps cookies replaces this header with its own jar
        response = app.test_client(use_cookies=False).get("/login", headers={"Cookie": "lang=vi\x00"})

    assert response.status_code == 400
    assert NUL_PAGE in response.get_data(as_text=True)
    assert all_rows(app) == before


def test_a_csv_with_a_nul_cell_is_refused_by_row_and_nothing_is_imported(app, as_persona):
    admin = as_persona("ward_admin")
    before = all_rows(app)
    response = upload(admin, SCHOOLS)

    assert response.status_code == 422
    assert f"Dòng 2, cột tên trường: {CELL}" in text_of(response)
    assert all_rows(app) == before


def test_an_xlsx_sheet_with_a_nul_cell_is_refused_by_row(app):
    """A workbook's XML cannot hold NUL itself (see the next test), but every table read from one goes
    through the same cell check as a CSV's."""
    table = Table(
        sheet="Trường",
        rows=[(1, ["slug", "tên trường", "cấp học"]), (2, ["th-nul", "Trường\x00 Ngọc Thụy", "tiểu học"])],
    )
    with app.app_context():
        planned = plan_import(db.session.scalar(select(Ward)), [table])

    assert any(p.startswith(f"Trang tính “Trường”, dòng 2, cột tên trường: {CELL}") for p in planned.problems)
    assert not planned.ok


def test_an_xlsx_whose_cell_holds_a_nul_reference_is_refused_and_nothing_is_imported(app, as_persona):
    workbook = Workbook()
    workbook.active.append(["slug", "tên trường", "cấp học"])
    workbook.active.append(["th-nul", "NULCELL", "tiểu học"])
    plain, broken = io.BytesIO(), io.BytesIO()
    workbook.save(plain)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(broken, "w") as target:
        for name in source.namelist():
            target.writestr(name, source.read(name).replace(b"NULCELL", b"Tr&#0;uong"))
    admin = as_persona("ward_admin")
    before = all_rows(app)

    response = upload(admin, broken.getvalue(), name="truong.xlsx")

    assert response.status_code == 422
    assert "Không đọc được tệp XLSX" in text_of(response)
    assert all_rows(app) == before


def test_import_schools_on_the_command_line_refuses_a_nul_cell_and_imports_nothing(app, runner, tmp_path):
    path = tmp_path / "truong.csv"
    path.write_text(SCHOOLS, encoding="utf-8")
    before = all_rows(app)

    result = runner.invoke(args=["import-schools", str(path)])

    assert result.exit_code == 1
    assert f"  - Dòng 2, cột tên trường: {CELL}" in result.output
    assert all_rows(app) == before


def test_load_plan_refuses_a_plan_file_holding_a_nul_and_names_the_field(app, runner, tmp_path):
    path = tmp_path / "ke-hoach.toml"
    path.write_text(PLAN_WITH_NUL, encoding="utf-8")
    before = all_rows(app)

    result = runner.invoke(args=["load-plan", str(path)])

    assert result.exit_code == 1
    assert f"  - {PLAN_MESSAGE}" in result.output
    assert all_rows(app) == before


def test_the_plan_upload_refuses_a_plan_file_holding_a_nul_and_names_the_field(app, as_persona):
    admin = as_persona("ward_admin")
    before = all_rows(app)
    response = admin.post(
        "/admin/plan/upload",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(PLAN_WITH_NUL.encode()), "ke-hoach.toml")},
    )

    assert response.status_code == 422
    assert PLAN_MESSAGE in text_of(response)
    assert all_rows(app) == before


@pytest.mark.parametrize(
    "old, new, message",
    [
        ('number = "/KH-UBND"', 'number = "' + "1" * 81 + '/KH-UBND"', "[plan]: trường 'number' dài quá 80 ký tự"),
        (
            'signer = "Phạm Thị Bích Hằng"',
            'signer = "' + "Hằng " * 41 + '"',
            "[plan]: trường 'signer' dài quá 200 ký tự",
        ),
    ],
)
def test_a_plan_file_with_text_longer_than_the_database_keeps_is_refused_by_field(app, as_persona, old, new, message):
    """The same class as NUL: PostgreSQL refuses what its column cannot hold (a 500), SQLite kept it."""
    admin = as_persona("ward_admin")
    before = all_rows(app)
    response = admin.post(
        "/admin/plan/upload",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(BUNDLED_PLAN.read_text("utf-8").replace(old, new).encode()), "ke-hoach.toml")},
    )

    assert response.status_code == 422
    assert message in text_of(response)
    assert all_rows(app) == before
