"""The English catalog: complete, current with the code and templates, and really used.

The msgids are the Vietnamese strings themselves; see docs/translations.md.
"""

import subprocess
import sys

import pytest
from helpers import EN_PO, ROOT, AuthActions, read_catalog

HOW_TO_UPDATE = (
    "run the extract, update, translate and compile steps in docs/translations.md "
    "(pybabel extract -F babel.cfg -k _l -o aiplan/translations/messages.pot . && "
    "pybabel update -i aiplan/translations/messages.pot -d aiplan/translations)"
)


def _key(message) -> tuple:
    return (message.id, message.context)


def _entries(catalog):
    return [message for message in catalog if message.id]


def test_every_english_entry_is_translated_and_none_is_fuzzy():
    catalog = read_catalog(EN_PO)
    entries = _entries(catalog)
    assert entries, "the English catalog is empty"
    untranslated = [
        m.id
        for m in entries
        if not all(part.strip() for part in (m.string if isinstance(m.string, tuple) else (m.string,)))
    ]
    fuzzy = [m.id for m in entries if m.fuzzy]
    assert not untranslated, f"untranslated in {EN_PO.name}: {untranslated}"
    assert not fuzzy, f"fuzzy (review, then remove the flag): {fuzzy}"
    assert not catalog.fuzzy, "the catalog header is marked fuzzy"


def test_placeholders_in_translations_match_their_msgids():
    # The same checks `pybabel compile` warns about.
    problems = [(m.id, [str(e) for e in errors]) for m, errors in read_catalog(EN_PO).check()]
    assert not problems, problems


def test_the_catalog_has_every_string_in_the_code_and_templates(tmp_path):
    pot = tmp_path / "messages.pot"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    extracted = _entries(read_catalog(pot))
    assert extracted, "pybabel extracted nothing; is babel.cfg right?"
    known = {_key(m) for m in _entries(read_catalog(EN_PO))}
    missing = [f"{m.id!r} ({', '.join(f'{f}:{n}' for f, n in m.locations)})" for m in extracted if _key(m) not in known]
    assert not missing, f"{len(missing)} string(s) missing from the English catalog; {HOW_TO_UPDATE}:\n" + "\n".join(
        missing
    )


@pytest.fixture
def english_client(english_app):
    """A ward admin's client on an app whose English catalog is compiled from the .po."""
    client = english_app.test_client()
    assert AuthActions(client).login("ward_admin").status_code == 302
    return client


def test_vietnamese_is_the_default(as_persona, fresh_translations):
    body = as_persona("ward_admin").get("/schools").get_data(as_text=True)
    assert 'lang="vi"' in body
    assert "<h1>Các trường</h1>" in body
    assert "Schools" not in body


def test_choosing_english_translates_the_pages(english_client):
    response = english_client.post("/lang", data={"lang": "en", "next": "/schools"})
    assert response.location == "/schools"
    body = english_client.get("/schools").get_data(as_text=True)
    assert 'lang="en"' in body
    assert "<h1>Schools</h1>" in body
    assert "Ward tasks" in body and "Sign out" in body
    assert "Các trường" not in body
    for path in ("/ward", "/plan", "/schools/th-doan-ket"):
        page = english_client.get(path)
        assert page.status_code == 200, path
        assert 'lang="en"' in page.get_data(as_text=True), path
    assert "Appendix I" in english_client.get("/plan").get_data(as_text=True)
    english_client.post("/lang", data={"lang": "vi", "next": "/schools"})
    assert "<h1>Các trường</h1>" in english_client.get("/schools").get_data(as_text=True)
