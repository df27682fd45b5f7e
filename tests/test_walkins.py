"""Walk-ins: checked against the community and each other before they exist, and reviewed after."""

import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from workshops.attendance.models import AttendanceRecord, WorkshopSession
from workshops.core.audit import AuditEntry
from workshops.extensions import db
from workshops.people import services as people
from workshops.people.models import HouseholdStay, Person

from .helpers import login, record


def entry(program, **walk_ins):
    """The entry page's form: the roster left blank, and walk-in fields (given_0="Ana", sex_0=...)."""
    data = {"revision": 0, "action": "save"}
    for key, value in walk_ins.items():
        name, index = key.rsplit("_", 1)
        data[f"walkin-{name}-{index}"] = value
    return data


def persons_named(app, given):
    with app.app_context():
        return db.session.scalars(
            sa.select(Person).where(Person.given_names == given).order_by(Person.id)
        ).all()


def count(app, model):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def revision(app, session_id):
    with app.app_context():
        return db.session.get(WorkshopSession, session_id).revision


def test_the_same_walk_in_twice_in_one_save_is_held_back_until_confirmed(login_as, app, program):
    client = login_as("coordinator")
    url = f"/sessions/{program['session']}/attendance"
    data = entry(
        program,
        given_0="Nantu",
        family_0="Yampis",
        sex_0="female",
        year_0="1985",
        given_1="nantú",
        family_1="YAMPIS",
        sex_1="female",
    )
    page = client.post(url, data=data).get_data(as_text=True)
    assert "No se guardó nada" in page
    assert (
        "Persona nueva 2 de este mismo formulario" in page
        and "Persona nueva 1 de este mismo formulario" in page
    )
    assert 'value="Nantu"' in page and 'value="1985"' in page  # the rows come back as typed
    assert persons_named(app, "Nantu") == [] and count(app, AttendanceRecord) == 0
    assert revision(app, program["session"]) == 0
    # Confirming other rows than those shown is not a confirmation: asked again.
    digest = page.split('name="confirmed" value="')[1].split('"')[0]
    changed = {**data, "confirmed": digest, "walkin-year-1": "1986"}
    assert "No se guardó nada" in client.post(url, data=changed).get_data(as_text=True)
    assert persons_named(app, "Nantu") == []
    # The same rows, confirmed: "they are new people".
    assert client.post(url, data={**data, "confirmed": digest}).status_code == 302
    assert len(persons_named(app, "Nantu")) == 1 and len(persons_named(app, "nantú")) == 1


def test_the_same_walk_in_in_a_second_save_is_held_back_with_the_first(login_as, app, program):
    client = login_as("coordinator")
    url = f"/sessions/{program['session']}/attendance"
    first = entry(program, given_0="Nantu", family_0="Yampis", sex_0="female", year_0="1985")
    assert client.post(url, data=first).status_code == 302
    (walk_in,) = persons_named(app, "Nantu")
    again = {**first, "revision": 1}
    page = client.post(url, data=again).get_data(as_text=True)
    assert "No se guardó nada" in page
    assert "Es Nantu Yampis</label> · 1985 · sin familia · está en esta página" in page
    assert len(persons_named(app, "Nantu")) == 1 and revision(app, program["session"]) == 1
    # The coordinator marks the person on the roster and clears the row: nobody new.
    fixed = {"revision": 1, "action": "save", f"status-{walk_in.id}": "late"}
    assert client.post(url, data=fixed).status_code == 302
    assert len(persons_named(app, "Nantu")) == 1
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(AttendanceRecord.status).where(AttendanceRecord.person_id == walk_in.id)
            )
            == "late"
        )


def test_a_walk_in_seen_at_an_earlier_session_is_chosen_not_created_again(login_as, app, program):
    """A walk-in typed again at a later session is not on that roster: the coordinator picks them."""
    client = login_as("coordinator")
    url = f"/sessions/{program['session']}/attendance"
    first = entry(program, given_0="Nantu", family_0="Yampis", sex_0="female", year_0="1985")
    assert client.post(url, data=first).status_code == 302
    (walk_in,) = persons_named(app, "Nantu")
    with app.app_context():
        earlier = db.session.get(WorkshopSession, program["session"])
        later = WorkshopSession(
            module_id=earlier.module_id, community_id=earlier.community_id, date=date(2026, 10, 12)
        )
        db.session.add(later)
        db.session.commit()
        later_id = later.id
    url = f"/sessions/{later_id}/attendance"
    typed = {**first, "revision": 0}
    page = client.post(url, data=typed).get_data(as_text=True)
    assert "Es Nantu Yampis</label> · 1985 · sin familia · no está en esta página de la lista" in page
    digest = page.split('name="confirmed" value="')[1].split('"')[0]
    # A person the page did not offer is not taken: the row stays a walk-in (and is asked about again).
    forged = {**typed, "confirmed": digest, "walkin-is-0": str(program["people"][1])}
    assert client.post(url, data={**forged, "confirmed": "x"}).status_code == 200
    chosen = {**typed, "confirmed": digest, "walkin-is-0": str(walk_in.id)}
    assert client.post(url, data=chosen).status_code == 302
    assert len(persons_named(app, "Nantu")) == 1
    with app.app_context():
        record = db.session.scalar(sa.select(AttendanceRecord).where(AttendanceRecord.session_id == later_id))
        assert (record.person_id, record.status) == (walk_in.id, "present")


def test_a_walk_in_like_a_registered_person_shows_them_and_saves_nothing(login_as, app, program):
    client = login_as("coordinator")
    url = f"/sessions/{program['session']}/attendance"
    # Rosa Tsamajain Wajai, 1990, is on the roster; accents, case and a missing second name do not hide her.
    data = entry(program, given_0="Rósa", family_0="tsamajain", sex_0="female", year_0="1991")
    page = client.post(url, data=data).get_data(as_text=True)
    assert "Es Rosa Tsamajain Wajai</label> · 1990 · CPR-001 · está en esta página" in page
    assert "Guardar (las filas sin elegir, como personas nuevas)" in page
    assert persons_named(app, "Rósa") == []
    # Someone of another community is not a candidate.
    other = entry(program, given_0="Pedro", family_0="Lejano", sex_0="male")
    with app.app_context():
        from workshops.people.models import Community

        far = Community(name="Lejos", code="LEJ")
        db.session.add(far)
        db.session.flush()
        people.add_person(
            people.create_household(far, "", None),
            {"given_names": "Pedro", "family_names": "Lejano", "sex": "male"},
            None,
        )
        db.session.commit()
    assert client.post(url, data=other).status_code == 302


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"given_0": "Visitante"}, "Persona nueva 1: Elija el sexo de la persona nueva Visitante"),
        ({"given_0": "Visitante", "sex_0": "mujer"}, "Elija el sexo de la persona nueva Visitante"),
        (
            {"given_0": "Visitante", "sex_0": "male", "year_0": "85"},
            "El año de nacimiento «85» tiene dos cifras: escríbalo con cuatro (por ejemplo 1985).",
        ),
    ],
)
def test_a_walk_in_without_sex_or_with_a_two_digit_year_is_a_form_error(
    login_as, app, program, fields, message
):
    client = login_as("coordinator")
    response = client.post(f"/sessions/{program['session']}/attendance", data=entry(program, **fields))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert 'value="Visitante"' in page  # typed again? no: kept
    assert persons_named(app, "Visitante") == [] and count(app, AttendanceRecord) == 0


def test_the_entry_page_has_no_default_sex_and_records_consent(login_as, app, program):
    client = login_as("coordinator")
    url = f"/sessions/{program['session']}/attendance"
    page = client.get(url).get_data(as_text=True)
    assert (
        '<select name="walkin-sex-0"><option value="">' in page
        and "selected" not in page.split("walkin-sex-0")[1][:300]
    )
    data = entry(
        program, given_0="Sí", sex_0="female", consent_0="1", given_1="No", family_1="Quiso", sex_1="male"
    )
    assert client.post(url, data=data).status_code == 302
    (agreed,), (refused,) = persons_named(app, "Sí"), persons_named(app, "No")
    assert agreed.consent and agreed.consent_date == date.today()
    assert not refused.consent and refused.consent_date is None
    assert agreed.sex == "female" and refused.sex == "male"


def test_the_registry_form_has_no_default_sex(login_as, app, program):
    client = login_as("coordinator")
    url = f"/people/households/{program['households'][0]}"
    response = client.post(
        url, data={"given_names": "Sinsexo", "relationship_to_head": "child", "confirmed": "1"}
    )
    assert "Elija el sexo." in response.get_data(as_text=True)
    assert persons_named(app, "Sinsexo") == []


# --- the sync API ---------------------------------------------------------------------------------


def walk_in_record(session_id, **walk_in):
    item = record(session_id, None, walk_in=walk_in)
    del item["person_id"]
    return item


def sync(client, records):
    return client.post("/api/field/sync", json={"records": records}).get_json()["results"]


@pytest.mark.parametrize(
    ("walk_in", "reason"),
    [
        ({"given_names": "Sinsexo"}, "Elija el sexo de la persona nueva Sinsexo"),
        ({"given_names": "Sinsexo", "sex": None}, "Elija el sexo"),
        ({"given_names": "Sinsexo", "sex": "male", "birth_year": 85}, "«85» tiene dos cifras"),
        ({"given_names": "Sinsexo", "sex": "male", "birth_year": "85"}, "«85» tiene dos cifras"),
        ({"given_names": "Sinsexo", "sex": "male", "consent": "sí"}, "consent debe ser true o false"),
    ],
)
def test_the_api_refuses_a_walk_in_without_sex_or_with_a_two_digit_year(app, client, field, walk_in, reason):
    login(client, "fac")
    good = record(field["session"], field["persons"][0])
    results = sync(client, [walk_in_record(field["session"], **walk_in), good])
    assert results[0]["outcome"] == "rejected" and reason in results[0]["reason"]
    assert results[1]["outcome"] == "applied"  # the rest of the batch is applied
    assert persons_named(app, "Sinsexo") == []


def test_the_api_records_consent(app, client, field):
    login(client, "fac")
    items = [
        walk_in_record(field["session"], given_names="Dijo", family_names="Sí", sex="female", consent=True),
        walk_in_record(field["session"], given_names="Dijo", family_names="No", sex="female"),
    ]
    assert [r["outcome"] for r in sync(client, items)] == ["applied", "applied"]
    by_family = {p.family_names: p for p in persons_named(app, "Dijo")}
    assert by_family["Sí"].consent and by_family["Sí"].consent_date == date.today()
    assert not by_family["No"].consent


def test_the_same_walk_in_in_two_records_is_one_person(app, client, field):
    login(client, "fac")
    walk_in = {"given_names": "Nantu", "family_names": "Yampis", "sex": "female", "birth_year": 1985}
    first = walk_in_record(field["session"], **walk_in)
    # The same batch, and a later one from another device: different record ids, one person.
    assert [r["outcome"] for r in sync(client, [first, walk_in_record(field["session"], **walk_in)])] == [
        "applied",
        "applied",
    ]
    later = walk_in_record(field["session"], **{**walk_in, "given_names": "NANTU"})
    assert sync(client, [later])[0]["outcome"] == "applied"
    assert len(persons_named(app, "Nantu")) == 1
    # Another birth year or sex is another walk-in: recorded, and both wait in the review queue.
    other = walk_in_record(field["session"], **{**walk_in, "birth_year": 1986})
    assert sync(client, [other])[0]["outcome"] == "applied"
    found = persons_named(app, "Nantu")
    assert len(found) == 2 and all(p.needs_review for p in found)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceRecord)) == 2


def test_a_walk_in_like_someone_of_the_community_is_recorded_for_review_never_merged(
    app, client, field, make_user
):
    login(client, "fac")
    item = walk_in_record(field["session"], given_names="Rosa", family_names="Campo", sex="female")
    assert sync(client, [item])[0]["outcome"] == "applied"
    rosas = persons_named(app, "Rosa")
    assert len(rosas) == 2 and rosas[1].needs_review and rosas[1].merged_into_id is None
    make_user("coord", roles=("coordinator",))
    coordinator = app.test_client()
    login(coordinator, "coord")
    page = coordinator.get("/people/review/").get_data(as_text=True)
    assert f"/people/persons/{rosas[1].id}/merge?keep={rosas[0].id}" in page


# --- the review queue -----------------------------------------------------------------------------


@pytest.fixture
def queued(app, program):
    """A walk-in of the program's session who resembles Rosa Tsamajain Wajai; return the ids."""
    with app.app_context():
        walk_in = people.add_person(
            None,
            {"given_names": "Rosa", "family_names": "Tsamajain", "sex": "female", "birth_year": 1991},
            None,
            needs_review=True,
        )
        db.session.add(
            AttendanceRecord(session_id=program["session"], person_id=walk_in.id, status="present")
        )
        db.session.commit()
        return {**program, "walk_in": walk_in.id, "rosa": program["people"][0]}


def audits(app, action, person_id):
    with app.app_context():
        return [
            json.loads(entry.details)
            for entry in db.session.scalars(
                sa.select(AuditEntry).where(
                    AuditEntry.action == action,
                    AuditEntry.object_type == "Person",
                    AuditEntry.object_id == person_id,
                )
            )
        ]


def test_the_review_queue_lists_walk_ins_with_their_session_and_matches(login_as, queued):
    client = login_as("coordinator")
    page = client.get("/people/review/").get_data(as_text=True)
    assert f'id="person-{queued["walk_in"]}"' in page
    assert f'/sessions/{queued["session"]}"' in page and "Comunidad Prueba" in page
    assert f"/people/persons/{queued['walk_in']}/merge?keep={queued['rosa']}" in page
    # Luis, Rosa's son, is not a likely match; nor is the walk-in itself.
    assert f"?keep={queued['people'][1]}" not in page and f"?keep={queued['walk_in']}" not in page
    assert "CPR-001" in page and "CPR-002" in page  # the households of the community to join
    # The merge link leads to the existing preview.
    preview = client.get(f"/people/persons/{queued['walk_in']}/merge?keep={queued['rosa']}")
    assert "Confirmar la fusión" in preview.get_data(as_text=True)


def test_confirm_as_new_leaves_the_queue_and_is_audited(login_as, app, queued):
    client = login_as("coordinator", "admin", username="ana")
    url = f"/people/review/{queued['walk_in']}/confirm"
    assert client.post(url).status_code == 302
    with app.app_context():
        assert not db.session.get(Person, queued["walk_in"]).needs_review
    assert audits(app, "review", queued["walk_in"])[0]["outcome"] == "new"
    log = client.get("/admin/audit").get_data(as_text=True)
    assert "Ana confirmó que Rosa Tsamajain es una persona nueva" in log
    assert f'id="person-{queued["walk_in"]}"' not in client.get("/people/review/").get_data(as_text=True)
    # A second click (another coordinator's) changes nothing and says so.
    page = client.post(url, follow_redirects=True).get_data(as_text=True)
    assert "Otra persona ya revisó este registro." in page
    assert len(audits(app, "review", queued["walk_in"])) == 1


def test_assign_to_a_household_moves_them_from_a_date_and_is_audited(login_as, app, queued):
    client = login_as("coordinator")
    url = f"/people/review/{queued['walk_in']}/household"
    household = queued["households"][1]
    when = (date.today() - timedelta(days=3)).isoformat()
    # A future date, a missing date, or a household of another community: refused, nothing changed.
    future = (date.today() + timedelta(days=1)).isoformat()
    page = client.post(url, data={"household": household, "date": future}, follow_redirects=True)
    assert "no puede estar en el futuro" in page.get_data(as_text=True)
    page = client.post(url, data={"household": household, "date": "ayer"}, follow_redirects=True)
    assert "Escriba la fecha" in page.get_data(as_text=True)
    with app.app_context():
        from workshops.people.models import Community

        far = Community(name="Lejos", code="LEJ")
        db.session.add(far)
        db.session.flush()
        far_household = people.create_household(far, "", None).id
        db.session.commit()
    page = client.post(url, data={"household": far_household, "date": when}, follow_redirects=True)
    assert "no es de la comunidad de esta persona" in page.get_data(as_text=True)
    with app.app_context():
        person = db.session.get(Person, queued["walk_in"])
        assert person.household_id is None and person.needs_review
    assert client.post(url, data={"household": household, "date": when}).status_code == 302
    with app.app_context():
        person = db.session.get(Person, queued["walk_in"])
        assert person.household_id == household and not person.needs_review
        stay = db.session.scalar(sa.select(HouseholdStay).where(HouseholdStay.person_id == person.id))
        assert stay.household_id == household and stay.started.isoformat() == when
    assert audits(app, "move", queued["walk_in"])[0]["on"] == when
    assert audits(app, "review", queued["walk_in"])[0]["outcome"] == "household"


def test_merge_from_the_queue_takes_the_walk_in_out_of_it(login_as, app, queued):
    client = login_as("coordinator")
    url = f"/people/persons/{queued['walk_in']}/merge?keep={queued['rosa']}"
    page = client.get(url).get_data(as_text=True)
    seen = page.split('name="seen" value="')[1].split('"')[0]
    assert client.post(url, data={"keep": queued["rosa"], "seen": seen}).status_code == 302
    with app.app_context():
        assert db.session.get(Person, queued["walk_in"]).merged_into_id == queued["rosa"]
        assert (
            db.session.scalar(
                sa.select(AttendanceRecord.person_id).where(AttendanceRecord.session_id == queued["session"])
            )
            == queued["rosa"]
        )
    assert f'id="person-{queued["walk_in"]}"' not in client.get("/people/review/").get_data(as_text=True)


def test_the_review_queue_is_paged(login_as, app, program):
    from workshops.attendance.walkins import REVIEW_PAGE_SIZE

    with app.app_context():
        for number in range(REVIEW_PAGE_SIZE + 2):
            people.add_person(
                None, {"given_names": f"Nuevo{number:03d}", "sex": "male"}, None, needs_review=True
            )
        db.session.commit()
    client = login_as("coordinator")
    first = client.get("/people/review/").get_data(as_text=True)
    second = client.get("/people/review/?page=2").get_data(as_text=True)
    assert "Nuevo000" in first and f"Nuevo{REVIEW_PAGE_SIZE:03d}" not in first
    assert f"Nuevo{REVIEW_PAGE_SIZE:03d}" in second and "Nuevo000" not in second
    assert "Página 1 de 2" in first
    assert client.get("/people/review/?page=99").status_code == 200


@pytest.mark.parametrize(
    ("role", "status"),
    [("facilitator", 403), ("translator", 403), ("reviewer", 403), ("coordinator", 200), ("admin", 200)],
)
def test_only_coordinators_and_admins_review(login_as, app, queued, role, status):
    client = login_as(role)
    assert client.get("/people/review/").status_code == status
    if status == 403:
        assert client.post(f"/people/review/{queued['walk_in']}/confirm").status_code == 403
        assert client.post(f"/people/review/{queued['walk_in']}/household", data={}).status_code == 403
        with app.app_context():
            assert db.session.get(Person, queued["walk_in"]).needs_review


def test_typed_walk_ins_shown_again_are_escaped(login_as, program):
    client = login_as("coordinator")
    name = '<b>x</b>"'
    data = entry(program, given_0=name, sex_0="male", given_1=name, sex_1="male")
    page = client.post(f"/sessions/{program['session']}/attendance", data=data).get_data(as_text=True)
    assert "No se guardó nada" in page
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page


def test_a_crowded_community_reads_few_people_and_takes_a_household_code(login_as, app, queued):
    """The queue's page size does not grow with the community: names narrow the pool, codes replace lists."""
    from workshops.attendance.walkins import HOUSEHOLDS_LISTED
    from workshops.people.models import Community

    with app.app_context():
        community = db.session.get(Community, queued["community"])
        for number in range(HOUSEHOLDS_LISTED + 5):
            household = people.create_household(community, "", None)
            for given in ("Ana", "Pedro", "Teresa"):
                people.add_person(
                    household, {"given_names": given, "family_names": f"Fam{number}", "sex": "female"}, None
                )
        target = people.create_household(community, "", None)
        db.session.commit()
        target_id, target_code = target.id, target.code
    loaded = []

    def count_load(person, _context):
        loaded.append(person.id)

    client = login_as("coordinator")
    sa.event.listen(Person, "load", count_load)
    try:
        page = client.get("/people/review/").get_data(as_text=True)
    finally:
        sa.event.remove(Person, "load", count_load)
    assert f"?keep={queued['rosa']}" in page  # the likely match is still found
    # The walk-in, the two Rosas and Luis at most: not the 150 people of the community.
    assert len(set(loaded)) < 10, len(set(loaded))
    assert 'name="household_code"' in page and 'name="household"' not in page
    url = f"/people/review/{queued['walk_in']}/household"
    when = (date.today() - timedelta(days=2)).isoformat()
    answer = client.post(url, data={"household_code": "NOPE-999", "date": when}, follow_redirects=True)
    assert "No hay ninguna familia con el código NOPE-999" in answer.get_data(as_text=True)
    assert client.post(url, data={"household_code": target_code.lower(), "date": when}).status_code == 302
    with app.app_context():
        assert db.session.get(Person, queued["walk_in"]).household_id == target_id
