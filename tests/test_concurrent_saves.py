"""Saves that collide: a busy database is retried (or refused with a 503), a stale save never overwrites.

The collisions are made deterministic: another connection holds the write lock
(SQLite) or a table lock (PostgreSQL) while the app saves, with the app's wait
for locks cut to 50 ms; or another connection commits a save between the app's
read and its write. tests/test_load.py makes the same collisions happen at
random under a real server.
"""

import sqlite3
from contextlib import contextmanager
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from workshops.attendance.models import AttendanceRecord, WorkshopSession
from workshops.auth.models import User
from workshops.catalog.models import CatalogEntry, Suggestion, Translation, TranslationHistory
from workshops.core.audit import AuditEntry
from workshops.core.busy import is_busy
from workshops.curriculum.models import Module
from workshops.extensions import db
from workshops.i18n import languages
from workshops.people import services as people
from workshops.people.models import Community
from workshops.translate import workspace


@pytest.fixture
def session_ids(app):
    """A community with one household of two persons and a session: (session id, [person ids])."""
    with app.app_context():
        community = Community(name="Comunidad Ocupada", code="OCU")
        db.session.add(community)
        db.session.flush()
        household = people.create_household(community, "", None)
        persons = [
            people.add_person(household, {"given_names": name, "family_names": "Ocupado"}, None).id
            for name in ("Rosa", "Luis")
        ]
        module = db.session.scalar(sa.select(Module).where(Module.number == 1))
        session = WorkshopSession(module_id=module.id, community_id=community.id, date=date(2026, 10, 5))
        db.session.add(session)
        db.session.commit()
        return session.id, persons


@contextmanager
def database_busy(app):
    """Hold a write lock from another connection; the app waits only 50 ms for locks.

    Yields release(), which ends the other connection's transaction.
    """
    with app.app_context():
        engine = db.engine
    url = engine.url

    def short_wait(dbapi_connection, _record, _proxy):
        cursor = dbapi_connection.cursor()
        if url.get_backend_name() == "sqlite":
            cursor.execute("PRAGMA busy_timeout=50")
        else:
            cursor.execute("SET lock_timeout = '50ms'")
            dbapi_connection.commit()
        cursor.close()

    if url.get_backend_name() == "sqlite":
        holder = sqlite3.connect(url.database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # SQLite's one write lock

        def release():
            if holder.in_transaction:
                holder.execute("ROLLBACK")

    else:
        other = sa.create_engine(url)
        holder = other.connect()
        # Readers pass; the attendance save's UPDATE of the session waits.
        holder.execute(sa.text("LOCK TABLE workshop_session IN EXCLUSIVE MODE"))

        def release():
            if holder.in_transaction():
                holder.rollback()

    event.listen(engine, "checkout", short_wait)
    engine.dispose()  # connections from now on get the short wait
    try:
        yield release
    finally:
        event.remove(engine, "checkout", short_wait)
        release()
        holder.close()
        if url.get_backend_name() != "sqlite":
            other.dispose()


def _save_attendance(client, session_id, persons, remark):
    data = {"revision": 0, "action": "save"}
    for person in persons:
        data[f"status-{person}"], data[f"remark-{person}"] = "present", remark
    return client.post(f"/sessions/{session_id}/attendance", data=data)


def _attendance_state(app, session_id):
    with app.app_context():
        records = db.session.execute(
            sa.select(AttendanceRecord.person_id, AttendanceRecord.remark).where(
                AttendanceRecord.session_id == session_id
            )
        ).all()
        revision = db.session.scalar(
            sa.select(WorkshopSession.revision).where(WorkshopSession.id == session_id)
        )
        audits = db.session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "attendance"))
        db.session.remove()
    return sorted(records), revision, audits


def test_a_database_busy_through_every_retry_answers_503_and_saves_nothing(app, login_as, session_ids):
    session_id, persons = session_ids
    client = login_as("coordinator")
    with database_busy(app):
        response = _save_attendance(client, session_id, persons, "ocupado")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    page = response.get_data(as_text=True)
    assert "no se guardó nada" in page and "Traceback" not in page
    assert _attendance_state(app, session_id) == ([], 0, 0)
    # Once the lock is gone, the same form goes through.
    assert _save_attendance(client, session_id, persons, "libre").status_code == 302
    assert _attendance_state(app, session_id) == ([(p, "libre") for p in sorted(persons)], 1, 1)


def test_a_database_busy_once_is_retried_and_saved_exactly_once(app, login_as, session_ids):
    session_id, persons = session_ids
    client = login_as("coordinator")
    busy_errors = []
    with app.app_context():
        engine = db.engine
    with database_busy(app) as release:

        def free_after_first_busy(context):
            if is_busy(context.sqlalchemy_exception):
                busy_errors.append(context.original_exception)
                release()

        event.listen(engine, "handle_error", free_after_first_busy)
        try:
            response = _save_attendance(client, session_id, persons, "reintento")
        finally:
            event.remove(engine, "handle_error", free_after_first_busy)
    assert len(busy_errors) == 1, busy_errors  # the first attempt met the lock ...
    assert response.status_code == 302  # ... the second one saved
    assert _attendance_state(app, session_id) == ([(p, "reintento") for p in sorted(persons)], 1, 1)
    assert client.get(response.headers["Location"]).data.count(b"Asistencia guardada.") == 1  # flashed once


def _plain_entry_id(app):
    with app.app_context():
        return db.session.scalar(
            sa.select(CatalogEntry.id).where(
                CatalogEntry.domain == "messages",
                CatalogEntry.msgid == "Guardar",
            )
        )


def _save_after_someone_else(app, make_user, other_save):
    """Load an entry as the editor does, let `other_save` commit on another connection, then save."""
    user_id = make_user("traductora", roles=("translator",))
    entry_id = _plain_entry_id(app)
    with app.test_request_context():
        entry = workspace.load_entry(entry_id, "messages")
        base = entry.translations[0].revision if entry.translations else 0
        with db.engine.connect() as other:
            other_save(other, entry_id)
            other.commit()
        user = db.session.get(User, user_id)
        result = workspace.save(entry, languages()["agr"], ["mío"], base, user)
        db.session.commit()
        translation = db.session.scalar(sa.select(Translation).where(Translation.entry_id == entry_id))
        history = db.session.scalars(
            sa.select(TranslationHistory.forms)
            .where(TranslationHistory.translation_id == translation.id)
            .order_by(TranslationHistory.revision)
        ).all()
        suggestions = db.session.execute(sa.select(Suggestion.forms, Suggestion.is_conflict)).all()
        state = result.status, (translation.forms, translation.revision), history, suggestions
        db.session.remove()
    return state


def test_a_translation_saved_by_someone_else_after_the_editor_read_it_is_not_overwritten(app, make_user):
    """The revision check and the write are one step: the later save becomes a conflict suggestion."""
    translations = db.metadata.tables["translation"]
    with app.test_request_context():
        entry = workspace.load_entry(_plain_entry_id(app), "messages")
        workspace.save(entry, languages()["agr"], ["primero"], 0, db.session.get(User, make_user()))
        db.session.commit()
        db.session.remove()

    def other_save(connection, entry_id):
        connection.execute(
            translations.update()
            .where(translations.c.entry_id == entry_id, translations.c.language == "agr")
            .values(forms=["de otra persona"], revision=translations.c.revision + 1)
        )

    status, current, history, suggestions = _save_after_someone_else(app, make_user, other_save)
    assert status == "conflict"
    assert current == (["de otra persona"], 2)
    assert history == [["primero"]]  # the other save here wrote no history; "mío" was not stored as a version
    assert suggestions == [(["mío"], True)]


def test_a_first_translation_saved_by_two_people_at_once_is_kept_twice(app, make_user):
    """Both start from "untranslated": the second creates no second row (no 500) but a conflict suggestion."""
    translations = db.metadata.tables["translation"]

    def other_save(connection, entry_id):
        connection.execute(
            translations.insert().values(
                entry_id=entry_id, language="agr", forms=["de otra persona"], state="translated", revision=1
            )
        )

    status, current, history, suggestions = _save_after_someone_else(app, make_user, other_save)
    assert status == "conflict"
    assert current == (["de otra persona"], 1)
    assert history == []
    assert suggestions == [(["mío"], True)]


def test_an_offline_upload_racing_a_web_save_keeps_both(app, make_user, monkeypatch):
    """A web save committed between the upload's read and its write wins; the file's text becomes a conflict."""
    from workshops.translate import offline

    translations = db.metadata.tables["translation"]
    user_id = make_user("revisora", roles=("translator", "reviewer"))
    entry_id = _plain_entry_id(app)
    with app.test_request_context():
        entry = workspace.load_entry(entry_id, "messages")
        workspace.save(entry, languages()["agr"], ["primero"], 0, db.session.get(User, user_id))
        db.session.commit()
        _name, text = offline.download("agr", "messages")
        db.session.remove()
    edited = text.replace('msgid "Guardar"\nmsgstr "primero"', 'msgid "Guardar"\nmsgstr "del archivo"')
    assert edited != text

    real_check = workspace.check

    def check_then_someone_saves(entry, language, forms, glossary=None):
        # The upload has read the translation at revision 1; another person saves now.
        if entry.id == entry_id:
            with db.engine.connect() as other:
                other.execute(
                    translations.update()
                    .where(translations.c.entry_id == entry_id, translations.c.language == "agr")
                    .values(forms=["de la web"], revision=translations.c.revision + 1)
                )
                other.commit()
        return real_check(entry, language, forms, glossary)

    monkeypatch.setattr(workspace, "check", check_then_someone_saves)
    with app.test_request_context():
        report = offline.upload(edited, languages()["agr"], "messages", db.session.get(User, user_id))
        db.session.commit()
        current = db.session.execute(
            sa.select(Translation.forms, Translation.revision).where(Translation.entry_id == entry_id)
        ).one()
        suggestions = db.session.execute(sa.select(Suggestion.forms, Suggestion.is_conflict)).all()
        db.session.remove()
    assert "Guardar" not in report.applied
    assert [msgid for msgid, *_ in report.conflicts] == ["Guardar"]
    assert tuple(current) == (["de la web"], 2)
    assert suggestions == [(["del archivo"], True)]
