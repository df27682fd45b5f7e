"""Uploads of signed sheets, merging duplicates with undo, CSV import."""

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from workshops.attendance import uploads
from workshops.attendance.models import AttachmentContent, AttendanceRecord, SessionAttachment
from workshops.core.audit import AuditEntry
from workshops.extensions import db
from workshops.people import merge
from workshops.people.models import Household, Merge, Person

from .helpers import confirm_merge

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%test\n"


def upload(client, session_id, data, name):
    return client.post(
        f"/sessions/{session_id}/attachments",
        data={"sheet": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_upload_is_sniffed_stored_privately_and_served_as_attachment(login_as, app, program, make_user):  # noqa: F811
    client = login_as("coordinator")
    assert upload(client, program["session"], PNG, "hoja.jpg").status_code == 302  # a PNG, whatever its name
    with app.app_context():
        attachment = db.session.scalar(sa.select(SessionAttachment))
        assert attachment.content_type == "image/png" and attachment.stored_name.endswith(".png")
        assert "hoja" not in attachment.stored_name
        assert db.session.get(AttachmentContent, attachment.id).data == PNG
    assert not (Path(app.instance_path) / "uploads").exists()  # in the database, not in a folder
    response = client.get(f"/sessions/{program['session']}/attachments/{attachment.id}")
    assert response.status_code == 200 and response.data == PNG
    assert response.headers["Content-Disposition"] == "attachment; filename=hoja.png"
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get(f"/static/../instance/uploads/{attachment.stored_name}").status_code == 404
    make_user("fac", roles=("facilitator",))
    facilitator = app.test_client()
    facilitator.post("/login", data={"username": "fac", "password": "correct horse battery"})
    assert facilitator.get(f"/sessions/{program['session']}/attachments/{attachment.id}").status_code == 403


def test_sheet_download_keeps_a_non_ascii_name_and_answers_conditional_requests(login_as, app, program):  # noqa: F811
    client = login_as("coordinator")
    upload(client, program["session"], PDF, "Hoja firmada Ñuñuya (1).jpeg")
    with app.app_context():
        attachment = db.session.scalar(sa.select(SessionAttachment))
    url = f"/sessions/{program['session']}/attachments/{attachment.id}"
    response = client.get(url)
    assert response.data == PDF and response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Hoja%20firmada%20%C3%91u%C3%B1uya%20%281%29.pdf" in disposition
    assert disposition.encode("latin-1")  # a header a browser can read: no raw non-ASCII byte
    etag = response.headers["ETag"]
    assert attachment.stored_name in etag
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["Cache-Control"] == "no-store"
    unnamed = client.get(url, headers={"Range": "bytes=0-3"})
    assert unnamed.status_code == 206 and unnamed.data == PDF[:4]


@pytest.mark.parametrize(
    ("uploaded", "saved_as"),
    [
        ("C:\\fakepath\\hoja.png", "hoja.jpg"),
        ("../../etc/passwd", "passwd.jpg"),
        ("", "hoja-sesion-7-3.jpg"),
        (".jpg", "hoja-sesion-7-3.jpg"),
        ("hoja\x00\n.png", "hoja.jpg"),
    ],
)
def test_download_name_is_the_uploaded_name_without_its_path(uploaded, saved_as):
    attachment = SessionAttachment(id=3, session_id=7, stored_name="0a1b.jpg", original_name=uploaded)
    assert uploads.download_name(attachment) == saved_as


def test_a_sheet_whose_bytes_are_missing_gets_a_message_not_an_error(login_as, app, program):  # noqa: F811
    client = login_as("coordinator")
    upload(client, program["session"], PDF, "hoja.pdf")
    with app.app_context():
        attachment_id = db.session.scalar(sa.select(SessionAttachment.id))
        db.session.execute(sa.delete(AttachmentContent))  # as a sheet whose old file could not be moved in
        db.session.commit()
    response = client.get(f"/sessions/{program['session']}/attachments/{attachment_id}")
    assert response.status_code == 302
    assert "no está disponible" in client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<html><script>alert(1)</script>", "Solo se aceptan"),
        (b"GIF89a" + b"\x00" * 10, "Solo se aceptan"),
        (b"", "Elija un archivo"),
        (PDF + b"\x00" * 5000, "pasa de 10 MB"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_stored(login_as, app, program, data, message, monkeypatch):  # noqa: F811
    # A small limit keeps the test fast and free of temporary files; the check is the same.
    monkeypatch.setattr("workshops.attendance.uploads.MAX_BYTES", 4096)
    client = login_as("coordinator")
    response = upload(client, program["session"], data, "hoja.pdf")
    assert response.status_code == 302
    assert message in client.get(f"/sessions/{program['session']}").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SessionAttachment)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AttachmentContent)) == 0


def test_merge_moves_attendance_counts_once_and_can_be_undone(login_as, app, program):  # noqa: F811
    client = login_as("coordinator")
    first, second = program["people"][0], program["people"][2]
    url = f"/sessions/{program['session']}/attendance"
    client.post(
        url,
        data={"revision": 0, "action": "save", f"status-{first}": "present", f"status-{second}": "absent"},
    )
    assert confirm_merge(client, second, first).status_code == 302
    with app.app_context():
        records = db.session.scalars(sa.select(AttendanceRecord)).all()
        assert [(r.person_id, r.status) for r in records] == [(first, "present")]  # counted once
        assert db.session.get(Person, second).merged_into_id == first
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == "merge")
            )
            == 1
        )
        merge_id = db.session.scalar(sa.select(Merge.id))
    page = client.get(url).get_data(as_text=True)
    assert f'name="status-{second}"' not in page  # the merged record leaves the roster
    assert client.post("/people/merges", data={"merge": merge_id}).status_code == 302
    with app.app_context():
        records = {r.person_id: r.status for r in db.session.scalars(sa.select(AttendanceRecord))}
        assert records == {first: "present", second: "absent"}
        person = db.session.get(Person, second)
        assert person.merged_into_id is None and person.household_id == program["households"][1]


def test_household_merge_and_undo(login_as, app, program):  # noqa: F811
    client = login_as("coordinator")
    keep, remove = program["households"]
    assert client.post(f"/people/households/{remove}/merge", data={"keep": keep}).status_code == 302
    with app.app_context():
        assert len(db.session.get(Household, keep).members) == 4
        merge_id = db.session.scalar(sa.select(Merge.id))
    client.post("/people/merges", data={"merge": merge_id})
    with app.app_context():
        assert len(db.session.get(Household, keep).members) == 2
        assert len(db.session.get(Household, remove).members) == 2


def test_merging_a_record_with_itself_is_refused(app, program):  # noqa: F811
    with app.app_context():
        person = db.session.get(Person, program["people"][0])
        with pytest.raises(merge.MergeRefused):
            merge.merge_persons(person, person, None)


GOOD_CSV = (
    "comunidad;familia;nombres;apellidos;sexo;anio_nacimiento;relacion;dni;consentimiento;fecha_consentimiento\n"
    "CPR;F1;Ana;Yampis Tsamajain;mujer;1980;jefa;12345678;sí;2026-03-14\n"
    "CPR;F1;Beto;Yampis;hombre;2010;hijo;;no;\n"
    "CPR;F2;Carla;Nuevo;mujer;;jefa;;si;14/03/2026\n"
)


def post_csv(client, data):
    # Encoded here, in memory: Werkzeug's test client would spool a body over 500 KB to a
    # temporary file it never closes (a ResourceWarning, an error under filterwarnings).
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), "familias.csv")})
    return client.post("/people/import", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def counts(app):
    with app.app_context():
        return (
            db.session.scalar(sa.select(sa.func.count()).select_from(Household)),
            db.session.scalar(sa.select(sa.func.count()).select_from(Person)),
        )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_csv_import_preview_then_import_then_reimport_creates_nothing(login_as, app, program, encoding):  # noqa: F811
    client = login_as("coordinator")
    before = counts(app)
    preview = post_csv(client, GOOD_CSV.encode(encoding)).get_data(as_text=True)
    assert "2 familias nuevas" in preview and "3 personas nuevas" in preview
    assert counts(app) == before
    text = GOOD_CSV if encoding != "cp1252" else GOOD_CSV.encode("cp1252").decode("cp1252")
    assert client.post("/people/import", data={"confirm": "1", "text": text}).status_code == 302
    assert counts(app) == (before[0] + 2, before[1] + 3)
    again = post_csv(client, GOOD_CSV.encode(encoding)).get_data(as_text=True)
    assert "0 familias nuevas" in again and "3 ya registradas" in again
    client.post("/people/import", data={"confirm": "1", "text": text})
    assert counts(app) == (before[0] + 2, before[1] + 3)
    with app.app_context():
        ana = db.session.scalar(sa.select(Person).where(Person.given_names == "Ana"))
        assert ana.sex == "female" and ana.consent and ana.household.code.startswith("CPR-")


def test_csv_with_comma_and_bad_rows_lists_every_error_and_imports_nothing(login_as, app, program):  # noqa: F811
    bad = (
        "comunidad,familia,nombres,apellidos,sexo,anio_nacimiento,relacion,dni,consentimiento\n"
        "CPR,F1,Ana,Yampis,mujer,1980,jefa,1234,si\n"
        "XXX,F1,,Yampis,otro,2999,primo,,quizas\n"
        "CPR,F3,Dora,Wajai,mujer,1990,jefa,,si\n"
    )
    client = login_as("coordinator")
    before = counts(app)
    page = post_csv(client, bad.encode()).get_data(as_text=True)
    assert "no se importó nada" in page
    for line, column in (
        (2, "dni"),
        (3, "comunidad"),
        (3, "nombres"),
        (3, "sexo"),
        (3, "anio_nacimiento"),
        (3, "relacion"),
        (3, "consentimiento"),
    ):
        assert f"<td>{line}</td><td>{column}</td>" in page, (line, column)
    assert counts(app) == before
    assert client.post("/people/import", data={"confirm": "1", "text": bad}).status_code == 200
    assert counts(app) == before


def test_csv_template_download(login_as):
    response = login_as("coordinator").get("/people/import/template.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.get_data(as_text=True).lstrip("\ufeff").startswith("comunidad,familia,nombres")


def test_partner_is_one_person_or_a_couple_once(login_as, app, program):  # noqa: F811
    client = login_as("coordinator")
    head, child = program["people"][0], program["people"][1]
    response = client.post(
        f"/people/persons/{head}/partner", data={"joined_on": "2025-03-01", "spouse": child}
    )
    assert response.status_code == 302
    page = client.get("/people/partners").get_data(as_text=True)
    assert "1 membresías, 2 personas, 1 mujeres." in page
    again = client.post(
        f"/people/persons/{child}/partner", data={"joined_on": "2025-04-01"}, follow_redirects=True
    )
    assert "ya es socia o socio" in again.get_data(as_text=True)
    bad_date = client.post(
        f"/people/persons/{child}/partner", data={"joined_on": "ayer"}, follow_redirects=True
    )
    assert "fecha de ingreso" in bad_date.get_data(as_text=True)


def test_move_person_through_the_page_keeps_history(login_as, app, program):  # noqa: F811
    client = login_as("coordinator")
    person = program["people"][1]
    with app.app_context():
        target_code = db.session.get(Household, program["households"][1]).code
    assert (
        client.post(f"/people/persons/{person}/move", data={"household": target_code.lower()}).status_code
        == 302
    )
    with app.app_context():
        assert db.session.get(Person, person).household_id == program["households"][1]
    missing = client.post(
        f"/people/persons/{person}/move", data={"household": "NADA-999"}, follow_redirects=True
    )
    assert "No hay una familia con ese código" in missing.get_data(as_text=True)


def test_session_status_is_changed_by_coordinators(login_as, app, program):  # noqa: F811
    client = login_as("coordinator")
    url = f"/sessions/{program['session']}/status"
    # The form carries the details revision it was shown with (0: the session never changed).
    assert client.post(url, data={"status": "checked", "revision": "0"}).status_code == 302
    assert client.post(url, data={"status": "dancing", "revision": "1"}).status_code == 400
    # Cancelling takes a reason, on its own form (tests/test_session_changes.py).
    assert client.post(url, data={"status": "cancelled", "revision": "1"}).status_code == 400
    from workshops.attendance.models import WorkshopSession

    with app.app_context():
        assert db.session.get(WorkshopSession, program["session"]).status == "checked"


def test_age_instead_of_birth_year(login_as, app, program):  # noqa: F811
    from datetime import date

    client = login_as("coordinator")
    data = {
        "given_names": "Abuela",
        "family_names": "Sin Año",
        "sex": "female",
        "relationship_to_head": "parent",
        "age": "70",
    }
    assert client.post(f"/people/households/{program['households'][0]}", data=data).status_code == 302
    with app.app_context():
        person = db.session.scalar(sa.select(Person).where(Person.given_names == "Abuela"))
        assert person.birth_year == date.today().year - 70 and person.birth_year_approximate


HEADER = "comunidad;familia;nombres;apellidos;sexo;anio_nacimiento;edad;relacion;dni;consentimiento;fecha_consentimiento\n"


def test_csv_with_a_renamed_column_is_refused_naming_the_expected_headers(login_as, app, program):
    client = login_as("coordinator")
    before = counts(app)
    renamed = (
        HEADER.replace("anio_nacimiento", "Año de nacimiento") + "CPR;F1;Ana;Yampis;mujer;1980;;jefa;;no;\n"
    )
    page = post_csv(client, renamed.encode()).get_data(as_text=True)
    assert "no se importó nada" in page
    assert "<td>1</td><td>ano de nacimiento</td>" in page and "columnas desconocidas" in page
    assert "<td>anio_nacimiento</td>" in page and "faltan columnas" in page
    assert "comunidad, familia, nombres, apellidos, sexo, anio_nacimiento, edad" in page
    assert client.post("/people/import", data={"confirm": "1", "text": renamed}).status_code == 200
    assert counts(app) == before


@pytest.mark.parametrize("letter", ["M", "H", "F", ""])
def test_csv_sex_is_a_word_never_a_guessed_letter(login_as, app, program, letter):
    client = login_as("coordinator")
    page = post_csv(client, (HEADER + f"CPR;F1;Ana;Yampis;{letter};1980;;jefa;;no;\n").encode()).get_data(
        as_text=True
    )
    assert "<td>2</td><td>sexo</td>" in page and "mujer, hombre, no registrado" in page
    assert "no se importó nada" in page


def test_csv_separator_rows_are_skipped_and_repeated_rows_are_reported_and_imported_once(
    login_as, app, program
):
    client = login_as("coordinator")
    before = counts(app)
    text = (
        HEADER
        + "CPR;F7;Rita;Suwa;mujer;1975;;jefa;;si;2026-02-01\n"
        + ";;;;;;;;;;\n"
        + "CPR;F7;Rita;Suwa;mujer;1975;;jefa;;si;2026-02-01\n"
        + "CPR;F7;Tito;Suwa;hombre;2001;;hijo;;no;\n"
        + ";;;;;;;;;;\n"
    )
    page = post_csv(client, text.encode()).get_data(as_text=True)
    assert "no se importó nada" not in page
    assert "La fila 4 repite la fila 2: se importa una sola vez." in page
    assert "1 familia nueva" in page and "2 personas nuevas" in page
    assert client.post("/people/import", data={"confirm": "1", "text": text}).status_code == 302
    assert counts(app) == (before[0] + 1, before[1] + 2)  # what the preview promised


def test_csv_consent_date_comes_from_the_file_and_an_age_counts_from_the_reference_date(
    login_as, app, program
):
    from datetime import date

    client = login_as("coordinator")
    text = (
        HEADER
        + "CPR;F8;Luz;Antun;mujer;;40;jefa;;si;14/03/2024\n"
        + "CPR;F8;Noa;Antun;mujer;2005;;hija;;si;\n"
    )
    missing_date = client.post(
        "/people/import",
        data={"file": (io.BytesIO(text.encode()), "f.csv"), "reference": "2024-03-14"},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "<td>3</td><td>fecha_consentimiento</td>" in missing_date
    text = text.replace("hija;;si;\n", "hija;;si;2024-03-15\n")
    preview = client.post(
        "/people/import",
        data={"file": (io.BytesIO(text.encode()), "f.csv"), "reference": "2024-03-14"},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert 'name="reference" value="2024-03-14"' in preview
    response = client.post("/people/import", data={"confirm": "1", "text": text, "reference": "2024-03-14"})
    assert response.status_code == 302
    with app.app_context():
        luz = db.session.scalar(sa.select(Person).where(Person.given_names == "Luz"))
        noa = db.session.scalar(sa.select(Person).where(Person.given_names == "Noa"))
        assert (luz.birth_year, luz.birth_year_approximate) == (1984, True)  # 2024 - 40, not this year - 40
        assert luz.consent_date == date(2024, 3, 14) and noa.consent_date == date(2024, 3, 15)
        assert (noa.birth_year, noa.birth_year_approximate) == (2005, False)


@pytest.mark.parametrize("reference", ["2999-01-01", "14/03/2024", "ayer"])
def test_csv_reference_date_in_the_future_or_malformed_is_refused(login_as, app, program, reference):
    client = login_as("coordinator")
    before = counts(app)
    text = HEADER + "CPR;F9;Eva;Tii;mujer;;30;jefa;;no;\n"
    page = client.post(
        "/people/import", data={"confirm": "1", "text": text, "reference": reference}
    ).get_data(as_text=True)
    assert "La fecha de referencia no es válida" in page
    assert counts(app) == before


@pytest.mark.parametrize(
    ("spouse", "joined", "message"),
    [
        ("self", "2026-01-10", "no puede ser su propio cónyuge"),
        ("elsewhere", "2026-01-10", "misma comunidad"),
        ("", "9999-12-31", "no puede ser futura"),
        ("", "1900-01-01", "anterior a 1950"),
        (str(10**30), "2026-01-10", "No hay una persona con ese número"),
        (str(2**63), "2026-01-10", "No hay una persona con ese número"),
        ("999999", "2026-01-10", "No hay una persona con ese número"),
    ],
)
def test_a_forged_partner_form_is_refused_with_a_message_and_changes_nothing(
    login_as, app, program, spouse, joined, message
):
    from workshops.people import services as people
    from workshops.people.models import Community, Partnership

    head = program["people"][0]
    with app.app_context():
        elsewhere = Community(name="Otra", code="OTR")
        db.session.add(elsewhere)
        db.session.flush()
        stranger = people.add_person(
            people.create_household(elsewhere, "", None), {"given_names": "Eva"}, None
        )
        db.session.commit()
        stranger_id = stranger.id
    spouse = {"self": str(head), "elsewhere": str(stranger_id)}.get(spouse, spouse)
    client = login_as("coordinator")
    response = client.post(
        f"/people/persons/{head}/partner", data={"spouse": spouse, "joined_on": joined}, follow_redirects=True
    )
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Partnership)) == 0


def test_csv_confirm_step_has_the_upload_size_limit(login_as, app, program):
    """The text the preview sends back is held to 2 MB too, and nothing is imported."""
    from workshops.people import importer

    client = login_as("coordinator")
    before = counts(app)
    text = HEADER + "CPR;F1;Ana;Yampis;mujer;1980;;jefa;;no;\n" * (importer.MAX_BYTES // 30)
    assert len(text.encode()) > importer.MAX_BYTES
    page = client.post("/people/import", data={"confirm": "1", "text": text}).get_data(as_text=True)
    assert "pasa de 2 MB" in page
    assert counts(app) == before


def test_csv_over_the_row_limit_is_refused_up_front_saying_to_split_it(login_as, app, program):
    from workshops.people import importer

    client = login_as("coordinator")
    before = counts(app)
    rows = "".join(f"CPR;L{n};Ana;Yampis;mujer;1980;;jefa;;no;\n" for n in range(importer.MAX_ROWS + 1))
    page = post_csv(client, (HEADER + rows).encode()).get_data(as_text=True)
    assert f"más de {importer.MAX_ROWS} filas: divídalo" in page
    assert "<td>" not in page and "Vista previa" not in page  # no row was checked
    page = client.post("/people/import", data={"confirm": "1", "text": HEADER + rows}).get_data(as_text=True)
    assert f"más de {importer.MAX_ROWS} filas" in page
    assert counts(app) == before


def test_csv_of_the_largest_size_taken_imports_in_a_bounded_number_of_queries(
    login_as, app, program, count_queries, monkeypatch
):
    """MAX_ROWS rows, separator rows between them not counted: a preview, then one import in batches."""
    from workshops.people import importer

    client = login_as("coordinator")
    before = counts(app)
    rows = "".join(
        f"CPR;G{n // 4};P{n};Yampis;mujer;1980;;{'jefa' if n % 4 == 0 else 'hija'};;no;\n;;;;;;;;;;\n"
        for n in range(importer.MAX_ROWS)
    )
    text = HEADER + rows
    preview = post_csv(client, text.encode()).get_data(as_text=True)
    assert f"{importer.MAX_ROWS // 4} familias nuevas" in preview
    assert f"{importer.MAX_ROWS} personas nuevas" in preview
    from workshops.core import jobs

    # A file this large is imported in the background: here by a worker run in this thread.
    monkeypatch.setattr(jobs, "start_import_worker", lambda app: None)
    assert client.post("/people/import", data={"confirm": "1", "text": text}).status_code == 303
    assert counts(app) == before
    with count_queries() as statements:
        assert jobs.work_imports(app) == 1
    assert counts(app) == (before[0] + importer.MAX_ROWS // 4, before[1] + importer.MAX_ROWS)
    # Families and their members are looked up BATCH keys a query, codes given out per community:
    # not one lookup a row (2,000 rows made 6,000 before). SQLite gets one INSERT per row
    # (SQLAlchemy batches them on PostgreSQL only), so only the reads are counted.
    reads = [statement for statement in statements if not statement.startswith("INSERT")]
    assert len(reads) < 30, reads[:40]
    again = post_csv(client, text.encode()).get_data(as_text=True)
    assert f"{importer.MAX_ROWS} ya registradas" in again and "0 personas nuevas" in again


def test_csv_errors_show_the_first_hundred_then_a_count_and_blank_rows_cost_nothing(login_as, app, program):
    from workshops.people import importer

    client = login_as("coordinator")
    before = counts(app)
    # Excel's thousands of separator rows, then rows each with one error (a sex given as a letter).
    text = HEADER + "\n" + ";;;;;;;;;;\n" * 20_000 + "CPR;F1;Ana;Yampis;M;1980;;jefa;;no;\n" * 150
    response = post_csv(client, text.encode())
    page = response.get_data(as_text=True)
    assert "El archivo tiene 150 errores; no se importó nada." in page
    assert page.count("<td>sexo</td>") == importer.SHOWN_ERRORS
    assert "<td>20003</td><td>sexo</td>" in page  # the row number as in the spreadsheet, blank rows counted
    assert "Se muestran los primeros 100 errores; hay 50 más." in page
    assert len(response.data) < 100_000
    assert counts(app) == before


def test_csv_of_a_million_separator_rows_is_answered_in_little_memory(login_as, app, program):
    """2 MB of "," rows (which once grew a worker to 1.7 GB): under 100 MB, nothing imported."""
    import tracemalloc

    client = login_as("coordinator")
    before = counts(app)
    text = HEADER.replace(";", ",") + ",\n" * 1_000_000
    tracemalloc.start()
    try:
        page = post_csv(client, text.encode()).get_data(as_text=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "no tiene ninguna fila con datos" in page and "Vista previa" not in page
    assert peak < 100 * 1024 * 1024, peak
    headerless = post_csv(client, (",\n" * 1_000_000).encode()).get_data(as_text=True)
    assert "faltan columnas" in headerless
    assert counts(app) == before


@pytest.mark.parametrize(
    "row",
    [
        'CPR;F1;"' + "a" * 200_000 + '";Yampis;mujer;1980;;jefa;;no;\n',  # a cell past csv's size limit
        "CPR;F1;Ana\rCPR;F2;Eva;Yampis;mujer;1980;;jefa;;no;\n",  # an old Mac line end: read, not a 500
    ],
)
def test_csv_a_row_the_csv_module_cannot_read_is_reported_not_a_500(login_as, app, program, row):
    client = login_as("coordinator")
    before = counts(app)
    response = post_csv(client, (HEADER + row).encode())
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "no se importó nada" in page and "<td>2</td>" in page
    assert counts(app) == before
