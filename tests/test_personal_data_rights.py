"""A person's rights over their data (Law 29733): export, withdrawal of consent, anonymisation;
downloads of personal data are audited; the audit log reads as sentences."""

import io
import json
import re
from datetime import date, timedelta

import sqlalchemy as sa

from workshops.attendance.models import AttendanceChange, AttendanceRecord, WorkshopSession
from workshops.auth.models import User
from workshops.core import audit
from workshops.core.audit import AuditEntry
from workshops.curriculum.models import Module
from workshops.extensions import db
from workshops.field.models import FieldSubmission
from workshops.people import corrections, merge
from workshops.people import services as people
from workshops.people.models import CORRECTABLE, Household, Person, PersonChange
from workshops.people.rights import birth_year_range
from workshops.reports import figures
from workshops.reports import program as full_data
from workshops.reports.services import Period, reached

from .helpers import login


def _admin(app, make_user):
    """Another browser, signed in as a new administrator."""
    client = app.test_client()
    make_user("auditora", roles=("admin",))
    login(client, "auditora")
    return client


def _entries(app, action):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == action))


def _session(community_id, number, day):
    module_id = db.session.scalar(sa.select(Module.id).where(Module.number == number))
    session = WorkshopSession(module_id=module_id, community_id=community_id, date=day, status="entered")
    db.session.add(session)
    db.session.flush()
    return session


def _attend(session, person_id, status="present", remark=""):
    db.session.add(AttendanceRecord(session_id=session.id, person_id=person_id, status=status, remark=remark))


def test_export_has_every_field_and_only_this_persons_attendance(app, login_as, program):
    rosa, luis = program["people"][0], program["people"][1]
    with app.app_context():
        first = _session(program["community"], 2, date(2025, 3, 1))
        second = _session(program["community"], 3, date(2025, 4, 1))
        _attend(first, rosa, remark="vino con su bebé")
        _attend(second, rosa, status="late")
        _attend(first, luis, remark="observación de Luis")
        db.session.commit()
        sessions = {first.id, second.id}
    client = login_as("coordinator")
    response = client.get(f"/people/persons/{rosa}/export?format=json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.data)
    (own,) = data["person"]
    assert set(CORRECTABLE) <= set(own)
    assert own["given_names"] == "Rosa" and own["family_names"] == "Tsamajain Wajai"
    assert own["birth_year"] == 1990 and own["household"] and own["community"] == "Comunidad Prueba"
    assert {row["session"] for row in data["attendance"]} == sessions
    assert [(row["status"], row["remark"]) for row in data["attendance"]] == [
        ("present", "vino con su bebé"),
        ("late", ""),
    ]
    assert data["households"] and "corrections" in data
    assert "Luis" not in response.get_data(as_text=True)
    csv_response = client.get(f"/people/persons/{rosa}/export?format=csv")
    text = csv_response.get_data(as_text=True)
    assert csv_response.mimetype == "text/csv" and "vino con su bebé" in text and "Tsamajain Wajai" in text
    assert "observación de Luis" not in text
    assert client.get(f"/people/persons/{rosa}/export?format=xml").status_code == 404
    assert _entries(app, "export") == 2  # one per download, none for the refused format
    with app.app_context():
        details = db.session.scalars(sa.select(AuditEntry.details).where(AuditEntry.action == "export")).all()
    assert all("vino con su bebé" not in text and "Rosa" not in text for text in details)


def test_only_coordinators_and_admins_export_or_erase(app, login_as, program):
    rosa = program["people"][0]
    client = login_as("facilitator")
    assert client.get(f"/people/persons/{rosa}/export?format=json").status_code == 403
    assert client.get(f"/people/persons/{rosa}/anonymise").status_code == 403
    assert client.post(f"/people/persons/{rosa}/anonymise", data={"understood": "y"}).status_code == 403
    assert client.post(f"/people/persons/{rosa}/withdraw-consent", data={}).status_code == 403
    with app.app_context():
        person = db.session.get(Person, rosa)
        assert person.given_names == "Rosa" and person.anonymised_at is None
    assert _entries(app, "export") == 0


def test_withdrawal_of_consent_is_dated_audited_and_in_the_history(app, login_as, program):
    rosa = program["people"][0]
    with app.app_context():
        person = db.session.get(Person, rosa)
        person.consent, person.consent_date = True, date(2025, 1, 10)
        db.session.commit()
        revision = person.revision
    client = login_as("coordinator", username="ana")
    page = client.get(f"/people/persons/{rosa}").get_data(as_text=True)
    assert "Registrar que retiró su consentimiento" in page
    future = client.post(
        f"/people/persons/{rosa}/withdraw-consent",
        data={"withdrawn_on": (date.today() + timedelta(days=2)).isoformat(), "revision": revision},
    )
    assert future.status_code == 302
    with app.app_context():
        assert db.session.get(Person, rosa).consent is True
    stale = client.post(
        f"/people/persons/{rosa}/withdraw-consent",
        data={"withdrawn_on": "2026-01-05", "revision": revision - 1},
    )
    assert stale.status_code == 302
    with app.app_context():
        assert db.session.get(Person, rosa).consent is True
    response = client.post(
        f"/people/persons/{rosa}/withdraw-consent", data={"withdrawn_on": "2026-01-05", "revision": revision}
    )
    assert response.status_code == 302
    with app.app_context():
        person = db.session.get(Person, rosa)
        assert person.consent is False and person.consent_date == date(2026, 1, 5)
        fields = db.session.scalars(
            sa.select(PersonChange.field).where(PersonChange.person_id == rosa).order_by(PersonChange.field)
        ).all()
        assert fields == ["consent", "consent_date"]
    page = client.get(f"/people/persons/{rosa}").get_data(as_text=True)
    assert "Ana cambió el consentimiento de Rosa Tsamajain Wajai: sí → no" in page
    assert "Registrar que retiró su consentimiento" not in page
    assert _entries(app, "update") == 2
    again = client.post(
        f"/people/persons/{rosa}/withdraw-consent",
        data={"withdrawn_on": "2026-01-06", "revision": revision + 1},
        follow_redirects=True,
    )
    assert "no tiene un consentimiento que retirar" in again.get_data(as_text=True)


def test_people_without_consent_are_marked_in_the_reports_people_list(app, login_as, program):
    rosa, luis = program["people"][0], program["people"][1]
    with app.app_context():
        person = db.session.get(Person, rosa)
        person.consent, person.consent_date = True, date(2025, 1, 10)
        session = _session(program["community"], 2, date(2025, 3, 1))
        _attend(session, rosa)
        _attend(session, luis)
        db.session.commit()
    client = login_as("coordinator")
    page = client.get("/reports/people?year=2025").get_data(as_text=True)
    rows = {
        name: row
        for row in re.findall(r"<tr>.*?</tr>", page, re.S)
        for name in ("Rosa", "Luis")
        if name in row
    }
    assert "sin consentimiento" in rows["Luis"] and "sin consentimiento" not in rows["Rosa"]
    csv_text = client.get("/reports/people?year=2025&format=csv").get_data(as_text=True)
    (luis_line,) = [line for line in csv_text.splitlines() if "Luis" in line]
    assert "sin consentimiento" in luis_line


def test_birth_year_range_keeps_the_age_group_of_every_day_counted():
    assert birth_year_range(1990, []) == (1990, 1999)
    assert birth_year_range(1987, [date(2015, 5, 1)]) == (1986, 1989)  # 28 then: 15-29
    # 29 in 2025, 30 in 2026: only the exact year gives both groups.
    assert birth_year_range(1996, [date(2025, 3, 1), date(2026, 3, 1)]) == (1996, 1996)
    for year in range(1980, 2011):
        days = [date(2024, 6, 1), date(2026, 2, 1)]
        low, high = birth_year_range(year, days)
        assert low <= year <= high
        for other in range(low, high + 1):
            assert [people.age_group(other, d) for d in days] == [people.age_group(year, d) for d in days]


def _figures(period_bounds):
    """Every figure a donor gets, for several past periods: EG.3-2 and GNDR-2 by sex and age, per period."""
    seen = {}
    for fiscal_year in (2024, 2025, 2026):
        result = figures.indicators(fiscal_year)
        seen[fiscal_year] = (dict(result.overall), [dict(table) for _c, table in result.by_community])
    for start, end in period_bounds:
        chosen = reached(Period(start, end))
        seen[(start, end)] = sorted((p.person_id, p.sex, p.age_group, p.community_id) for p in chosen)
    seen["rows"] = [row[:11] for row in full_data.attendance_rows(Period())]
    return seen


def _dump():
    """Every value of every table, as text."""
    parts = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)).all():
            parts.append(repr(tuple(row)))
    return "\n".join(parts)


SECRETS = ("Yawarmaki", "Kukush Tii", "Wampuch", "41234567", "habló de su esposo", "dijo su apodo")


def test_anonymisation_erases_everything_personal_and_keeps_the_figures(app, login_as, make_user, program):
    rosa, luis = program["people"][0], program["people"][1]
    other_household = program["households"][1]
    with app.app_context():
        ana = db.session.get(
            User, db.session.scalar(sa.select(User.id).where(User.username == "first-admin"))
        )
        person = db.session.get(Person, rosa)
        person.consent, person.consent_date = True, date(2024, 1, 10)
        person.birth_year = 1996  # 29 in 2025, 30 in 2026: the age group changes between her sessions
        db.session.commit()
        data = {name: getattr(person, name) for name in CORRECTABLE if name not in ("consent_date",)}
        data.update(given_names="Yawarmaki", family_names="Kukush Tii", dni="41234567")
        assert corrections.correct_person(person, data, person.revision, ana).saved
        people.move_person(person, db.session.get(Household, other_household), ana)
        twin = people.add_person(None, {"given_names": "Wampuch", "sex": "female", "birth_year": 1996}, ana)
        early = _session(program["community"], 1, date(2024, 11, 5))
        middle = _session(program["community"], 2, date(2025, 3, 1))
        late = _session(program["community"], 3, date(2026, 3, 1))
        _attend(early, twin.id, remark="dijo su apodo")
        _attend(middle, rosa, remark="habló de su esposo")
        _attend(late, rosa, status="late")
        _attend(middle, luis, remark="sin novedad")
        db.session.flush()
        record = db.session.scalar(
            sa.select(AttendanceRecord).where(
                AttendanceRecord.person_id == rosa, AttendanceRecord.session_id == middle.id
            )
        )
        db.session.add(AttendanceChange(record_id=record.id, status="absent", remark="habló de su esposo"))
        db.session.add(
            FieldSubmission(
                uid="u-1",
                session_id=middle.id,
                person_id=rosa,
                status="present",
                remark="habló de su esposo",
                server_remark="habló de su esposo",
                outcome="applied",
            )
        )
        db.session.commit()
        merge.merge_persons(db.session.get(Person, rosa), db.session.get(Person, twin.id), ana)
        db.session.commit()
        twin_id = twin.id
        bounds = [
            (date(2024, 10, 1), date(2025, 9, 30)),
            (date(2025, 1, 1), date(2026, 12, 31)),
            (None, None),
        ]
        before = _figures(bounds)
        assert all(secret in _dump() for secret in SECRETS)  # the search below can find them
    client = login_as("coordinator", username="coordinadora")
    page = client.get(f"/people/persons/{rosa}/anonymise").get_data(as_text=True)
    assert "No se puede deshacer" in page and "Se borra" in page and "Se conserva" in page
    assert "Yawarmaki Kukush Tii" in page
    unconfirmed = client.post(f"/people/persons/{rosa}/anonymise", data={})
    assert unconfirmed.status_code == 200 and "Marque la casilla" in unconfirmed.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Person, rosa).anonymised_at is None
    response = client.post(f"/people/persons/{rosa}/anonymise", data={"understood": "y"})
    assert response.status_code == 302
    with app.app_context():
        dump = _dump()
        for secret in SECRETS:
            assert secret not in dump, secret
        person = db.session.get(Person, rosa)
        assert person.full_name == f"Persona anonimizada #{rosa}" and person.dni is None
        assert (person.birth_year, person.birth_year_to) == (1996, 1996)  # her figures need the exact year
        assert person.sex == "female" and person.household_id == other_household
        assert db.session.get(Person, twin_id).full_name == f"Persona anonimizada #{twin_id}"
        assert _figures(bounds) == before
        luis_remark = db.session.scalar(
            sa.select(AttendanceRecord.remark).where(AttendanceRecord.person_id == luis)
        )
        assert luis_remark == "sin novedad"  # only hers are erased
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "anonymise"))
        assert entry.object_id == rosa
    page = client.get(f"/people/persons/{rosa}").get_data(as_text=True)
    assert "se borraron a su pedido" in page and "Corregir los datos" not in page
    assert "Borrar sus datos personales" not in page
    again = client.post(f"/people/persons/{rosa}/anonymise", data={"understood": "y"})
    assert again.status_code == 302
    assert _entries(app, "anonymise") == 1
    log = _admin(app, make_user).get("/admin/audit").get_data(as_text=True)
    assert f"anonimizó a la persona n.º {rosa}" in log
    assert f"Persona anonimizada #{rosa}" in log  # her corrections now name her by number


def test_an_anonymised_person_leaves_future_sheets(app, login_as, program):
    rosa = program["people"][0]
    client = login_as("admin")
    assert client.post(f"/people/persons/{rosa}/anonymise", data={"understood": "y"}).status_code == 302
    sheet = client.get(f"/sessions/{program['session']}/sheet").get_data(as_text=True)
    assert "Persona anonimizada" not in sheet and "Luis" in sheet


def test_viewing_personal_data_writes_one_audit_entry_each(app, login_as, make_user, program, monkeypatch):
    from workshops.attendance import sheet, uploads

    monkeypatch.setattr(sheet, "render_pdf", lambda session: b"%PDF-1.4 sheet")
    with app.app_context():
        session = db.session.get(WorkshopSession, program["session"])
        uploader = db.session.scalar(sa.select(User))
        attachment = uploads.save(session, io.BytesIO(b"%PDF-1.4 signed"), "hoja.pdf", uploader)
        db.session.commit()
        attachment_id = attachment.id
    client = login_as("coordinator")
    checks = [
        ("sheet-pdf", f"/sessions/{program['session']}/sheet.pdf"),
        ("download", f"/sessions/{program['session']}/attachments/{attachment_id}"),
        ("pack", f"/api/field/pack?session={program['session']}&lang=es"),
        ("export", f"/people/persons/{program['people'][0]}/export?format=csv"),
    ]
    for action, url in checks:
        before = _entries(app, action)
        assert client.get(url).status_code == 200, url
        assert _entries(app, action) == before + 1, action
    log = _admin(app, make_user).get("/admin/audit").get_data(as_text=True)
    assert "descargó el PDF de la hoja de asistencia de la sesión" in log
    assert f"descargó la hoja firmada n.º {attachment_id}" in log
    assert "descargó un paquete de campo con las sesiones n.º" in log
    assert "descargó todos los datos de la persona" in log


CLASS_NAMES = re.compile(
    r"\b(Person|Household|Community|Partnership|WorkshopSession|SessionAttachment|User)\b"
)


def test_every_kind_of_entry_reads_as_a_sentence(app, login_as, program):
    with app.app_context():
        kinds = sorted(audit._describers)  # every kind a feature registered
        assert len(kinds) >= 25
        for object_type, action in kinds:
            db.session.add(AuditEntry(action=action, object_type=object_type, object_id=7, details="{}"))
        db.session.add(
            AuditEntry(action="mystery", object_type="Gadget", object_id=3, details='{"a": {"b": [1, 2]}}')
        )
        db.session.add(AuditEntry(action="broken", object_type="Person", object_id=3, details="not json {"))
        db.session.commit()
        total = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    client = login_as("admin")
    page = client.get("/admin/audit").get_data(as_text=True)
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    assert "{" not in body and "}" not in body
    assert not CLASS_NAMES.search(body), CLASS_NAMES.search(body)
    assert body.count("<tr>") == total  # the program's entries too: every one is a sentence
    assert "registró «mystery» en otro registro n.º 3 (a: b: 1, 2)" in body
    filters = page.split('name="type"')[1].split("</select>")[0]
    assert "WorkshopSession" in filters and ">sesiones<" in filters  # the value is the code, the text a word


def test_names_are_escaped_in_the_new_pages_and_sentences(app, login_as, program):
    rosa = program["people"][0]
    with app.app_context():
        person = db.session.get(Person, rosa)
        person.given_names = "<script>alert(1)</script>"
        db.session.add(
            AuditEntry(
                action="update",
                object_type="Person",
                object_id=rosa,
                details=json.dumps({"person": "<b>Rosa</b>", "field": "sex", "old": "female", "new": "male"}),
            )
        )
        db.session.add(
            AuditEntry(
                action="create",
                object_type="Household",
                object_id=1,
                details=json.dumps({"code": "<i>X</i>"}),
            )
        )
        db.session.commit()
    client = login_as("admin")
    for url in (f"/people/persons/{rosa}/anonymise", f"/people/persons/{rosa}", "/admin/audit"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in page and "<b>Rosa" not in page and "<i>X" not in page, url
    log = client.get("/admin/audit").get_data(as_text=True)
    assert "&lt;b&gt;Rosa&lt;/b&gt;" in log and "&lt;i&gt;X&lt;/i&gt;" in log


def test_a_merged_away_record_is_not_anonymised_on_its_own(app, login_as, program):
    rosa, luis = program["people"][0], program["people"][1]
    with app.app_context():
        merge.merge_persons(db.session.get(Person, rosa), db.session.get(Person, luis), None)
        db.session.commit()
    client = login_as("coordinator")
    response = client.post(f"/people/persons/{luis}/anonymise", data={"understood": "y"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/people/persons/{rosa}")
    with app.app_context():
        assert db.session.get(Person, luis).anonymised_at is None
