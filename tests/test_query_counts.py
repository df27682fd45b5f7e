"""List and detail pages run the same number of queries however many rows they show (no N+1).

Each test builds a few rows of what the page lists, counts the statements of a GET,
adds four times as many rows (each with a new related object: another author, household,
community...), checks that the page shows them all, and counts again. The module page,
the attendance entry page and the reports have their own such tests elsewhere.
"""

import io
import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from workshops.attendance import uploads
from workshops.attendance.models import AttendanceRecord, SessionChange, SessionStaff, WorkshopSession
from workshops.auth.models import User, UserRole
from workshops.catalog import store
from workshops.catalog.models import CatalogEntry, GlossaryTerm, Suggestion
from workshops.core.audit import AuditEntry
from workshops.curriculum.models import Module
from workshops.extensions import db
from workshops.field.models import FieldSubmission
from workshops.people import corrections, merge
from workshops.people import services as people
from workshops.people.models import Community, Household, HouseholdStay, Person

ALL_ROLES = ("admin", "coordinator", "facilitator", "translator", "reviewer")
FEW, MORE = 2, 8  # rows before, rows added: five times as many in the end
_PASSWORD_HASH = generate_password_hash("not used to log in")


@pytest.fixture
def client(login_as):
    return login_as(*ALL_ROLES)


@pytest.fixture
def check_constant(app, client, count_queries):
    """Return check(url, add): add(n) adds n rows (in an app context) and returns the texts that show them."""

    # Read the login and the revisions on every request, as with several servers: adding
    # users would otherwise drop the kept login between the two counts.
    app.config["SHARED_STATE_RECHECK_SECONDS"] = 0

    def check(url, add):
        with app.app_context():
            shown = list(add(FEW))
            db.session.commit()
        assert client.get(url).status_code == 200  # warm caches (languages, catalogs)
        with count_queries() as before:
            response = client.get(url)
        assert response.status_code == 200
        with app.app_context():
            shown += add(MORE)
            db.session.commit()
        assert client.get(url).status_code == 200  # warm again: the rows added may move a revision
        with count_queries() as after:
            response = client.get(url)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        missing = [text for text in shown if text not in page]
        assert missing == [], f"{url} does not show the rows the test added"
        grown = sorted({statement for statement in after if after.count(statement) > before.count(statement)})
        assert len(after) == len(before), (
            f"{url}: {len(before)} queries with {FEW} rows, {len(after)} with {FEW + MORE}; repeated: {grown}"
        )

    return check


def _tag():
    return uuid.uuid4().hex[:6]


def _user(name=None, roles=("facilitator",)):
    name = name or f"persona-{_tag()}"
    user = User(username=name, display_name=name.title(), password_hash=_PASSWORD_HASH)
    user.role_rows = [UserRole(role=role) for role in roles]
    db.session.add(user)
    db.session.flush()
    return user


def _community(name=None):
    tag = _tag()
    community = Community(name=name or f"Comunidad {tag}", code=tag[:5].upper())
    db.session.add(community)
    db.session.flush()
    return community


def _person(household, given=None, family="Prueba", **data):
    return people.add_person(
        household, {"given_names": given or f"P{_tag()}", "family_names": family, **data}, None
    )


def _module(number):
    return db.session.scalar(sa.select(Module).where(Module.number == number))


def _entries(count, offset=0):
    """Curriculum entries in the order the translator list shows them."""
    return db.session.scalars(
        sa.select(CatalogEntry)
        .where(CatalogEntry.domain == "curriculum", CatalogEntry.obsolete.is_(False))
        .order_by(CatalogEntry.position, CatalogEntry.id)
        .offset(offset)
        .limit(count)
    ).all()


# --- translator workspace ------------------------------------------------------------------------


@pytest.mark.parametrize("filters", ["", "?state=suggestion", "?state=translated"])
def test_workspace_list(app, check_constant, filters):
    added = []

    def add(n):
        texts = []
        for entry in _entries(n, offset=len(added)):
            text = f"Traducción {_tag()}"
            store.set_translation(entry, "agr", [text], "translated", author_id=_user().id)
            db.session.add(
                Suggestion(entry_id=entry.id, language="agr", forms=["otra"], author_id=_user().id)
            )
            added.append(entry.id)
            texts.append(text)
        return texts

    check_constant(f"/translate/agr/curriculum/{filters}", add)


def test_workspace_editor(app, check_constant):
    with app.app_context():
        entry_id = _entries(1)[0].id

    def add(n):
        entry = db.session.get(CatalogEntry, entry_id)
        texts = []
        for _ in range(n):
            author = _user()  # every version and suggestion by someone else
            store.set_translation(entry, "agr", [f"Versión {_tag()}"], "translated", author_id=author.id)
            suggester = _user()
            suggestion = f"Sugerencia {_tag()}"
            db.session.add(
                Suggestion(entry_id=entry.id, language="agr", forms=[suggestion], author_id=suggester.id)
            )
            word = entry.msgid.split()[0]
            db.session.add(
                GlossaryTerm(
                    language="agr",
                    source_term=word,
                    target_term=f"término {_tag()}",
                    module_id=_module(1).id,
                    updated_by_id=author.id,
                )
            )
            db.session.flush()
            texts += [author.display_name, suggestion]
        return texts

    check_constant(f"/translate/agr/curriculum/{entry_id}", add)


def test_glossary_page(app, check_constant):
    def add(n):
        texts = []
        for index in range(n):
            term = f"término {_tag()}"
            db.session.add(
                GlossaryTerm(
                    language="agr",
                    source_term=f"palabra {_tag()}",
                    target_term=term,
                    status=("approved", "proposed", "forbidden")[index % 3],
                    module_id=_module(1 + index % 12).id,
                    updated_by_id=_user().id,
                )
            )
            texts.append(term)
        return texts

    check_constant("/translate/agr/glossary", add)


# --- registry --------------------------------------------------------------------------------------


def test_communities_list(app, check_constant):
    def add(n):
        texts = []
        for _ in range(n):
            community = _community()
            _person(people.create_household(community, "", None))
            texts.append(community.name)
        return texts

    check_constant("/people/", add)


def test_households_list(app, check_constant):
    with app.app_context():
        community_id = _community().id
        db.session.commit()

    def add(n):
        community = db.session.get(Community, community_id)
        texts = []
        for _ in range(n):
            household = people.create_household(community, "", None)
            contact = _person(household, is_contact=True)
            _person(household)
            texts += [household.code, contact.full_name]
        return texts

    check_constant(f"/people/communities/{community_id}", add)


def test_household_page(app, check_constant):
    with app.app_context():
        household_id = people.create_household(_community(), "", None).id
        db.session.commit()

    def add(n):
        household = db.session.get(Household, household_id)
        return [_person(household, consent=True).full_name for _ in range(n)]

    check_constant(f"/people/households/{household_id}", add)


def test_person_page(app, check_constant):
    with app.app_context():
        community = _community()
        household = people.create_household(community, "", None)
        person_id = _person(household, given="Rosa", family="Tsamajain").id
        household_id = household.id
        db.session.commit()

    def add(n):
        community = _community()
        texts = []
        for _ in range(n):
            # Possible duplicates, each in another household; and more members of the same one.
            other = people.create_household(community, "", None)
            _person(other, given="Rosa", family="Tsamajain")
            member = _person(db.session.get(Household, household_id))
            texts += [other.code, member.full_name]
        return texts

    check_constant(f"/people/persons/{person_id}", add)


def test_merge_list(app, check_constant):
    """Names, household codes and communities of both sides of every merge, in constant queries."""

    def add(n):
        texts = []
        for index in range(n):
            community = _community()
            kept_home = people.create_household(community, "", None)
            removed_home = people.create_household(_community(), "", None)
            keep = _person(kept_home, given=f"Conservada{_tag()}")
            remove = _person(removed_home, given=f"Fusionada{_tag()}")
            texts += [keep.full_name, remove.full_name, kept_home.code, removed_home.code, community.name]
            merge.merge_persons(keep, remove, None)
            if index % 2:  # and household merges
                gone = people.create_household(community, "", None)
                merge.merge_households(kept_home, gone, None)
                texts.append(gone.code)
        return texts

    check_constant("/people/merges", add)


def test_merge_preview(app, check_constant):
    """The sessions where two records disagree, in constant queries."""
    with app.app_context():
        community = _community()
        keep = _person(people.create_household(community, "", None), given="Rosa")
        remove = _person(people.create_household(community, "", None), given="Rosa")
        ids = keep.id, remove.id
        db.session.commit()

    def add(n):
        texts = []
        for _ in range(n):
            session = _session(
                _community(name=f"Lugar {_tag()}"), when=date(2026, 1, 1) + timedelta(days=len(texts))
            )
            db.session.add(AttendanceRecord(session_id=session.id, person_id=ids[0], status="absent"))
            remark = f"nota {_tag()}"
            db.session.add(
                AttendanceRecord(session_id=session.id, person_id=ids[1], status="present", remark=remark)
            )
            texts += [remark, db.session.get(Community, session.community_id).name]
        db.session.flush()
        return texts

    check_constant(f"/people/persons/{ids[1]}/merge?keep={ids[0]}", add)


def test_person_page_with_its_history(app, check_constant):
    """Corrections by other users and moves to other households: one query each, however many."""
    with app.app_context():
        person = _person(people.create_household(_community(), "", None), given="Rosa", family="Wajai")
        db.session.execute(
            sa.update(HouseholdStay)
            .where(HouseholdStay.person_id == person.id)
            .values(started=date(2000, 1, 1))
        )
        person_id = person.id
        db.session.commit()
    moves = iter(range(1, 1000))

    def add(n):
        texts = []
        community = _community()
        for _ in range(n):
            person = db.session.get(Person, person_id)
            user = _user(roles=("coordinator",))
            data = {
                "given_names": "Rosa",
                "family_names": "Wajai",
                "sex": "female",
                "dni": f"{next(moves):08d}",
            }
            assert corrections.correct_person(person, data, person.revision, user).saved
            household = people.create_household(community, "", None)
            people.move_person(person, household, None, date(2000, 1, 1) + timedelta(days=next(moves)))
            texts += [f"{user.display_name} cambió el DNI de Rosa Wajai", household.code]
        return texts

    check_constant(f"/people/persons/{person_id}", add)


# --- sessions ----------------------------------------------------------------------------------------


def _session(community=None, module=1, when=None, staff=1):
    community = community or _community()
    session = WorkshopSession(
        module_id=_module(module).id,
        community_id=community.id,
        date=when or date.today() + timedelta(days=3),
    )
    db.session.add(session)
    db.session.flush()
    for _ in range(staff):
        db.session.add(SessionStaff(session_id=session.id, user_id=_user().id, role="facilitator"))
    db.session.flush()
    return session


def test_sessions_list(app, check_constant):
    def add(n):
        sessions = [_session(module=1 + index % 12) for index in range(n)]
        return [session.community.name for session in sessions]

    check_constant("/sessions/", add)


def test_session_page(app, check_constant):
    with app.app_context():
        session_id = _session(staff=0).id
        db.session.commit()

    def add(n):
        session = db.session.get(WorkshopSession, session_id)
        texts = []
        for index in range(n):
            user = _user()
            db.session.add(SessionStaff(session_id=session.id, user_id=user.id, role="facilitator"))
            household = people.create_household(session.community, "", None)
            person = _person(household, sex=("female", "male")[index % 2])
            db.session.add(AttendanceRecord(session_id=session.id, person_id=person.id, status="present"))
            name = f"hoja-{_tag()}.pdf"
            uploads.save(session, io.BytesIO(b"%PDF-1.4 test"), name, user)
            texts += [user.display_name, name]
        return texts

    check_constant(f"/sessions/{session_id}", add)


def test_session_page_with_its_history(app, check_constant):
    with app.app_context():
        session_id = _session(staff=0).id
        db.session.commit()

    def add(n):
        texts = []
        for index in range(n):
            user = _user(roles=("coordinator",))
            reason = f"motivo-{_tag()}"
            db.session.add(
                SessionChange(
                    session_id=session_id,
                    field=("status", "venue", "date")[index % 3],
                    old_value="planned" if index % 3 == 0 else "",
                    new_value=("postponed", f"lugar-{index}", "2026-10-05")[index % 3],
                    reason=reason,
                    changed_by_id=user.id,
                )
            )
            texts += [user.display_name, reason]
        return texts

    check_constant(f"/sessions/{session_id}", add)


def test_attendance_sheet(app, check_constant):
    with app.app_context():
        session_id = _session().id
        db.session.commit()

    def add(n):
        session = db.session.get(WorkshopSession, session_id)
        texts = []
        for _ in range(n):
            household = people.create_household(session.community, "", None)
            texts += [household.code, _person(household).given_names, _person(household).given_names]
        return texts

    check_constant(f"/sessions/{session_id}/sheet", add)


# --- field mode ----------------------------------------------------------------------------------------


def test_field_page(app, check_constant):
    def add(n):
        return [_session(module=1 + index % 12).community.name for index in range(n)]

    check_constant("/field/", add)


def test_conflicts_page(app, check_constant):
    def add(n):
        texts = []
        for index in range(n):
            session = _session(module=1 + index % 12, staff=0)
            person = _person(people.create_household(session.community, "", None))
            db.session.add(
                FieldSubmission(
                    uid=str(uuid.uuid4()),
                    user_id=_user().id,
                    session_id=session.id,
                    person_id=person.id,
                    status="present",
                    base_status="",
                    server_status="absent",
                    outcome="conflict",
                )
            )
            texts += [session.community.name, person.full_name]
        return texts

    check_constant("/field/conflicts", add)


# --- administration ------------------------------------------------------------------------------------


def test_audit_log(app, check_constant):
    def add(n):
        texts = []
        for _ in range(n):
            user = _user()
            db.session.add(
                AuditEntry(user_id=user.id, action="update", object_type="Person", object_id=1, details="{}")
            )
            texts.append(user.display_name)
        return texts

    check_constant("/admin/audit", add)


def test_audit_log_with_person_sentences(app, check_constant):
    def add(n):
        texts = []
        for _ in range(n):
            user = _user()
            details = '{"person": "Rosa Wajai", "field": "sex", "old": "female", "new": "male"}'
            db.session.add(
                AuditEntry(
                    user_id=user.id, action="update", object_type="Person", object_id=1, details=details
                )
            )
            texts.append(f"{user.display_name} cambió el sexo de Rosa Wajai: mujer → hombre")
        return texts

    check_constant("/admin/audit", add)


def test_users_page(app, check_constant):
    def add(n):
        return [_user(roles=ALL_ROLES[: 1 + index % 5]).display_name for index in range(n)]

    check_constant("/admin/users", add)


def test_walk_in_review_queue(app, check_constant):
    """Each person to review comes with their session, a likely match and the households to join."""

    def add(n):
        texts = []
        for _ in range(n):
            session = _session(_community())
            household = people.create_household(session.community, "", None)
            family = f"Apellido{_tag()}"
            known = _person(household, "Rosa", family, sex="female")
            walk_in = people.add_person(
                None,
                {"given_names": "Rosa", "family_names": family, "sex": "female"},
                None,
                needs_review=True,
            )
            db.session.add(AttendanceRecord(session_id=session.id, person_id=walk_in.id, status="present"))
            texts += [
                f"/people/persons/{walk_in.id}/merge?keep={known.id}",
                session.community.name,
                household.code,
            ]
        return texts

    check_constant("/people/review/", add)
