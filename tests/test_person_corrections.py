"""Correcting a person: every field, with history; no blind overwrite; dated moves with household history."""

import re
from datetime import date, timedelta

import sqlalchemy as sa
from babel.dates import format_date

from workshops.core.audit import AuditEntry
from workshops.core.clock import program_today
from workshops.extensions import db
from workshops.people.models import Household, HouseholdStay, Person, PersonChange

from .helpers import login

FIELDS = (
    "given_names",
    "family_names",
    "sex",
    "birth_year",
    "birth_year_approximate",
    "relationship_to_head",
    "is_contact",
    "dni",
    "consent",
    "consent_date",
)


def signed_in(app, make_user, *roles):
    """Another browser: a new client signed in as a new user with these roles."""
    client = app.test_client()
    username = f"{'-'.join(roles)}-{len(roles)}-{id(client)}"
    make_user(username, roles=roles)
    login(client, username)
    return client


def long_date(value):
    return format_date(value, format="long", locale="es_PE")


def form_of(app, person_id, **changes):
    """The edit form as the page fills it for this person, with some fields changed."""
    with app.app_context():
        person = db.session.get(Person, person_id)
        data = {
            "given_names": person.given_names,
            "family_names": person.family_names,
            "sex": person.sex,
            "birth_year": str(person.birth_year or ""),
            "relationship_to_head": person.relationship_to_head,
            "dni": person.dni or "",
            "consent_date": person.consent_date.isoformat() if person.consent_date else "",
            "revision": str(person.revision),
        }
        for flag in ("birth_year_approximate", "is_contact", "consent"):
            if getattr(person, flag):
                data[flag] = "y"
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def snapshot(app, person_id):
    with app.app_context():
        person = db.session.get(Person, person_id)
        changes = db.session.scalar(sa.select(sa.func.count()).select_from(PersonChange))
        return {name: getattr(person, name) for name in (*FIELDS, "revision")}, changes


def test_every_field_can_be_corrected_with_history_read_as_sentences(app, login_as, make_user, program):
    client = login_as("coordinator", username="ana")
    rosa = program["people"][0]  # Rosa Tsamajain Wajai, female, 1990, head of the first household
    consented = date.today() - timedelta(days=3)
    edit = client.get(f"/people/persons/{rosa}/edit")
    assert edit.status_code == 200 and 'value="Tsamajain Wajai"' in edit.get_data(as_text=True)
    data = form_of(
        app,
        rosa,
        given_names="Rosa María",
        family_names="Tsamajain",
        sex="male",
        birth_year="1988",
        birth_year_approximate="y",
        relationship_to_head="spouse",
        is_contact="y",
        dni="12345678",
        consent="y",
        consent_date=consented.isoformat(),
    )
    response = client.post(f"/people/persons/{rosa}/edit", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/people/persons/{rosa}")
    with app.app_context():
        person = db.session.get(Person, rosa)
        assert (person.full_name, person.sex, person.birth_year, person.birth_year_approximate) == (
            "Rosa María Tsamajain",
            "male",
            1988,
            True,
        )
        assert (person.relationship_to_head, person.is_contact, person.dni) == ("spouse", True, "12345678")
        assert (person.consent, person.consent_date, person.revision) == (True, consented, 1)
        assert person.search_name == "rosa maria tsamajain"
        rows = db.session.scalars(sa.select(PersonChange).order_by(PersonChange.id)).all()
        assert [(row.field, row.old_value, row.new_value) for row in rows] == [
            ("given_names", "Rosa", "Rosa María"),
            ("family_names", "Tsamajain Wajai", "Tsamajain"),
            ("sex", "female", "male"),
            ("birth_year", "1990", "1988"),
            ("birth_year_approximate", "0", "1"),
            ("relationship_to_head", "head", "spouse"),
            ("is_contact", "0", "1"),
            ("dni", None, "12345678"),
            ("consent", "0", "1"),
            ("consent_date", None, consented.isoformat()),
        ]
        assert {row.user_name for row in rows} == {"Ana"} and len({row.changed_at for row in rows}) == 1
    page = client.get(f"/people/persons/{rosa}").get_data(as_text=True)
    before = "Rosa Tsamajain Wajai"  # each sentence names the person as they were before the save
    for sentence in (
        f"Ana cambió los nombres de {before}: Rosa → Rosa María",
        f"Ana cambió los apellidos de {before}: Tsamajain Wajai → Tsamajain",
        f"Ana cambió el sexo de {before}: mujer → hombre",
        f"Ana cambió el año de nacimiento de {before}: 1990 → 1988",
        f"Ana cambió si el año de nacimiento de {before} es aproximado: no → sí",
        f"Ana cambió la relación de {before} con la jefa o el jefe del hogar: "
        "jefe o jefa del hogar → esposa, esposo o conviviente",
        f"Ana cambió si {before} es la persona de contacto de la familia: no → sí",
        f"Ana cambió el DNI de {before}: — → 12345678",
        f"Ana cambió el consentimiento de {before}: no → sí",
        f"Ana cambió la fecha del consentimiento de {before}: — → {long_date(consented)}",
    ):
        assert sentence in page
    # A second save names her by her corrected name.
    client.post(f"/people/persons/{rosa}/edit", data=form_of(app, rosa, sex="female"))
    page = client.get(f"/people/persons/{rosa}").get_data(as_text=True)
    assert "Ana cambió el sexo de Rosa María Tsamajain: hombre → mujer" in page
    assert page.index("hombre → mujer") < page.index("mujer → hombre")  # newest first
    # The administrators' log reads the same.
    log = signed_in(app, make_user, "admin").get("/admin/audit?type=Person").get_data(as_text=True)
    assert f"cambió el sexo de {before}: mujer → hombre" in log
    assert "Ana cambió el sexo de Rosa María Tsamajain: hombre → mujer" in log
    assert "&#34;field&#34;" not in log and "&quot;field&quot;" not in log  # no JSON for these entries


def test_validation_errors_change_nothing(app, login_as, program):
    client = login_as("coordinator")
    rosa = program["people"][0]
    before = snapshot(app, rosa)
    for changes, message in (
        ({"given_names": "   "}, "obligatorio"),
        ({"sex": ""}, "Elija el sexo."),
        ({"sex": "otro"}, "Opción inválida"),
        ({"birth_year": str(date.today().year + 1)}, "no puede estar en el futuro"),
        ({"birth_year": "", "age": "130"}, "Escriba una edad entre 0 y 120."),
        ({"dni": "1234"}, "El DNI tiene exactamente 8 números."),
        (
            {"consent_date": (date.today() + timedelta(days=1)).isoformat()},
            "La fecha no puede estar en el futuro.",
        ),
        ({"given_names": "x" * 121}, "más de 120 caracteres"),
    ):
        data = form_of(app, rosa, **{"sex": "male", **changes})
        response = client.post(f"/people/persons/{rosa}/edit", data=data)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, changes
        assert message in page, changes
        assert snapshot(app, rosa) == before, changes


def test_sex_has_no_default_in_the_edit_form(app, login_as, program):
    client = login_as("coordinator")
    rosa = program["people"][0]
    data = form_of(app, rosa)
    del data["sex"]
    before = snapshot(app, rosa)
    response = client.post(f"/people/persons/{rosa}/edit", data=data)
    assert response.status_code == 200 and "Elija el sexo." in response.get_data(as_text=True)
    assert snapshot(app, rosa) == before


def test_an_age_gives_an_approximate_year(app, login_as, program):
    client = login_as("coordinator")
    luis = program["people"][1]
    response = client.post(f"/people/persons/{luis}/edit", data=form_of(app, luis, birth_year="", age="20"))
    assert response.status_code == 302
    with app.app_context():
        person = db.session.get(Person, luis)
        assert (person.birth_year, person.birth_year_approximate) == (date.today().year - 20, True)


def test_a_changed_name_shows_similar_people_first_but_never_the_person_itself(app, login_as, program):
    client = login_as("coordinator")
    rosa, luis = program["people"][0], program["people"][3]  # Luis Shimpu Atsam, second household
    # Rosa without her second family name would match herself: she is not listed, the save goes through.
    response = client.post(f"/people/persons/{rosa}/edit", data=form_of(app, rosa, family_names="Tsamajain"))
    assert response.status_code == 302
    # Luis renamed as another existing person: the hint comes first, nothing is saved.
    data = form_of(app, luis, given_names="Rosa", family_names="Tsamajain", birth_year="1990")
    before = snapshot(app, luis)
    response = client.post(f"/people/persons/{luis}/edit", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "¿Ya está registrada?" in page
    assert "Rosa Tsamajain" in page and "Es otra persona: guardar" in page
    assert snapshot(app, luis) == before
    # Confirmed: it is someone else.
    response = client.post(f"/people/persons/{luis}/edit", data={**data, "confirmed": "1"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Person, luis).full_name == "Rosa Tsamajain"


def test_a_dni_of_another_person_is_refused_and_ones_own_is_kept(app, login_as, program):
    client = login_as("coordinator")
    rosa, luis = program["people"][0], program["people"][1]
    with app.app_context():
        db.session.get(Person, luis).dni = "11111111"
        db.session.commit()
    before = snapshot(app, rosa)
    response = client.post(
        f"/people/persons/{rosa}/edit", data=form_of(app, rosa, dni="11111111", sex="male")
    )
    assert response.status_code == 200
    assert "Ya hay una persona registrada con ese DNI." in response.get_data(as_text=True)
    assert snapshot(app, rosa) == before
    response = client.post(f"/people/persons/{luis}/edit", data=form_of(app, luis, birth_year="2004"))
    assert response.status_code == 302
    with app.app_context():
        assert (db.session.get(Person, luis).dni, db.session.get(Person, luis).birth_year) == (
            "11111111",
            2004,
        )


def test_the_later_of_two_concurrent_saves_is_shown_the_difference_and_changes_nothing(
    app, make_user, admin_exists, program
):
    rosa = program["people"][0]
    first_form = form_of(app, rosa, sex="male")
    second_form = form_of(app, rosa, birth_year="1991")  # read at the same time: revision 0
    first = signed_in(app, make_user, "coordinator")
    assert first.post(f"/people/persons/{rosa}/edit", data=first_form).status_code == 302
    after_first = snapshot(app, rosa)
    second = signed_in(app, make_user, "admin", "coordinator")
    response = second.post(f"/people/persons/{rosa}/edit", data=second_form)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Otra persona corrigió estos datos mientras usted escribía. No se aplicó nada." in page
    assert "Sexo: hombre → mujer" in page and "Año de nacimiento: 1990 → 1991" in page
    assert snapshot(app, rosa) == after_first
    # The form now carries the stored revision: saving again, having seen the differences, applies it.
    assert re.search(r'<input id="revision" name="revision" type="hidden" value="1">', page)
    response = second.post(f"/people/persons/{rosa}/edit", data={**second_form, "revision": "1"})
    assert response.status_code == 302
    with app.app_context():
        person = db.session.get(Person, rosa)
        assert (person.sex, person.birth_year, person.revision) == ("female", 1991, 2)


def test_consent_changes_are_dated_today_unless_a_date_is_given(app, login_as, program):
    client = login_as("coordinator")
    rosa = program["people"][0]
    assert (
        client.post(f"/people/persons/{rosa}/edit", data=form_of(app, rosa, consent="y")).status_code == 302
    )
    with app.app_context():
        assert db.session.get(Person, rosa).consent_date == date.today()
    # Withdrawn on a given date: the date is kept.
    withdrawn = date.today() - timedelta(days=1)
    data = form_of(app, rosa, consent_date=withdrawn.isoformat())
    del data["consent"]
    assert client.post(f"/people/persons/{rosa}/edit", data=data).status_code == 302
    with app.app_context():
        person = db.session.get(Person, rosa)
        assert (person.consent, person.consent_date) == (False, withdrawn)
        fields = db.session.scalars(sa.select(PersonChange.field).order_by(PersonChange.id)).all()
        assert fields == ["consent", "consent_date", "consent", "consent_date"]


def test_one_contact_per_family_with_history_for_both(app, login_as, program):
    client = login_as("coordinator", username="ana")
    rosa, luis = program["people"][0], program["people"][1]
    assert (
        client.post(f"/people/persons/{rosa}/edit", data=form_of(app, rosa, is_contact="y")).status_code
        == 302
    )
    assert (
        client.post(f"/people/persons/{luis}/edit", data=form_of(app, luis, is_contact="y")).status_code
        == 302
    )
    with app.app_context():
        assert db.session.get(Person, rosa).is_contact is False
        assert db.session.get(Person, rosa).revision == 2  # an open form for Rosa is now stale
    page = client.get(f"/people/persons/{rosa}").get_data(as_text=True)
    assert "Ana cambió si Rosa Tsamajain Wajai es la persona de contacto de la familia: sí → no" in page


def test_saving_an_unchanged_form_writes_nothing(app, login_as, program):
    client = login_as("coordinator")
    rosa = program["people"][0]
    before = snapshot(app, rosa)
    response = client.post(f"/people/persons/{rosa}/edit", data=form_of(app, rosa), follow_redirects=True)
    assert "No había nada que cambiar." in response.get_data(as_text=True)
    assert snapshot(app, rosa) == before


def test_a_merged_record_is_not_corrected(app, login_as, program):
    client = login_as("coordinator")
    rosa, other = program["people"][0], program["people"][2]
    with app.app_context():
        db.session.get(Person, other).merged_into_id = rosa
        db.session.commit()
    before = snapshot(app, other)
    response = client.post(f"/people/persons/{other}/edit", data=form_of(app, other, sex="male"))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/people/persons/{rosa}")
    assert snapshot(app, other) == before


def _stays(app, person_id):
    with app.app_context():
        rows = db.session.scalars(
            sa.select(HouseholdStay).where(HouseholdStay.person_id == person_id).order_by(HouseholdStay.id)
        ).all()
        return [(row.household_id, row.started, row.ended) for row in rows]


def test_a_move_takes_a_date_in_the_past_never_in_the_future(app, login_as, make_user, program):
    client = login_as("coordinator", username="ana")
    luis = program["people"][1]
    home, target = program["households"]
    arrived, moved = date(2020, 1, 6), date(2024, 3, 2)
    with app.app_context():
        db.session.execute(
            sa.update(HouseholdStay).where(HouseholdStay.person_id == luis).values(started=arrived)
        )
        db.session.commit()
        home_code, target_code = db.session.get(Household, home).code, db.session.get(Household, target).code
    before = _stays(app, luis)
    for when, message in (
        ((date.today() + timedelta(days=1)).isoformat(), "La fecha del cambio no puede estar en el futuro."),
        ("2019-12-31", "no puede ser anterior a su llegada a la familia actual"),
        ("el martes", "Escriba la fecha del cambio (AAAA-MM-DD)."),
    ):
        response = client.post(
            f"/people/persons/{luis}/move",
            data={"household": target_code, "moved_on": when},
            follow_redirects=True,
        )
        assert message in response.get_data(as_text=True), when
        assert _stays(app, luis) == before, when
    same = client.post(
        f"/people/persons/{luis}/move", data={"household": home_code, "moved_on": ""}, follow_redirects=True
    )
    assert f"La persona ya está en la familia {home_code}." in same.get_data(as_text=True)
    assert _stays(app, luis) == before

    response = client.post(
        f"/people/persons/{luis}/move", data={"household": target_code, "moved_on": "2024-03-02"}
    )
    assert response.status_code == 302
    assert _stays(app, luis) == [(home, arrived, moved), (target, moved, None)]
    person_page = client.get(f"/people/persons/{luis}").get_data(as_text=True)
    for text in (home_code, target_code, long_date(arrived), long_date(moved)):
        assert text in person_page
    old_home = client.get(f"/people/households/{home}").get_data(as_text=True)
    history = old_home[old_home.index("Quién vivió en la familia") :]
    assert "Luis Tsamajain Wajai" in history and long_date(moved) in history
    new_home = client.get(f"/people/households/{target}").get_data(as_text=True)
    assert "Luis Tsamajain Wajai" in new_home[new_home.index("Quién vivió en la familia") :]
    # Without a date the move is today's in the program's time zone; the log reads as a sentence.
    response = client.post(f"/people/persons/{luis}/move", data={"household": home_code})
    assert response.status_code == 302
    with app.app_context():
        today = program_today()
    assert _stays(app, luis)[-1] == (home, today, None)
    log = signed_in(app, make_user, "admin").get("/admin/audit?type=Person").get_data(as_text=True)
    assert (
        f"Ana pasó a Luis Tsamajain Wajai de la familia {home_code} a la {target_code} desde el {long_date(moved)}"
        in log
    )


def test_old_audit_entries_keep_their_details(app, make_user, admin_exists, program):
    """Entries written before the sentences existed (no person name) are shown as they were."""
    with app.app_context():
        db.session.add(
            AuditEntry(
                action="move",
                object_type="Person",
                object_id=program["people"][0],
                details='{"to": "ZZZ-001"}',
            )
        )
        db.session.commit()
    log = signed_in(app, make_user, "admin").get("/admin/audit?type=Person").get_data(as_text=True)
    assert "ZZZ-001" in log and "{" not in log.split("<tbody>")[1]


def test_a_dni_taken_between_the_check_and_the_save_saves_nothing(app, make_user, admin_exists, program):
    from workshops.people import corrections

    rosa, luis = program["people"][0], program["people"][1]
    coordinator = make_user("coord-race", roles=("coordinator",))
    with app.app_context():
        db.session.get(Person, luis).dni = "22222222"
        db.session.commit()
    before = snapshot(app, rosa)
    with app.app_context():
        from workshops.auth.models import User

        person = db.session.get(Person, rosa)
        data = {"given_names": "Rosa", "family_names": "Otra", "sex": "female", "dni": "22222222"}
        result = corrections.correct_person(person, data, 0, db.session.get(User, coordinator))
        assert (result.saved, result.dni_taken) == (False, True)
        db.session.commit()
    assert snapshot(app, rosa) == before
