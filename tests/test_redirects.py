"""docs/security.md line 10: every redirect whose target comes from the client (`next=`) goes only to a
path inside the app; anything else (another host, a scheme, a header injection) falls back to the
route's default page, never a 500."""

import io

import pytest
from helpers import PASSWORD, SCHOOL_A
from sqlalchemy import select

from aiplan.evidence.services import Upload, save_uploads
from aiplan.extensions import db
from aiplan.models import ChecklistItem, School, User
from aiplan.redirects import safe_next

NEW_PASSWORD = "mot cau de nho 2026"
# What an attacker puts in `next`: header injection (newline, other controls), other hosts.
BAD_TARGETS = [
    "/login\nSet-Cookie: injected=1",
    "/x\r\nSet-Cookie: a=1",
    "/plan\x0bx",
    "/\t/evil.example",
    "/plan\x7f",
    "/plan\x85",
    "/plan\u009b",
    "//evil.example/",
    "/\\evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
]


@pytest.mark.parametrize("target", BAD_TARGETS)
def test_the_language_switch_never_leads_outside_the_app_nor_fails(client, target):
    response = client.post("/lang", data={"lang": "en", "next": target})

    assert response.status_code == 302
    assert response.location == "/"
    assert "injected" not in str(response.headers)


def test_the_language_switch_leads_back_to_the_page_it_was_on(client):
    assert client.post("/lang", data={"lang": "en", "next": "/plan?nam=2025-2026"}).location == "/plan?nam=2025-2026"


@pytest.mark.parametrize("target", BAD_TARGETS)
def test_signing_in_never_leads_outside_the_app_nor_fails(client, target):
    response = client.post("/login", data={"username": "canbo-a", "password": PASSWORD, "next": target})

    assert response.status_code == 302
    assert response.location == "/"


def test_the_login_page_of_a_signed_in_user_ignores_an_injected_next(client, auth):
    auth.login("staff_a")

    response = client.get("/login?next=/x%0aSet-Cookie:%20a=1")

    assert response.status_code == 302
    assert response.location == "/"
    assert "a=1" not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("target", BAD_TARGETS[:3] + ["//evil.example/"])
def test_changing_ones_password_never_leads_outside_the_app_nor_fails(client, auth, target):
    auth.login("staff_a")

    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "next": target},
    )

    assert response.status_code == 303
    assert response.location == "/"


def test_the_forced_password_change_does_not_carry_an_injected_path_along(app, client, auth):
    with app.app_context():
        db.session.scalar(select(User).filter_by(username="canbo-a")).must_change_password = True
        db.session.commit()
    auth.login("staff_a")

    response = client.get("/plan%0aSet-Cookie:%20a=1")

    assert response.status_code == 302
    assert response.location == "/account/password"


@pytest.mark.parametrize("target", BAD_TARGETS[:3] + ["//evil.example/"])
def test_the_year_switch_never_leads_outside_the_app_nor_fails(client, auth, target):
    auth.login("ward_admin")

    response = client.post("/year", data={"nam": "2025-2026", "next": target})

    assert response.status_code == 302
    assert response.location == "/"


@pytest.mark.parametrize("target", BAD_TARGETS[:3])
def test_deleting_a_file_never_leads_outside_the_app_nor_fails(app, as_persona, target):
    with app.app_context():
        item = db.session.scalar(
            select(ChecklistItem).join(School).where(School.slug == SCHOOL_A, ChecklistItem.key == "m3")
        )
        staff = db.session.scalar(select(User).filter_by(username="canbo-a"))
        [file] = save_uploads(
            [Upload(io.BytesIO(b"%PDF-1.4\n%redirect\n%%EOF\n"), "ke-hoach.pdf")],
            school=item.school,
            actor=staff,
            item=item,
        )
        file_id, item_id = file.id, item.id

    response = as_persona("staff_a").post(f"/files/{file_id}/delete", data={"next": target})

    assert response.status_code == 303
    assert response.location == f"/schools/{SCHOOL_A}#files-item-{item_id}"


@pytest.mark.parametrize("target", ["/", "/plan", "/schools/th-doan-ket?nam=2025-2026#item-3", "/a%0ab"])
def test_paths_inside_the_app_are_kept(target):
    assert safe_next(target) == target
