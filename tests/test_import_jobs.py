"""Large imports (registry CSV, .po upload) run in the background: queued, resumed, whole or not at all."""

import io
import re
import threading

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from workshops.catalog.models import Translation
from workshops.core import jobs
from workshops.core.job_models import ImportJob
from workshops.extensions import db, utcnow
from workshops.people import import_jobs, importer
from workshops.people import services as people
from workshops.people.models import Household, Person
from workshops.translate import catalogs, upload_jobs

from .conftest import TEST_PASSWORD

HEADER = "comunidad;familia;nombres;apellidos;sexo;anio_nacimiento;edad;relacion;dni;consentimiento;fecha_consentimiento\n"
ROWS = import_jobs.BACKGROUND_ROWS + 100
UPLOAD = "/translate/agr/curriculum/upload"


def large_csv(rows=ROWS, family="Fondo"):
    """A valid file of `rows` persons, four to a household."""
    return HEADER + "".join(
        f"CPR;{family}{n // 4};P{n};{family};mujer;1980;;{'jefa' if n % 4 == 0 else 'hija'};;no;\n"
        for n in range(rows)
    )


def counts(app):
    with app.app_context():
        return tuple(
            db.session.scalar(sa.select(sa.func.count()).select_from(model)) for model in (Household, Person)
        )


def no_worker(monkeypatch):
    """Queue without running: the requests start no worker, the test runs one when it wants."""
    monkeypatch.setattr(jobs, "start_import_worker", lambda app: None)


def queue_csv(client, text=None):
    response = client.post("/people/import", data={"confirm": "1", "text": text or large_csv()})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert re.fullmatch(r"/people/import/jobs/\d+", response.location)
    return response.location


def plain_entries(app, count):
    """The first `count` curriculum entries a bare text may translate (no markup, no placeholder)."""
    with app.app_context():
        po = catalogs.build_po("curriculum", "agr")
    plain = [
        entry
        for entry in po
        if not entry.obsolete and not entry.msgid_plural and not re.search(r"[<>%{}\[\]*_`#|]", entry.msgid)
    ]
    assert len(plain) >= count, len(plain)
    po[:] = plain[:count]
    return po


def large_po(app, marker, count=upload_jobs.BACKGROUND_ENTRIES + 100, language="agr"):
    po = plain_entries(app, count)
    for number, entry in enumerate(po, start=1):
        entry.msgstr = f"PRUEBA {marker} {number}"
        entry.flags = [flag for flag in entry.flags if flag != "fuzzy"]
    po.metadata["Language"] = language
    return str(po)


def upload(client, text, dry_run=False):
    fields = {"catalog": FileStorage(io.BytesIO(text.encode()), "grande.po")}
    if dry_run:
        fields["dry_run"] = "y"
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart(fields)
    return client.post(UPLOAD, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def marked(app, marker):
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Translation)
            .where(Translation.language == "agr", Translation.forms.cast(sa.String).contains(marker))
        )


def test_a_large_csv_import_runs_in_the_background_and_its_page_answers_meanwhile(
    login_as, app, program, monkeypatch
):
    reached, release = threading.Event(), threading.Event()
    real_reporter = jobs._reporter

    def reporter(job_id):
        report = real_reporter(job_id)

        def held(processed, total):  # stops the job after its first batch is written, not committed
            report(processed, total)
            if processed and not reached.is_set():
                reached.set()
                assert release.wait(60)

        return held

    monkeypatch.setattr(jobs, "_reporter", reporter)
    client = login_as("coordinator")
    before = counts(app)
    location = queue_csv(client)
    try:
        assert reached.wait(60)
        waiting = client.get(location)
        page = waiting.get_data(as_text=True)
        assert waiting.status_code == 200
        assert "<progress" in page and 'http-equiv="refresh"' in page
        assert f"{importer.BATCH} de {ROWS} procesadas" in page
        assert counts(app) == before  # written in the job's transaction, not committed yet
    finally:
        release.set()
    jobs.start_import_worker(app).join(60)
    done = client.get(location).get_data(as_text=True)
    assert f"Importación terminada: {ROWS // 4} familias y {ROWS} personas nuevas." in done
    assert "<progress" not in done and 'http-equiv="refresh"' not in done
    assert counts(app) == (before[0] + ROWS // 4, before[1] + ROWS)


def test_a_small_csv_import_stays_in_the_request(login_as, app, program):
    client = login_as("coordinator")
    before = counts(app)
    small = large_csv(import_jobs.BACKGROUND_ROWS, family="Cerca")
    response = client.post("/people/import", data={"confirm": "1", "text": small})
    assert response.status_code == 302 and response.location == "/people/"
    assert counts(app)[1] == before[1] + import_jobs.BACKGROUND_ROWS
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportJob)) == 0


def test_a_csv_job_failing_midway_writes_nothing_and_says_so(login_as, app, program, monkeypatch):
    no_worker(monkeypatch)
    client = login_as("coordinator")
    before = counts(app)
    location = queue_csv(client)
    real_add_people = people.add_people
    calls = []

    def fail_second_batch(rows, user, needs_review=False):
        calls.append(len(rows))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_add_people(rows, user, needs_review)

    monkeypatch.setattr(people, "add_people", fail_second_batch)
    assert jobs.work_imports(app) == 1
    assert calls == [importer.BATCH, ROWS - importer.BATCH]  # the first batch was written, then undone
    page = client.get(location).get_data(as_text=True)
    assert "La importación falló y no se guardó nada." in page and "disk full" not in page
    assert counts(app) == before
    with app.app_context():
        job = db.session.scalars(sa.select(ImportJob)).one()
        assert (job.state, job.error) == ("failed", "failed")


def test_a_csv_that_no_longer_passes_when_the_job_runs_is_refused_whole(login_as, app, program, monkeypatch):
    no_worker(monkeypatch)
    client = login_as("coordinator")
    before = counts(app)
    text = large_csv() + "XXX;Z1;Nadie;Nada;mujer;1980;;jefa;;no;\n"  # no such community
    location = queue_csv(client, text)
    assert jobs.work_imports(app) == 1
    page = client.get(location).get_data(as_text=True)
    assert "El archivo no se aceptó y no cambió nada:" in page
    assert f"línea {ROWS + 2}: comunidad: no hay una comunidad con ese código" in page
    assert counts(app) == before


def test_a_large_po_upload_is_queued_then_shows_the_report_of_an_upload(login_as, app, monkeypatch):
    no_worker(monkeypatch)
    client = login_as("translator", "reviewer")
    count = upload_jobs.BACKGROUND_ENTRIES + 100
    response = upload(client, large_po(app, "FONDO", count))
    assert response.status_code == 303
    location = response.location
    assert re.fullmatch(r"/translate/agr/curriculum/upload/jobs/\d+", location)
    waiting = client.get(location).get_data(as_text=True)
    assert "En cola" in waiting and 'http-equiv="refresh"' in waiting and "<progress" in waiting
    assert marked(app, "FONDO") == 0
    assert jobs.work_imports(app) == 1
    done = client.get(location).get_data(as_text=True)
    assert "Resultado" in done and f"{count} entradas aplicadas" in done, done
    assert "0 rechazadas" in done and 'http-equiv="refresh"' not in done
    assert marked(app, "FONDO") == count


def test_a_large_dry_run_in_the_background_saves_nothing(login_as, app, monkeypatch):
    no_worker(monkeypatch)
    client = login_as("translator", "reviewer")
    location = upload(client, large_po(app, "ENSAYO"), dry_run=True).location
    assert jobs.work_imports(app) == 1
    done = client.get(location).get_data(as_text=True)
    assert (
        "Prueba: no se guardó nada." in done
        and f"{upload_jobs.BACKGROUND_ENTRIES + 100} entradas aplicadas" in done
    )
    assert marked(app, "ENSAYO") == 0


def test_a_refused_po_job_lists_the_problems_and_changes_nothing(login_as, app, monkeypatch):
    no_worker(monkeypatch)
    client = login_as("translator", "reviewer")
    location = upload(client, large_po(app, "OTRO IDIOMA", language="qu")).location
    assert jobs.work_imports(app) == 1
    page = client.get(location).get_data(as_text=True)
    assert "El archivo no se aceptó y no cambió nada:" in page
    assert "este catálogo es del idioma «qu», no de «agr»" in page
    assert marked(app, "OTRO IDIOMA") == 0


def test_a_po_job_failing_midway_rolls_back(login_as, app, monkeypatch):
    from workshops.catalog import store

    no_worker(monkeypatch)
    client = login_as("translator", "reviewer")
    location = upload(client, large_po(app, "A MEDIAS")).location
    real = store.set_translation_at
    calls = []

    def fail_late(*args, **kwargs):
        calls.append(1)
        if len(calls) == 300:
            raise RuntimeError("connection lost")
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "set_translation_at", fail_late)
    assert jobs.work_imports(app) == 1
    assert len(calls) == 300
    assert "La importación falló y no se guardó nada." in client.get(location).get_data(as_text=True)
    assert marked(app, "A MEDIAS") == 0


def other_client(app, make_user, *roles):
    user = f"otra-{'-'.join(roles)}"
    make_user(user, roles=roles)
    client = app.test_client()
    assert client.post("/login", data={"username": user, "password": TEST_PASSWORD}).status_code == 302
    return client


def test_only_who_queued_a_job_and_administrators_see_it(login_as, app, program, make_user, monkeypatch):
    no_worker(monkeypatch)
    owner = login_as("coordinator", "translator")
    csv_job = queue_csv(owner)
    po_job = upload(owner, large_po(app, "PRIVADO")).location
    coordinator = other_client(app, make_user, "coordinator")
    translator = other_client(app, make_user, "translator", "reviewer")
    admin = other_client(app, make_user, "admin")
    assert coordinator.get(csv_job).status_code == 404
    assert translator.get(po_job).status_code == 404
    assert translator.get(csv_job).status_code == 403  # not a registry role at all
    assert admin.get(csv_job).status_code == 200 and admin.get(po_job).status_code == 200
    assert owner.get(csv_job).status_code == 200 and owner.get(po_job).status_code == 200
    # A job of one kind is not shown at the other kind's address, nor under another catalog.
    number = po_job.rsplit("/", 1)[1]
    assert owner.get(f"/people/import/jobs/{number}").status_code == 404
    assert owner.get(po_job.replace("/curriculum/", "/messages/")).status_code == 404


def test_a_restart_resumes_pending_and_stale_jobs(login_as, app, program, monkeypatch):
    no_worker(monkeypatch)
    client = login_as("coordinator")
    before = counts(app)
    pending = queue_csv(client, large_csv(family="Pendiente"))
    stale = queue_csv(client, large_csv(family="Abandonada"))
    busy = queue_csv(client, large_csv(family="Ocupada"))
    with app.app_context():  # the process that took these died (stale) or still runs (busy)
        ids = [int(url.rsplit("/", 1)[1]) for url in (pending, stale, busy)]
        for job_id, started in ((ids[1], utcnow() - 2 * jobs.IMPORT_STALE), (ids[2], utcnow())):
            job = db.session.get(ImportJob, job_id)
            job.state, job.started_at, job.attempts = "running", started, 1
        db.session.commit()
    monkeypatch.undo()  # a new process: opening a job's page starts its worker
    assert "<progress" in client.get(pending).get_data(as_text=True)
    jobs.start_import_worker(app).join(60)
    assert "Importación terminada" in client.get(pending).get_data(as_text=True)
    assert "Importación terminada" in client.get(stale).get_data(as_text=True)
    assert "<progress" in client.get(busy).get_data(as_text=True)  # not taken from a live worker
    jobs.start_import_worker(app).join(60)
    with app.app_context():
        states = dict(db.session.execute(sa.select(ImportJob.id, ImportJob.state)).all())
        attempts = db.session.get(ImportJob, ids[1]).attempts
    assert [states[job_id] for job_id in ids] == ["done", "done", "running"]
    assert attempts == 2
    # Same rows under other family names: each file's households and persons, once.
    assert counts(app) == (before[0] + 2 * (ROWS // 4), before[1] + 2 * ROWS)


def test_a_job_over_the_row_limit_is_refused_in_the_request(login_as, app, program):
    client = login_as("coordinator")
    text = large_csv(importer.MAX_ROWS + 1)
    page = client.post("/people/import", data={"confirm": "1", "text": text}).get_data(as_text=True)
    assert f"más de {importer.MAX_ROWS} filas" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportJob)) == 0


def test_the_job_row_holds_no_more_than_the_largest_upload(app, make_user):
    from workshops.core.job_models import MAX_CONTENT

    user_id = make_user("guarda", roles=("coordinator",))
    with app.app_context():
        with pytest.raises(ValueError, match="too large"):
            jobs.enqueue_import("people_csv", user_id, "es", "x" * (MAX_CONTENT + 1), 1)
        db.session.rollback()
        # The database says so too: a row written around the code is refused.
        job = ImportJob(kind="people_csv", user_id=user_id, language="es", content="x" * (MAX_CONTENT + 1))
        db.session.add(job)
        with pytest.raises(sa.exc.IntegrityError):
            db.session.flush()
        db.session.rollback()
        job = ImportJob(kind="people_csv", user_id=user_id, language="es", content="", processed=5, total=1)
        db.session.add(job)
        with pytest.raises(sa.exc.IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_a_job_that_keeps_killing_its_worker_is_given_up_and_says_so(login_as, app, program, monkeypatch):
    no_worker(monkeypatch)
    client = login_as("coordinator")
    before = counts(app)
    location = queue_csv(client)
    with app.app_context():
        job = db.session.scalars(sa.select(ImportJob)).one()
        job.state, job.attempts = "running", jobs.MAX_ATTEMPTS
        job.started_at = utcnow() - 2 * jobs.IMPORT_STALE
        db.session.commit()
    assert jobs.work_imports(app) == 0  # not taken a fourth time
    page = client.get(location).get_data(as_text=True)
    assert "La importación falló y no se guardó nada." in page and 'http-equiv="refresh"' not in page
    assert counts(app) == before
