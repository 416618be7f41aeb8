"""Reach across a city: two wards of Hà Nội and one of another city, each with its accounts, and the
Sở's accounts above them. One helper (access.visible_school_ids / can_read_ward) decides it all."""

from dataclasses import replace

import pytest
from helpers import PASSWORD, SCHOOL_A, WARD_SLUG, text_of
from sqlalchemy import func, select

from aiplan.access import visible_school_ids, visible_ward_ids
from aiplan.admin.schools import import_schools
from aiplan.auth.services import AccountError, create_user
from aiplan.extensions import db
from aiplan.models import City, Role, School, SchoolLevel, User, Ward
from aiplan.plans.services import BUNDLED_PLAN, load_plan
from aiplan.plans.spec import read_plan_file

pytestmark = pytest.mark.usefixtures("two_cities")


def _ward_with_plan(spec, slug: str, name: str, city: str) -> Ward:
    """A ward with its own copy of the bundled plan (as generate-demo makes one)."""
    place = name.split(" ", 1)[1]
    load_plan(
        replace(spec, ward={**spec.ward, "slug": slug, "name": name, "city": city, "authority": f"UBND phường {place}"})
    )
    return db.session.scalar(select(Ward).filter_by(slug=slug))


@pytest.fixture
def two_cities(app):
    """Phúc Lợi beside Long Biên in Hà Nội, with a school whose slug Long Biên also uses; Hải Châu
    in Đà Nẵng with its own Sở account. Each ward has its plan and an admin."""
    with app.app_context():
        spec = read_plan_file(BUNDLED_PLAN)
        phuc_loi = _ward_with_plan(spec, "phuc-loi", "Phường Phúc Lợi", "Thành phố Hà Nội")
        hai_chau = _ward_with_plan(spec, "hai-chau", "Phường Hải Châu", "Thành phố Đà Nẵng")
        import_schools(
            phuc_loi,
            [
                {
                    "slug": SCHOOL_A,
                    "code": "01000777",
                    "name": "Trường Tiểu học Phúc Lợi",
                    "level": SchoolLevel.TIEU_HOC,
                },
                {"slug": "thcs-phuc-loi", "name": "Trường THCS Phúc Lợi", "level": SchoolLevel.THCS},
            ],
        )
        import_schools(
            hai_chau, [{"slug": "th-hai-chau", "name": "Trường Tiểu học Hải Châu", "level": SchoolLevel.TIEU_HOC}]
        )
        create_user("admin-phucloi", Role.WARD_ADMIN, PASSWORD, ward=phuc_loi)
        create_user("so-danang", Role.CITY_ADMIN, PASSWORD, city=hai_chau.city_unit)
        create_user("lanhdao-so", Role.CITY_VIEWER, PASSWORD, city=phuc_loi.city_unit)


def signed_in(app, username: str):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def test_the_city_lists_its_own_wards_only(app, as_persona):
    page = text_of(as_persona("city_admin").get("/city"))

    assert "Phường Long Biên" in page and "Phường Phúc Lợi" in page
    assert "Hải Châu" not in page
    assert "Phường Long Biên" in text_of(signed_in(app, "lanhdao-so").get("/city"))
    other = text_of(signed_in(app, "so-danang").get("/city"))
    assert "Phường Hải Châu" in other and "Long Biên" not in other


def test_a_city_account_drills_into_a_ward_then_reads_that_wards_school_of_the_same_slug(app):
    client = signed_in(app, "lanhdao-so")
    # Before choosing a ward, the ward's pages send it to choose one.
    response = client.get("/rollup")
    assert response.status_code == 302 and response.location.endswith("/city")

    assert client.get("/city/wards/phuc-loi").status_code == 302
    school_page = text_of(client.get(f"/schools/{SCHOOL_A}"))
    assert "Trường Tiểu học Phúc Lợi" in school_page
    assert "Đang xem Phường Phúc Lợi (chỉ xem)." in school_page

    assert client.get(f"/city/wards/{WARD_SLUG}").status_code == 302
    assert "Trường Tiểu học Đoàn Kết" in text_of(client.get(f"/schools/{SCHOOL_A}"))


def test_a_ward_of_another_city_is_not_found_for_a_city_account(app, as_persona):
    assert as_persona("city_admin").get("/city/wards/hai-chau").status_code == 404
    client = signed_in(app, "so-danang")
    assert client.get(f"/city/wards/{WARD_SLUG}").status_code == 404
    # Nor does a ward chosen before stay reachable through the session once it is not theirs.
    assert client.get("/city/wards/hai-chau").status_code == 302
    assert client.get("/schools/th-hai-chau").status_code == 200
    assert client.get(f"/schools/{SCHOOL_A}").status_code == 404


def test_a_ward_account_reads_only_its_own_ward_and_not_the_city(app, as_persona):
    long_bien = as_persona("ward_admin")
    assert long_bien.get("/schools/thcs-phuc-loi").status_code == 404
    assert long_bien.get("/city").status_code == 403
    assert long_bien.get("/city/wards/phuc-loi").status_code == 403
    phuc_loi = signed_in(app, "admin-phucloi")
    assert "Trường Tiểu học Phúc Lợi" in text_of(phuc_loi.get(f"/schools/{SCHOOL_A}"))
    assert phuc_loi.get("/schools/th-cu-khoi").status_code == 404


def test_a_city_account_writes_nothing_of_a_ward(app, as_persona):
    client = as_persona("city_admin")
    with app.app_context():
        item_id = db.session.scalar(
            select(School).filter_by(slug=SCHOOL_A, ward_id=select(Ward.id).filter_by(slug=WARD_SLUG).scalar_subquery())
        ).id
    assert client.post("/admin/schools/new", data={"slug": "th-so", "name": "Trường Sở"}).status_code == 403
    response = client.post(f"/schools/{SCHOOL_A}/items/{item_id}", data={"status": "hoan_thanh", "version": "1"})
    assert response.status_code in (403, 404)


def test_visible_school_ids_follows_the_scope_of_each_account(app):
    with app.app_context():

        def reach(username: str) -> int:
            user = db.session.scalar(select(User).filter_by(username=username))
            return db.session.scalar(select(func.count()).select_from(visible_school_ids(user).subquery()))

        def wards(username: str) -> set[str]:
            user = db.session.scalar(select(User).filter_by(username=username))
            return set(db.session.scalars(select(Ward.slug).where(Ward.id.in_(visible_ward_ids(user)))))

        long_bien = db.session.scalar(select(func.count(School.id)).join(Ward).filter(Ward.slug == WARD_SLUG))
        assert reach("canbo-a") == 1
        assert reach("admin") == long_bien
        assert reach("admin-phucloi") == 2
        assert reach("so-gddt") == long_bien + 2
        assert reach("so-danang") == 1
        assert wards("so-gddt") == {WARD_SLUG, "phuc-loi"}
        assert wards("admin") == {WARD_SLUG}


def test_accounts_are_scoped_to_one_place_by_their_role(app):
    with app.app_context():
        hanoi = db.session.scalar(select(City).filter_by(slug="ha-noi"))
        ward = db.session.scalar(select(Ward).filter_by(slug=WARD_SLUG))
        with pytest.raises(AccountError, match="gắn với một thành phố"):
            create_user("so-sai", Role.CITY_ADMIN, PASSWORD, ward=ward)
        with pytest.raises(AccountError, match="gắn với một thành phố"):
            create_user("so-sai", Role.CITY_VIEWER, PASSWORD, city=hanoi, ward=ward)
        with pytest.raises(AccountError, match="gắn với một phường"):
            create_user("phuong-sai", Role.WARD_ADMIN, PASSWORD, city=hanoi)


def test_create_user_makes_a_city_account_from_the_command_line(app, runner):
    result = runner.invoke(
        args=["create-user", "so-moi", "--role", "city_admin", "--city", "ha-noi", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "Đã tạo tài khoản so-moi (Cán bộ Sở GD&ĐT)." in result.output
    refused = runner.invoke(
        args=["create-user", "so-khac", "--role", "city_admin", "--city", "hue", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert refused.exit_code != 0
    assert "không có thành phố 'hue'" in refused.output
    assert "da-nang, ha-noi" in refused.output
    assert "Các phường, xã của Thành phố Hà Nội" in text_of(signed_in(app, "so-moi").get("/city"))
