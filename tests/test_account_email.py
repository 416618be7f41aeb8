"""Accounts have an optional e-mail address (where reminders will go): kept by the admin form, the
accounts import and `create-user --email`, checked by one rule (inputs.clean_email) that says the
same thing everywhere, audited like the account's other fields."""

import html
import io
import re

import pytest
from helpers import PASSWORD, SCHOOL_A, text_of
from sqlalchemy import func, select

from aiplan.admin.samples import sample_csv, sample_xlsx
from aiplan.auth.services import create_user
from aiplan.extensions import db
from aiplan.inputs import BadEmail, clean_email
from aiplan.models import AuditEvent, Role, User, Ward

NEW_ACCOUNT = {"username": "nguyen.thi.hoa", "full_name": "Nguyễn Thị Hoa", "role": "viewer", "is_enabled": "y"}
BAD = "Địa chỉ e-mail không hợp lệ:"


def user(username) -> User | None:
    return db.session.scalar(select(User).filter_by(username=username))


def account_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)))


def user_events(app, action) -> list[AuditEvent]:
    with app.app_context():
        return db.session.scalars(select(AuditEvent).filter_by(action=action).order_by(AuditEvent.id)).all()


def version_of(client, url) -> str:
    page = client.get(url).get_data(as_text=True)
    return html.unescape(re.search(r'name="version" type="hidden" value="([^"]*)"', page).group(1))


@pytest.fixture
def admin(as_persona):
    return as_persona("ward_admin")


# -- the rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("", None),
        ("   ", None),
        (None, None),
        ("  Hoa.Nguyen@TH-Doan-Ket.EDU.vn ", "Hoa.Nguyen@th-doan-ket.edu.vn"),
        ("vanphong@gmail.com", "vanphong@gmail.com"),
    ],
)
def test_an_address_is_kept_trimmed_with_its_domain_lower_cased_and_blank_is_none(typed, stored):
    assert clean_email(typed) == stored


@pytest.mark.parametrize(
    "typed, reason",
    [
        ("hoa.nguyen", "thiếu dấu @"),
        ("hoa@", "không đúng dạng"),
        ("hoa@@truong.vn", "không đúng dạng"),
        ("hoa nguyen@truong.vn", "không đúng dạng"),
        ("hoa\x00@truong.vn", "ký tự điều khiển"),
        ("hoa\n@truong.vn", "ký tự điều khiển"),
        ("=hoa@truong.vn", "không được bắt đầu bằng"),
        ("a" * 250 + "@truong.vn", "dài quá 254 ký tự"),
    ],
)
def test_a_malformed_address_is_refused_with_a_vietnamese_reason(typed, reason):
    with pytest.raises(BadEmail) as refused:
        clean_email(typed)
    assert str(refused.value).startswith(BAD)
    assert reason in str(refused.value)


# -- the admin form -----------------------------------------------------------------------------


def test_the_form_offers_an_optional_email_field_with_its_hint(admin):
    page = admin.get("/admin/accounts/new").get_data(as_text=True)

    assert "E-mail (không bắt buộc)" in page
    field = re.search(r'<input[^>]*id="email"[^>]*>', page).group(0)
    assert 'type="email"' in field and 'autocomplete="email"' in field and "required" not in field
    assert "Nhắc việc và thông báo của hệ thống sẽ được gửi tới địa chỉ này" in page


def test_an_admin_creates_an_account_with_an_email_shown_in_the_list_and_audited(app, admin):
    response = admin.post("/admin/accounts/new", data=NEW_ACCOUNT | {"email": " Hoa@Truong.VN "})

    assert response.status_code == 200, text_of(response)
    with app.app_context():
        assert user("nguyen.thi.hoa").email == "Hoa@truong.vn"
    listing = admin.get("/admin/accounts").get_data(as_text=True)
    assert re.search(r'<td data-label="E-mail">\s*Hoa@truong.vn\s*</td>', listing)
    [created] = [e for e in user_events(app, "user.create") if e.after["username"] == "nguyen.thi.hoa"]
    assert created.after["email"] == "Hoa@truong.vn"


def test_a_blank_email_stays_none_and_the_list_shows_an_empty_card_row(app, admin):
    assert admin.post("/admin/accounts/new", data=NEW_ACCOUNT | {"email": "  "}).status_code == 200
    with app.app_context():
        assert user("nguyen.thi.hoa").email is None
    listing = admin.get("/admin/accounts").get_data(as_text=True)
    assert '<td data-label="E-mail" class="card-empty"></td>' in listing


def test_a_bad_address_is_refused_beside_its_field_and_nothing_is_saved(app, admin):
    before = account_count(app)

    response = admin.post("/admin/accounts/new", data=NEW_ACCOUNT | {"email": "hoa.truong.vn"})

    assert response.status_code == 422
    assert f"{BAD} 'hoa.truong.vn' thiếu dấu @" in text_of(response)
    assert 'aria-describedby="email-hint email-error"' in response.get_data(as_text=True)
    assert account_count(app) == before


def test_an_admin_edits_the_email_and_the_change_is_audited_before_and_after(app, admin):
    with app.app_context():
        account_id = user("canbo-a").id
    url = f"/admin/accounts/{account_id}"
    form = {"full_name": "Trần Văn An", "role": "school_staff", "is_enabled": "y"}
    with app.app_context():
        form["school"] = user("canbo-a").school_id

    saved = admin.post(url, data=form | {"email": "an@Doan-Ket.edu.vn", "version": version_of(admin, url)})

    assert saved.status_code == 303
    with app.app_context():
        assert user("canbo-a").email == "an@doan-ket.edu.vn"
    update = user_events(app, "user.update")[-1]
    assert update.before["email"] is None and update.after["email"] == "an@doan-ket.edu.vn"
    assert 'value="an@doan-ket.edu.vn"' in admin.get(url).get_data(as_text=True)

    events = len(user_events(app, "user.update"))
    refused = admin.post(url, data=form | {"email": "an@", "version": version_of(admin, url)})
    assert refused.status_code == 422 and BAD in text_of(refused)
    cleared = admin.post(url, data=form | {"email": "", "version": version_of(admin, url)})
    assert cleared.status_code == 303
    with app.app_context():
        assert user("canbo-a").email is None
    assert len(user_events(app, "user.update")) == events + 1


def test_a_form_shown_before_someone_changed_the_email_is_stale(app, admin, as_persona):
    with app.app_context():
        create_user("admin2", Role.WARD_ADMIN, PASSWORD, ward=db.session.scalar(select(Ward)))
        account = user("canbo-a")
        url, school = f"/admin/accounts/{account.id}", account.school_id
    second = app.test_client()
    assert second.post("/login", data={"username": "admin2", "password": PASSWORD}).status_code == 302
    form = {"full_name": "Trần Văn An", "role": "school_staff", "school": school, "is_enabled": "y"}
    first_version, second_version = version_of(admin, url), version_of(second, url)

    assert admin.post(url, data=form | {"email": "an@truong.vn", "version": first_version}).status_code == 303
    refused = second.post(url, data=form | {"email": "khac@truong.vn", "version": second_version})

    assert refused.status_code == 409
    assert "E-mail (không bắt buộc) an@truong.vn" in text_of(refused)
    with app.app_context():
        assert user("canbo-a").email == "an@truong.vn"


# -- the import ---------------------------------------------------------------------------------


def upload(client, content: str | bytes, name="danh-sach.csv"):
    raw = content.encode("utf-8") if isinstance(content, str) else content
    return client.post("/admin/import", data={"file": (io.BytesIO(raw), name)}, content_type="multipart/form-data")


def confirm(client, preview):
    page = preview.get_data(as_text=True)
    fields = {n: re.search(rf'name="{n}" type="hidden" value="([^"]+)"', page).group(1) for n in ("token", "sha256")}
    return client.post("/admin/import/confirm", data=fields)


HEADER = "tên đăng nhập,họ tên,vai trò,trường,hoạt động,email\n"


def test_an_accounts_file_with_an_email_column_sets_and_updates_addresses(app, admin):
    with app.app_context():
        user("canbo-a").email = "cu@truong.vn"
        db.session.commit()
    content = (
        HEADER
        + "tran.van.an,Trần Văn An,Cán bộ nhà trường,th-doan-ket,có, An@Doan-Ket.EDU.vn \n"
        + "le.thi.binh,Lê Thị Bình,Lãnh đạo,,có,\n"
        + f"canbo-a,Cán bộ A,Cán bộ nhà trường,{SCHOOL_A},có,moi@truong.vn\n"
    )
    with app.app_context():
        user("canbo-a").full_name = "Cán bộ A"
        db.session.commit()

    preview = upload(admin, content)
    assert preview.status_code == 200, text_of(preview)
    assert "An@doan-ket.edu.vn" in text_of(preview)
    done = confirm(admin, preview)

    assert done.status_code == 200
    with app.app_context():
        assert user("tran.van.an").email == "An@doan-ket.edu.vn"
        assert user("le.thi.binh").email is None
        assert user("canbo-a").email == "moi@truong.vn"
    update = [e for e in user_events(app, "user.update") if e.after.get("email") == "moi@truong.vn"]
    assert update and update[0].before["email"] == "cu@truong.vn"


def test_a_file_without_the_email_column_keeps_the_addresses_it_does_not_name(app, admin):
    with app.app_context():
        account = user("canbo-a")
        account.email, account.full_name = "cu@truong.vn", "Cán bộ A"
        db.session.commit()
    content = "tên đăng nhập,họ tên,vai trò,trường,hoạt động\n" + f"canbo-a,Cán bộ A mới,school_staff,{SCHOOL_A},có\n"

    assert confirm(admin, upload(admin, content)).status_code == 200

    with app.app_context():
        assert (user("canbo-a").full_name, user("canbo-a").email) == ("Cán bộ A mới", "cu@truong.vn")


def test_one_bad_address_imports_nothing_and_names_its_row_and_column(app, admin):
    before = account_count(app)
    content = (
        HEADER
        + "tran.van.an,Trần Văn An,Cán bộ nhà trường,th-doan-ket,có,an@truong.vn\n"
        + "le.thi.binh,Lê Thị Bình,Lãnh đạo,,có,binh.truong.vn\n"
    )

    preview = upload(admin, content)

    assert preview.status_code == 422
    assert f"Dòng 3 cột email: {BAD} 'binh.truong.vn' thiếu dấu @" in text_of(preview).replace(",", "")
    assert "/admin/import/confirm" not in preview.get_data(as_text=True)
    assert account_count(app) == before


def test_the_sample_files_carry_the_email_column_and_import(app, admin):
    assert sample_csv("tai-khoan").decode("utf-8-sig").splitlines()[0].endswith(",email")
    preview = upload(admin, sample_xlsx(), "mau.xlsx")
    assert preview.status_code == 200, text_of(preview)
    assert confirm(admin, preview).status_code == 200
    with app.app_context():
        assert user("nguyen.van.vidu").email == "nguyen.van.vidu@th-vi-du.edu.vn"
        assert user("tran.thi.vidu").email is None


# -- create-user --------------------------------------------------------------------------------

NEW_PASSWORD = "mot-mat-khau-du-dai"


def test_create_user_keeps_the_email_given(app, runner):
    result = runner.invoke(
        args=["create-user", "lanhdao-2", "--role", "viewer", "--email", "LanhDao@UBND.vn", "--password-stdin"],
        input=NEW_PASSWORD + "\n",
    )

    assert result.exit_code == 0, result.output
    with app.app_context():
        assert user("lanhdao-2").email == "LanhDao@ubnd.vn"


def test_create_user_refuses_a_bad_email_like_its_other_refusals(app, runner):
    result = runner.invoke(
        args=["create-user", "lanhdao-2", "--role", "viewer", "--email", "lanhdao@", "--password-stdin"],
        input=NEW_PASSWORD + "\n",
    )

    assert result.exit_code == 1
    assert "Lỗi: không tạo được tài khoản" in result.output
    assert f"{BAD} 'lanhdao@' không đúng dạng" in result.output
    with app.app_context():
        assert user("lanhdao-2") is None


def test_create_user_help_names_the_email_option(runner):
    result = runner.invoke(args=["create-user", "--help"])
    assert "--email" in result.output and "e-mail" in result.output
