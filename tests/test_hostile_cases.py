"""The hostile values tests/test_hostile_input.py found to crash a route, each kept as a plain case.

The generated test is slow and random; these run every time and name what broke.
"""

import io

import sqlalchemy as sa

from workshops.extensions import db
from workshops.people.models import Household, Person

HEADER = "comunidad;familia;nombres;apellidos;sexo;anio_nacimiento;relacion;dni;consentimiento\n"


def _registry_size(app):
    with app.app_context():
        return tuple(
            db.session.scalar(sa.select(sa.func.count()).select_from(model)) for model in (Household, Person)
        )


def test_csv_with_carriage_returns_alone_is_read(login_as, app, program):
    """Old Mac line ends (a CR alone) crashed csv ("new-line character seen in unquoted field")."""
    client = login_as("coordinator")
    text = HEADER.replace("\n", "\r") + "CPR;F9;Ana;Yampis;mujer;1980;jefa;;no\r"
    response = client.post("/people/import", data={"confirm": "1", "text": text})
    assert response.status_code == 302  # read as two lines, and imported
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).where(Person.given_names == "Ana")) == 1


def test_csv_with_a_field_past_the_csv_limit_is_refused_with_a_message(login_as, app, program):
    """A field of more than 131,072 characters crashed csv ("field larger than field limit")."""
    client = login_as("coordinator")
    before = _registry_size(app)
    text = HEADER + "CPR;F9;" + "x" * 200_000 + ";Yampis;mujer;1980;jefa;;no\n"
    response = client.post("/people/import", data={"confirm": "1", "text": text})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "no se importó nada" in page and "no se puede leer como CSV" in page
    assert _registry_size(app) == before


def test_a_report_format_it_does_not_know_shows_the_page(login_as, program):
    """?format=pdf made the matrix and people reports answer nothing (a 500)."""
    client = login_as("coordinator")
    community = program["community"]
    for path in (f"/reports/matrix?community={community}&format=pdf", "/reports/people?format=odt"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.mimetype == "text/html"


HUGE = str(10**30)


def test_ids_and_page_numbers_past_the_database_integer_are_not_found(login_as, program):
    """10**30 as an id or page reached the database: SQLite's OverflowError, PostgreSQL's "out of range"."""
    client = login_as("admin", "coordinator", "reviewer")
    household = program["households"][0]
    for path, data, expected in (
        ("/people/merges", {"merge": HUGE}, 404),
        (f"/people/households/{household}/merge", {"keep": "-" + HUGE}, 404),
        (f"/people/persons/{program['people'][0]}/merge", {"keep": str(2**31)}, 302),  # back to the person
    ):
        assert client.post(path, data=data).status_code == expected, path
    for path in (
        f"/translate/agr/curriculum/next?after=-{HUGE}",
        f"/translate/agr/curriculum/?p={HUGE}",
        f"/people/communities/{program['community']}?page={HUGE}",
        f"/people/review/?page={HUGE}",
        f"/admin/audit?page={HUGE}",
        f"/reports/summary?page={HUGE}",
        f"/people/merges?highlight={HUGE}",
    ):
        assert client.get(path).status_code in (200, 302), path


def test_a_sync_record_whose_id_is_an_object_is_rejected_alone(login_as, program):
    """An id that was a JSON object or list went into the database query (PostgreSQL: "cannot adapt")."""
    client = login_as("coordinator")
    response = client.post("/api/field/sync", json={"records": [{"id": {}}, {"id": ["a"]}, {"id": "\x00"}]})
    assert response.status_code == 200
    assert [result["outcome"] for result in response.get_json()["results"]] == ["rejected"] * 3


def test_a_glossary_term_with_a_module_not_in_the_list_is_refused(login_as, app):
    """A module number of no module broke the foreign key on PostgreSQL."""
    from workshops.catalog.models import GlossaryTerm

    client = login_as("reviewer")
    for module in ("98018", "²", "-1"):
        response = client.post(
            "/translate/agr/glossary/new",
            data={"source_term": "café", "target_term": "", "status": "proposed", "module": module},
        )
        assert response.status_code == 200
        assert "Elija un módulo de la lista." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(GlossaryTerm)) == 0


def test_a_nul_character_in_a_query_or_form_is_refused_with_a_message(login_as, program):
    """PostgreSQL cannot hold or compare text with a NUL: a search or login with one was a 500 there."""
    client = login_as("admin", "coordinator", "reviewer")
    for response in (
        client.get(f"/people/communities/{program['community']}?q=a%00b"),
        client.get("/translate/agr/curriculum/?q=%00"),
        client.post("/people/", data={"name": "Nueva\x00", "code": "NUE"}),
        client.post("/login", data={"username": "x\x00", "password": "y"}),
    ):
        assert response.status_code == 400
        assert "carácter no válido (NUL)" in response.get_data(as_text=True)


def test_field_api_session_numbers_out_of_range_and_nul_in_a_record(login_as, program):
    client = login_as("coordinator")
    response = client.get(f"/api/field/pack?session={HUGE}")
    assert response.status_code == 400 and "no son válidos" in response.get_json()["error"]
    record = {
        "id": "0b0e9ac4-5d3e-4a53-9c0f-3c1a1f1a0001",
        "session_id": program["session"],
        "person_id": program["people"][0],
        "status": "present",
        "remark": "a\x00b",
    }
    results = client.post("/api/field/sync", json={"records": [record]}).get_json()["results"]
    assert results[0]["outcome"] == "rejected" and "NUL" in results[0]["reason"]


def test_a_po_download_for_no_module_is_not_found(login_as):
    """The module went into the file name header: a CR/LF in it was a 500."""
    client = login_as("translator")
    assert client.get("/translate/agr/curriculum/download?module=%0D%0A").status_code == 404
    assert client.get("/translate/agr/curriculum/download?module=vivero-de-cafe").status_code == 200


def test_a_form_part_whose_name_has_a_line_break_is_no_500(login_as, program):
    client = login_as("coordinator")
    response = client.post("/people/import", data={"\x05\n": "-374", "file": (io.BytesIO(b"x"), "a.csv")})
    assert response.status_code == 200


def test_a_translation_base_revision_past_the_database_integer_is_a_conflict(login_as, app):
    """2**31 as the editor's base revision was stored with the suggestion: "out of range" on PostgreSQL."""
    from workshops.catalog.models import CatalogEntry

    with app.app_context():
        entry_id = db.session.scalar(
            sa.select(sa.func.min(CatalogEntry.id)).where(CatalogEntry.domain == "curriculum")
        )
    response = login_as("translator").post(
        f"/translate/agr/curriculum/{entry_id}", data={"base_revision": str(2**31), "translation": "x"}
    )
    assert response.status_code == 200
    assert 'class="flash flash-warning conflict"' in response.get_data(as_text=True)
