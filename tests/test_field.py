"""Field mode API: packs, sync applied exactly once, conflicts kept, bad batches refused whole."""

import json

import pytest
import sqlalchemy as sa
import yaml

from workshops.attendance.models import AttendanceChange, AttendanceRecord, WorkshopSession
from workshops.extensions import db
from workshops.field.models import FieldSubmission
from workshops.people import services as people
from workshops.people.models import Person

from .conftest import TEST_PASSWORD
from .helpers import login, record


def stored(app):
    with app.app_context():
        return (
            sorted(
                (r.session_id, r.person_id, r.status, r.remark)
                for r in db.session.scalars(sa.select(AttendanceRecord))
            ),
            db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceChange)),
            db.session.scalar(sa.select(sa.func.count()).select_from(FieldSubmission)),
            db.session.scalar(sa.select(sa.func.count()).select_from(Person)),
        )


def sync(client, records):
    return client.post("/api/field/sync", json={"records": records})


def test_pack_has_the_roster_and_files_of_assigned_sessions_only(client, field):
    login(client, "fac")
    response = client.get(f"/api/field/pack?session={field['session']}&lang=agr&lang=es")
    assert response.status_code == 200
    pack = response.get_json()
    (session,) = pack["sessions"]
    names = [p["name"] for group in session["roster"] for p in group["persons"]]
    assert names == ["Rosa Campo", "Luis Campo", "Ana Campo"]
    assert any("/modules/" in f and "lang=agr" in f for f in pack["files"])
    assert any("document=handout" in f for f in pack["files"])
    assert "/field/offline" in pack["files"]
    refused = client.get(f"/api/field/pack?session={field['session']}&session={field['other']}")
    assert refused.status_code == 403
    assert "no está asignado" in refused.get_json()["error"]
    assert client.get("/api/field/pack?session=abc").status_code == 400


def test_the_api_speaks_json_to_a_signed_out_device(client, field):
    response = client.get(f"/api/field/pack?session={field['session']}")
    assert response.status_code == 401
    assert "Inicie sesión" in response.get_json()["error"]


def test_sync_applies_each_record_exactly_once(app, client, field):
    login(client, "fac")
    batch = [record(field["session"], person) for person in field["persons"]]
    batch[1]["status"] = "late"
    first = sync(client, batch)
    assert [r["outcome"] for r in first.get_json()["results"]] == ["applied"] * 3
    after_first = stored(app)
    assert [row[2] for row in after_first[0]] == ["present", "late", "present"]
    again = sync(client, batch)
    assert [r["outcome"] for r in again.get_json()["results"]] == ["already_applied"] * 3
    assert stored(app) == after_first
    with app.app_context():
        session = db.session.get(WorkshopSession, field["session"])
        assert session.date == field["date"]  # the session's own date, not the device's
        assert session.status == "entered"
        submission = db.session.scalar(
            sa.select(FieldSubmission).where(FieldSubmission.uid == batch[0]["id"])
        )
        assert submission.device_entered_at.year == 2020  # the device's clock, kept apart


def test_a_change_on_the_server_since_the_pack_is_a_conflict_kept_for_review(app, client, make_user, field):
    login(client, "fac")
    rosa = field["persons"][0]
    coordinator_id = make_user("coord", roles=("coordinator",))
    assert sync(client, [record(field["session"], rosa, "present")]).status_code == 200
    # The pack on a second device was taken when Rosa was "present"; a coordinator then marks her excused.
    with app.app_context():
        row = db.session.scalar(sa.select(AttendanceRecord).where(AttendanceRecord.person_id == rosa))
        row.status, row.entered_by_id = "excused", coordinator_id
        db.session.commit()
    late = record(field["session"], rosa, "absent", base_status="present", remark="llegó tarde")
    answer = sync(client, [late]).get_json()["results"]
    assert answer == [
        {"id": late["id"], "outcome": "conflict", "server": {"status": "excused", "remark": ""}}
    ]
    with app.app_context():
        assert db.session.scalar(
            sa.select(AttendanceRecord.status).where(AttendanceRecord.person_id == rosa)
        ) == ("excused")
    assert sync(client, [late]).get_json()["results"][0]["outcome"] == "already_applied"

    coordinator = app.test_client()
    login(coordinator, "coord")
    page = coordinator.get("/field/conflicts").get_data(as_text=True)
    assert "Rosa Campo" in page and "justificado" in page and "ausente" in page
    with app.app_context():
        submission = db.session.scalar(sa.select(FieldSubmission).where(FieldSubmission.uid == late["id"]))
    assert coordinator.post(f"/field/conflicts/{submission.id}", data={"keep": "device"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(
            sa.select(AttendanceRecord.status).where(AttendanceRecord.person_id == rosa)
        ) == ("absent")
    assert "Rosa Campo" not in coordinator.get("/field/conflicts").get_data(as_text=True)
    assert client.get("/field/conflicts").status_code == 403  # facilitators do not resolve


def test_bad_records_are_rejected_with_a_reason_and_the_rest_applied(app, client, make_user, field):
    login(client, "fac")
    with app.app_context():
        stranger = people.add_person(None, {"given_names": "Otra"}, None).id
        db.session.commit()
    batch = [
        record(field["other"], field["persons"][0]),  # not the facilitator's session
        record(field["session"], stranger),  # not on the roster
        record(field["session"], field["persons"][0], "dancing"),
        {**record(field["session"], field["persons"][1]), "id": "not-a-uuid"},
        record(field["session"], field["persons"][2]),
    ]
    results = sync(client, batch).get_json()["results"]
    assert [r["outcome"] for r in results] == ["rejected"] * 4 + ["applied"]
    assert "no está asignado" in results[0]["reason"]
    assert "no está en la lista" in results[1]["reason"]
    assert "no es válido" in results[2]["reason"]
    assert len(stored(app)[0]) == 1


def test_walk_ins_go_to_the_duplicate_review(app, client, field):
    login(client, "fac")
    walk_in = record(
        field["session"], None, walk_in={"given_names": "Nuevo", "family_names": "Visitante", "sex": "male"}
    )
    del walk_in["person_id"]
    assert sync(client, [walk_in, walk_in]).get_json()["results"][1]["outcome"] == "already_applied"
    with app.app_context():
        person = db.session.scalar(sa.select(Person).where(Person.given_names == "Nuevo"))
        assert person.needs_review and person.household_id is None
        assert db.session.scalar(
            sa.select(AttendanceRecord.status).where(AttendanceRecord.person_id == person.id)
        ) == ("present")


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"{not json", 400, "no es JSON"),
        (b'{"records": 5}', 400, "records"),
        (b"[]", 400, "records"),
    ],
)
def test_malformed_batches_are_refused_whole(app, client, field, body, status, words):
    login(client, "fac")
    before = stored(app)
    response = client.post("/api/field/sync", data=body, content_type="application/json")
    assert response.status_code == status
    assert words in response.get_json()["error"]
    assert stored(app) == before


def test_oversized_batches_are_refused_whole(app, client, field):
    login(client, "fac")
    before = stored(app)
    many = [record(field["session"], field["persons"][0]) for _ in range(501)]
    response = sync(client, many)
    assert response.status_code == 413 and "500" in response.get_json()["error"]
    huge = [record(field["session"], field["persons"][0], remark="x" * 3000) for _ in range(400)]
    response = client.post(
        "/api/field/sync", data=json.dumps({"records": huge}), content_type="application/json"
    )
    assert response.status_code == 413
    assert stored(app) == before


def test_sync_needs_the_csrf_token(csrf_app, field):
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"username": "fac", "password": TEST_PASSWORD, "csrf_token": token})
    batch = [record(field["session"], field["persons"][0])]
    refused = client.post("/api/field/sync", json={"records": batch})
    assert refused.status_code == 400 and "código de seguridad" in refused.get_json()["error"]
    fresh = client.get("/api/field/token").get_json()["csrf_token"]
    accepted = client.post("/api/field/sync", json={"records": batch}, headers={"X-CSRFToken": fresh})
    assert accepted.get_json()["results"][0]["outcome"] == "applied"


def test_installable_app_files(client, field):
    login(client, "fac")
    manifest = client.get("/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    body = manifest.get_json(force=True)
    assert body["display"] == "standalone" and {i["sizes"] for i in body["icons"]} == {"192x192", "512x512"}
    for icon in body["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.data[:8] == b"\x89PNG\r\n\x1a\n"
        image.close()
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker.headers["Service-Worker-Allowed"] == "/"
    assert "caches.match" in worker.get_data(as_text=True)
    worker.close()
    spec = yaml.safe_load(client.get("/api/openapi.yaml").get_data(as_text=True))
    assert set(spec["paths"]) == {
        "/api/field/token",
        "/api/field/estimate",
        "/api/field/pack",
        "/api/field/sync",
    }
    page = client.get("/field/").get_data(as_text=True)
    assert "Modo de campo" in page and 'rel="manifest"' in page


def test_the_same_record_sent_twice_at_once_is_stored_once(app, client, field, monkeypatch):
    """Another request commits the same record id first: this one rolls back, runs again, changes nothing."""
    from workshops.field import services

    login(client, "fac")
    batch = [record(field["session"], field["persons"][0])]
    real_sync, calls = services.sync, []

    def racing_sync(items, user):
        outcomes = real_sync(items, user)
        if not calls:
            calls.append(1)
            with db.engine.begin() as other:  # the other request, on its own connection
                other.execute(
                    sa.insert(FieldSubmission).values(
                        uid=batch[0]["id"],
                        session_id=field["session"],
                        person_id=field["persons"][0],
                        status="present",
                        outcome="applied",
                        received_at=sa.func.now(),
                    )
                )
                other.execute(
                    sa.insert(AttendanceRecord).values(
                        session_id=field["session"],
                        person_id=field["persons"][0],
                        status="present",
                        remark="",
                        entered_at=sa.func.now(),
                    )
                )
        return outcomes

    monkeypatch.setattr(services, "sync", racing_sync)
    response = sync(client, batch)
    assert response.get_json()["results"] == [{"id": batch[0]["id"], "outcome": "already_applied"}]
    records, _changes, submissions, _persons = stored(app)
    assert len(records) == 1 and submissions == 1


@pytest.mark.parametrize("bad", [10**30, 2**63, 2**31, 0, -1, True, [1], {"id": 1}, "7", 1.5])
def test_sync_refuses_ids_out_of_range_or_of_the_wrong_type_per_record(client, field, bad, app):
    """Each such record is refused with its reason; the others of the batch still apply; no 500."""
    login(client, "fac")
    good = record(field["session"], field["persons"][0])
    batch = [good, record(bad, field["persons"][1]), record(field["session"], bad)]
    response = client.post("/api/field/sync", json={"records": batch})
    assert response.status_code == 200
    outcomes = [result["outcome"] for result in response.get_json()["results"]]
    assert outcomes == ["applied", "rejected", "rejected"]
    reasons = [result.get("reason", "") for result in response.get_json()["results"]]
    assert "sesión" in reasons[1] and "persona" in reasons[2]


@pytest.mark.parametrize("bad", [{"a": [1]}, ["x"], 5, True])
def test_sync_refuses_a_base_remark_that_is_not_text_per_record(client, field, app, bad):
    login(client, "fac")
    batch = [
        record(field["session"], field["persons"][0], base_remark=bad),
        record(field["session"], field["persons"][1], base_remark=""),
    ]
    results = sync(client, batch).get_json()["results"]
    assert [r["outcome"] for r in results] == ["rejected", "applied"]
    assert "base_remark" in results[0]["reason"]


def test_sync_refuses_json_nested_too_deep(client, field, app):
    login(client, "fac")
    deep = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/field/sync", data=deep, content_type="application/json")
    assert response.status_code == 400 and "no es JSON válido" in response.get_json()["error"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FieldSubmission)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceRecord)) == 0


def _submissions(app, person_id):
    with app.app_context():
        return [
            (s.outcome, s.resolution)
            for s in db.session.scalars(
                sa.select(FieldSubmission)
                .where(FieldSubmission.person_id == person_id)
                .order_by(FieldSubmission.id)
            )
        ]


def _status(app, person_id):
    with app.app_context():
        return db.session.scalar(
            sa.select(AttendanceRecord.status).where(AttendanceRecord.person_id == person_id)
        )


def test_a_facilitator_correcting_her_own_mark_applies_without_a_conflict(app, client, field):
    login(client, "fac")
    rosa = field["persons"][0]
    first = sync(client, [record(field["session"], rosa, "present")]).get_json()["results"][0]
    assert first["server"] == {"status": "present", "remark": ""}  # the device's next base
    # Based on what the server answered: applied.
    fixed = record(field["session"], rosa, "late", base_status="present", base_remark="")
    assert sync(client, [fixed]).get_json()["results"][0]["outcome"] == "applied"
    # Based on a stale pack (the device never heard back): still her own record, still applied.
    stale = record(field["session"], rosa, "excused", base_status="")
    assert sync(client, [stale]).get_json()["results"][0]["outcome"] == "applied"
    assert _status(app, rosa) == "excused"
    assert _submissions(app, rosa) == [("applied", None)] * 3


def test_someone_elses_change_is_one_conflict_per_person_and_session(app, client, make_user, field):
    other = app.test_client()
    make_user("fac2", roles=("coordinator",))
    login(other, "fac2")
    login(client, "fac")
    rosa, luis = field["persons"][:2]
    assert sync(other, [record(field["session"], rosa, "excused")]).status_code == 200
    # Her device still believes Rosa has no mark: two edits, one after the other, before she syncs again.
    one = record(field["session"], rosa, "present", base_status="")
    two = record(field["session"], rosa, "late", base_status="")
    assert [r["outcome"] for r in sync(client, [one, two]).get_json()["results"]] == ["conflict", "conflict"]
    assert _submissions(app, rosa) == [("applied", None), ("conflict", "superseded"), ("conflict", None)]
    # A remark changed by someone else is a disagreement too, when the device says what remark it saw.
    assert sync(other, [record(field["session"], luis, "present", remark="enfermo")]).status_code == 200
    remark = record(field["session"], luis, "present", remark="", base_status="present", base_remark="")
    assert sync(client, [remark]).get_json()["results"][0]["outcome"] == "conflict"

    coordinator = app.test_client()
    make_user("coord", roles=("coordinator",))
    login(coordinator, "coord")
    page = coordinator.get("/field/conflicts").get_data(as_text=True)
    assert page.count("Rosa Campo") == 1
    with app.app_context():
        open_one = db.session.scalar(sa.select(FieldSubmission).where(FieldSubmission.uid == two["id"]))
    assert coordinator.post(f"/field/conflicts/{open_one.id}", data={"keep": "device"}).status_code == 302
    assert _status(app, rosa) == "late"
    page = coordinator.get("/field/conflicts").get_data(as_text=True)
    assert "Rosa Campo" not in page and "Luis Campo" in page


def test_the_conflicts_page_shows_the_servers_value_of_today(app, client, make_user, field):
    make_user("coord", roles=("coordinator",))
    coordinator = app.test_client()
    login(coordinator, "coord")
    login(client, "fac")
    rosa = field["persons"][0]
    sync(coordinator, [record(field["session"], rosa, "excused")])
    sync(client, [record(field["session"], rosa, "present")])
    # The coordinator changes the record again after the conflict arrived: the page is not stale.
    sync(coordinator, [record(field["session"], rosa, "absent", base_status="excused")])
    page = coordinator.get("/field/conflicts").get_data(as_text=True)
    assert "ausente" in page and "justificado" not in page
    with app.app_context():
        conflict_id = db.session.scalar(
            sa.select(FieldSubmission.id).where(FieldSubmission.outcome == "conflict")
        )
    assert coordinator.post(f"/field/conflicts/{conflict_id}", data={"keep": "server"}).status_code == 302
    assert _status(app, rosa) == "absent"
    assert "Rosa Campo" not in coordinator.get("/field/conflicts").get_data(as_text=True)


def test_the_database_keeps_one_open_conflict_per_record(app, field):
    from sqlalchemy.exc import IntegrityError

    rosa = field["persons"][0]
    with app.app_context():
        for n in range(2):
            db.session.add(
                FieldSubmission(
                    uid=f"00000000-0000-4000-8000-00000000000{n}",
                    session_id=field["session"],
                    person_id=rosa,
                    status="present",
                    outcome="conflict",
                )
            )
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_the_pack_holds_guides_pdfs_and_the_sheet_and_only_the_personal_data_shown(client, field):
    login(client, "fac")
    pack = client.get(f"/api/field/pack?session={field['session']}&lang=agr&lang=es").get_json()
    (session,) = pack["sessions"]
    assert pack["owner"] and set(session["roster"][0]["persons"][0]) == {"id", "name", "status", "remark"}
    for code in ("agr", "es"):
        for document in ("handout", "guide"):
            view = [f for f in session["files"] if f"document={document}" in f and f"first={code}" in f]
            assert sorted(f.split("?")[0] for f in view) == ["/materials/print", "/materials/print.pdf"]
            # The cached page's own "Descargar PDF" link is the cached PDF.
            page = client.get(next(f for f in view if "print?" in f)).get_data(as_text=True)
            pdf = next(f for f in view if "print.pdf" in f)
            assert f'href="{pdf.replace("&", "&amp;")}"' in page
    assert session["personal_files"] == [
        f"/sessions/{field['session']}/sheet",
        f"/sessions/{field['session']}/sheet.pdf",
    ]
    assert not set(session["personal_files"]) & set(pack["files"])
    assert "/field/unavailable" in pack["files"]


def test_the_size_estimate_names_no_one_and_logs_no_pack(app, client, field):
    from workshops.core.audit import AuditEntry

    login(client, "fac")
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    answer = client.get(f"/api/field/estimate?session={field['session']}&lang=es")
    assert answer.status_code == 200
    body = answer.get_data(as_text=True)
    assert "Rosa" not in body and answer.get_json()["roster_bytes"] > 0
    assert f"/sessions/{field['session']}/sheet.pdf" in answer.get_json()["files"]
    assert client.get(f"/api/field/estimate?session={field['other']}").status_code == 403
    assert (
        client.get(f"/api/field/estimate?session={2**63}").status_code == 400
    )  # not a session number at all
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == before


def test_the_token_names_the_account_and_the_unavailable_page_is_public(client, field):
    login(client, "fac")
    user = client.get("/api/field/token").get_json()["user"]
    assert user["name"] == "Fac" and user["manager"] is False and isinstance(user["id"], int)
    page = client.get("/field/").get_data(as_text=True)
    assert 'id="logout-form"' in page and "js/field.js" in page
    client.post("/logout")
    unavailable = client.get("/field/unavailable")
    assert unavailable.status_code == 200 and "no está disponible sin conexión" in unavailable.get_data(
        as_text=True
    )
    assert '"/field/unavailable"' in client.get("/sw.js").get_data(as_text=True)
