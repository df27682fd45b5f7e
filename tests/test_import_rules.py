"""One set of rules for a .po file, whether it comes through `flask translate import` or the web upload.

The same table of cases runs through both paths and must end the same way:
the store's text, state and author, and the suggestions it holds. Every
translation here is a test marker (PRUEBA ...), never Awajún.
"""

import io
import re

import pytest
import sqlalchemy as sa

from workshops.auth.models import User
from workshops.catalog import store
from workshops.catalog.models import Suggestion
from workshops.extensions import db
from workshops.languages import LanguageSetting

from .conftest import TEST_PASSWORD

HEADER = (
    'msgid ""\nmsgstr ""\n"Language: agr\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
    '"Plural-Forms: nplurals=2; plural=n != 1;\\n"\n"X-Catalog-Revision: {stamp}\\n"\n\n'
)
TERMS = "Términos clave"
NAMED = "Se creó el usuario %(name)s."


def po_text(entries, stamp):
    body = "".join(f'msgid "{msgid}"\nmsgstr "{msgstr}"\n\n' for msgid, msgstr in entries)
    return HEADER.format(stamp=stamp) + body


def seed(app, make_user):
    """Store approved test translations of two interface entries; return the store revision after it."""
    author_id = make_user("autora", roles=("translator",))
    approver_id = make_user("aprobadora", roles=("reviewer",))
    with app.app_context():
        for msgid, text in ((TERMS, "PRUEBA APROBADA"), (NAMED, "PRUEBA %(name)s.")):
            entry = store.find_entry("messages", "", msgid)
            store.set_translation(entry, "agr", [text], "translated", author_id=author_id)
            store.set_translation(entry, "agr", [text], "approved", author_id=approver_id, origin="approve")
        db.session.commit()
        return store.current_revision("agr")


def outcome(app):
    """Return what the store holds for the two entries, and the pending suggestions."""
    with app.app_context():
        result = {}
        for msgid in (TERMS, NAMED):
            translation = store.translation_for(store.find_entry("messages", "", msgid), "agr")
            author = db.session.get(User, translation.updated_by_id) if translation.updated_by_id else None
            result[msgid] = (translation.forms, translation.state, author.username if author else None)
        result["suggestions"] = db.session.execute(
            sa.select(Suggestion.forms, Suggestion.is_conflict).where(Suggestion.state == "pending")
        ).all()
        return result


def through_cli(app, runner, tmp_path, text, domain="messages", dry_run=False):
    path = tmp_path / "agr" / "LC_MESSAGES" / f"{domain}.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    args = ["translate", "import", str(path), "--author", "importadora"] + (["--dry-run"] if dry_run else [])
    result = runner.invoke(args=args)
    return ("refused" if result.exit_code else "done"), result.output


def through_web(app, runner, tmp_path, text, domain="messages", dry_run=False):
    client = app.test_client()
    client.post("/login", data={"username": "importadora", "password": TEST_PASSWORD})
    data = {"catalog": (io.BytesIO(text.encode()), f"{domain}.po")}
    if dry_run:
        data["dry_run"] = "y"
    response = client.post(f"/translate/agr/{domain}/upload", data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return ("refused" if "El archivo no se aceptó" in page else "done"), page


APPROVED_TERMS = (["PRUEBA APROBADA"], "approved", "aprobadora")
APPROVED_NAMED = (["PRUEBA %(name)s."], "approved", "aprobadora")
CASES = {
    # The whole export back, one text changed: only that one is applied.
    "unchanged": (
        lambda stamp: po_text([(TERMS, "PRUEBA APROBADA"), (NAMED, "PRUEBA %(name)s.")], stamp),
        "done",
        {TERMS: APPROVED_TERMS, NAMED: APPROVED_NAMED, "suggestions": []},
    ),
    "changed": (
        lambda stamp: po_text([(TERMS, "PRUEBA NUEVA"), (NAMED, "PRUEBA %(name)s.")], stamp),
        "done",
        {
            TERMS: (["PRUEBA NUEVA"], "translated", "importadora"),
            NAMED: APPROVED_NAMED,
            "suggestions": [],
        },
    ),
    "emptied": (
        lambda stamp: po_text([(TERMS, ""), (NAMED, "")], stamp),
        "done",
        {TERMS: APPROVED_TERMS, NAMED: APPROVED_NAMED, "suggestions": []},
    ),
    "bad placeholder": (
        lambda stamp: po_text([(NAMED, "PRUEBA %(nombre)s.")], stamp),
        "done",
        {TERMS: APPROVED_TERMS, NAMED: APPROVED_NAMED, "suggestions": []},
    ),
    # Exported before the approval: the file's text must not overwrite it.
    "conflict": (
        lambda stamp: po_text([(TERMS, "PRUEBA VIEJA")], stamp - 3),
        "done",
        {TERMS: APPROVED_TERMS, NAMED: APPROVED_NAMED, "suggestions": [(["PRUEBA VIEJA"], True)]},
    ),
    # An interface catalog offered as the curriculum: refused whole.
    "wrong catalog": (
        lambda stamp: po_text([(TERMS, "PRUEBA OTRA")], stamp),
        "refused",
        {TERMS: APPROVED_TERMS, NAMED: APPROVED_NAMED, "suggestions": []},
    ),
}


@pytest.mark.parametrize("path", [through_cli, through_web], ids=["cli", "web"])
@pytest.mark.parametrize("case", list(CASES))
def test_cli_and_upload_follow_the_same_rules(app, runner, make_user, admin_exists, tmp_path, path, case):
    stamp = seed(app, make_user)
    make_user("importadora", roles=("translator", "reviewer"))
    make_text, status, expected = CASES[case]
    domain = "curriculum" if case == "wrong catalog" else "messages"
    got_status, output = path(app, runner, tmp_path, make_text(stamp), domain=domain)
    assert got_status == status, output
    assert outcome(app) == expected
    if case == "bad placeholder":
        assert "%(name)s" in output and "%(nombre)s" in output  # names what is missing and what is wrong


@pytest.mark.parametrize("path", [through_cli, through_web], ids=["cli", "web"])
def test_dry_run_reports_and_changes_nothing(app, runner, make_user, admin_exists, tmp_path, path):
    stamp = seed(app, make_user)
    make_user("importadora", roles=("translator", "reviewer"))
    status, output = path(app, runner, tmp_path, po_text([(TERMS, "PRUEBA NUEVA")], stamp), dry_run=True)
    assert status == "done"
    assert ("Dry run" in output) if path is through_cli else ("no se guardó nada" in output)
    assert outcome(app)[TERMS] == APPROVED_TERMS


def test_cli_prints_a_summary_per_state(app, runner, make_user, tmp_path):
    stamp = seed(app, make_user)
    make_user("importadora", roles=("translator", "reviewer"))
    _status, output = through_cli(app, runner, tmp_path, po_text([(TERMS, "PRUEBA NUEVA")], stamp))
    assert "1 applied (1 translated)" in output
    before, after = map(int, re.search(r"translated (\d+) -> (\d+)", output).groups())
    assert "approved 2 -> 1" in output and after == before + 1


def test_a_translator_upload_in_suggest_mode_makes_suggestions(app, make_user, admin_exists, tmp_path):
    stamp = seed(app, make_user)
    with app.app_context():
        db.session.add(LanguageSetting(code="agr", review_mode="suggest"))
        db.session.commit()
    make_user("importadora", roles=("translator",))
    status, _page = through_web(app, None, tmp_path, po_text([(TERMS, "PRUEBA NUEVA")], stamp))
    assert status == "done"
    result = outcome(app)
    assert result[TERMS] == APPROVED_TERMS and result["suggestions"] == [(["PRUEBA NUEVA"], False)]
