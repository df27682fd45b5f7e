"""Escaping: every free-text field a user can type is shown as text on every page that shows it.

Each field gets the same hostile value: a script element, an attribute break-out
with an image whose onerror runs script, and a Jinja expression. A marker just
before the expression tells the fields apart and shows that `{{ 7*7 }}` was never
evaluated (no "<marker>49"). Values are stored through the real forms, the field
sync API and `flask translate import`, then every page that shows them is read back.
The audit log is covered by tests/test_audit_log.py; CSV and XLSX exports are not
HTML (their formula protection is tested with the reports and the glossary).
"""

import json
import re
import shutil
import subprocess
import uuid
from datetime import timedelta
from html.parser import HTMLParser

import polib
import pytest
import sqlalchemy as sa
import yaml
from flask_migrate import upgrade
from markupsafe import escape

from workshops.attendance.models import AttendanceRecord
from workshops.auth import services as auth_services
from workshops.auth.models import User
from workshops.catalog import store
from workshops.catalog.models import CatalogEntry, GlossaryTerm
from workshops.core.clock import program_today
from workshops.core.models import AppState
from workshops.core.paths import MIGRATIONS_DIR
from workshops.curriculum.models import Module, Segment
from workshops.curriculum.services import ensure_curriculum_loaded
from workshops.curriculum.source import MODULES_DIR
from workshops.extensions import db
from workshops.people.models import Community, Person
from workshops.translate import extract
from workshops.translate import services as translate_services

from .conftest import TEST_PASSWORD, make_test_app, tool_required

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
RAW = ("<script>alert(1)", "<img src=x onerror")


def payload(marker):
    return f"{SCRIPT}{BREAKOUT}{marker}{{{{ 7*7 }}}}"


# A value the translation checks let through (no tags, no on...= attributes) that
# would still break a page if it were not escaped: it closes an attribute, opens a
# comment that would swallow the rest of the page, and adds an attribute.
def sneaky(marker):
    return f'x" data-injected="1 <!-- & {marker}{{{{ 7*7 }}}}'


class _Markup(HTMLParser):
    """What a browser would build from a page: elements, attributes, comments."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.attributes = []  # (tag, name, value), values unescaped

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            self.attributes.append((tag, name, value))
            if name.startswith("on") or name == "data-injected":
                self.problems.append(f"<{tag}> has an injected attribute {name}={value!r}")
        if tag == "img":
            self.problems.append(f"an <img> element: {attrs!r}")
        if tag == "script" and not (dict(attrs).get("src") or "").startswith("/static/"):
            self.problems.append(f"a <script> element that is not the app's own: {attrs!r}")

    handle_startendtag = handle_starttag

    def handle_comment(self, data):
        self.problems.append(f"an HTML comment: {data[:60]!r}")


def parse(body):
    parser = _Markup()
    parser.feed(body)
    parser.close()
    return parser


def assert_safe(body, where):
    """No hostile markup: neither as text nor as elements, attributes or comments."""
    for raw in RAW:
        assert raw not in body, f"{where}: {raw!r} unescaped"
    problems = parse(body).problems
    assert not problems, f"{where}: {problems}"


def assert_shows(body, value, marker, where):
    """The value is on the page, escaped, and its {{ 7*7 }} was not evaluated."""
    assert f"{marker}49" not in body, f"{where}: {marker}: {{{{ 7*7 }}}} was evaluated"
    assert str(escape(value)) in body, f"{where}: {marker} is not shown (escaped) on the page"


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, f"{url}: {response.status_code}"
    assert response.mimetype == "text/html", url
    return response.get_data(as_text=True)


def login(client, username):
    response = client.post("/login", data={"username": username, "password": TEST_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def created_id(response):
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


# --- One site where every free-text field holds the hostile value --------------------------------

MARKERS = {
    # typed in the registry, session and attendance forms, the field API, the admin pages
    "user": "zuser",  # a user's display name
    "community": "zcommunity",
    "district": "zdistrict",
    "province": "zprovince",
    "region": "zregion",
    "given": "zgiven",  # the household's contact
    "family": "zfamily",
    "notes": "znotes",  # household notes
    "spouse": "zspouse",  # a second person's given names
    "venue": "zvenue",
    "interpreter": "zinterp",  # session staff without an account
    "remark": "zremark",  # attendance remark
    "reason": "zreason",  # why a session was cancelled
    "walkin": "zwalkin",  # a walk-in typed on the entry page
    "corrected": "zcorrected",  # a person's family names corrected: in the history sentences
    "device": "zdevice",  # a remark sent by a device, kept as a conflict
    "gsource": "zgsource",  # glossary
    "gtarget": "zgtarget",
    "gdefinition": "zgdef",
    "native": "znative",  # a language's names (admin settings)
    "spanish": "zspanish",
    # written in the curriculum source of module 2
    "module title": "zmtitle",
    "summary": "zmsummary",
    "objective": "zmobjective",
    "material": "zmmaterial",
    "section": "zmsection",
    "paragraph": "zmparagraph",
    "key term": "zmterm",
    "definition": "zmdefinition",
}
VALUES = {field: payload(marker) for field, marker in MARKERS.items()}
PEOPLE = ("given", "family", "spouse")
MODULE_TEXTS = ("module title", "summary", "objective", "material", "section", "paragraph", "key term", "definition")  # fmt: skip
EVERYONE = ("admin", "coordinator", "facilitator", "translator", "reviewer")


def hostile_curriculum(directory):
    """Copy the curriculum and put the hostile text into every kind of text of module 2."""
    shutil.copytree(MODULES_DIR, directory)
    (path,) = directory.glob("02-*.yaml")
    module = yaml.safe_load(path.read_text(encoding="utf-8"))
    module["title"] = VALUES["module title"]
    module["summary"] = VALUES["summary"]
    module["objectives"]["o1"] = VALUES["objective"]
    module["materials"]["m1"] = VALUES["material"]
    section = module["sections"][0]
    section["title"] = VALUES["section"]
    section["paragraphs"]["p1"] = VALUES["paragraph"]
    first_term = next(iter(module["key_terms"].values()))
    first_term["term"] = VALUES["key term"]
    first_term["definition"] = VALUES["definition"]
    path.write_text(yaml.safe_dump(module, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return module["slug"]


@pytest.fixture(scope="module")
def site(database_factory, tmp_path_factory):
    """Its own database: a hostile module 2, and every form filled with hostile text; only read by tests."""
    root = tmp_path_factory.mktemp("hostile")
    slug = hostile_curriculum(root / "modules")
    app = make_test_app(database_factory(), root / "instance")
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        ensure_curriculum_loaded(root / "modules")
        translate_services.sync_template("curriculum", extract.curriculum_template(root / "modules"))
        auth_services.create_user("first-admin", "Primera", TEST_PASSWORD, ("admin",))
        db.session.add(AppState(key="setup_done", value="1"))
        db.session.commit()
    try:
        yield fill(app, slug)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def fill(app, slug):
    """Type the hostile text into every form, as users would; return the ids and logged-in clients."""
    with app.app_context():
        today = program_today()  # the session takes attendance: dated today where the program is
    admin = app.test_client()
    login(admin, "first-admin")
    response = admin.post(
        "/admin/users/new",
        data={
            "username": "todo",
            "display_name": VALUES["user"],
            "password": TEST_PASSWORD,
            "confirm": TEST_PASSWORD,
            "roles": list(EVERYONE),
            "is_enabled": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    response = admin.post(
        "/admin/languages/agr",
        data={
            "native_name": VALUES["native"],
            "spanish_name": VALUES["spanish"],
            "plural_forms": "nplurals=2; plural=n != 1;",
            "review_mode": "direct",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]

    user = app.test_client()
    login(user, "todo")
    response = user.post(
        "/people/",
        data={
            "name": VALUES["community"],
            "code": "ESC",
            "district": VALUES["district"],
            "province": VALUES["province"],
            "region": VALUES["region"],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        community_id = db.session.scalar(sa.select(Community.id).where(Community.code == "ESC"))
        user_id = db.session.scalar(sa.select(User.id).where(User.username == "todo"))
        module_id = db.session.scalar(sa.select(Module.id).where(Module.slug == slug))
        paragraph_entry = db.session.scalar(
            sa.select(CatalogEntry.id).where(CatalogEntry.msgid == VALUES["paragraph"])
        )
    household_id = created_id(
        user.post(
            f"/people/communities/{community_id}/households/new",
            data={
                "given_names": VALUES["given"],
                "family_names": VALUES["family"],
                "sex": "female",
                "birth_year": "1990",
                "relationship_to_head": "head",
                "consent": "y",
                "notes": VALUES["notes"],
                "confirmed": "1",
            },
        )
    )
    response = user.post(
        f"/people/households/{household_id}",
        data={
            "given_names": VALUES["spouse"],
            "family_names": "Campo",
            "sex": "male",
            "birth_year": "1985",
            "relationship_to_head": "spouse",
            "confirmed": "1",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        contact_id, spouse_id = db.session.scalars(
            sa.select(Person.id).where(Person.household_id == household_id).order_by(Person.id)
        ).all()
    response = user.post(
        f"/people/persons/{spouse_id}/edit",
        data={
            "given_names": VALUES["spouse"],
            "family_names": VALUES["corrected"],
            "sex": "male",
            "birth_year": "1985",
            "relationship_to_head": "spouse",
            "revision": "0",
            "confirmed": "1",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    response = user.post(
        f"/people/persons/{contact_id}/partner", data={"joined_on": today.isoformat(), "spouse": spouse_id}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/people/partners")
    session_id = created_id(
        user.post(
            "/sessions/new",
            data={
                "module": module_id,
                "community": community_id,
                "date": today.isoformat(),
                "duration": "240",
                "venue": VALUES["venue"],
                "facilitators": [user_id],
                "interpreter": VALUES["interpreter"],
            },
        )
    )
    response = user.post(
        f"/sessions/{session_id}/attendance",
        data={
            "revision": "0",
            "action": "save",
            f"status-{contact_id}": "present",
            f"remark-{contact_id}": VALUES["remark"],
            f"status-{spouse_id}": "present",
            "walkin-given-0": VALUES["walkin"],
            "walkin-family-0": "Nuevo",
            "walkin-sex-0": "male",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    # A second session, made, edited (its old venue stays in its history) and cancelled with a reason.
    cancelled_id = created_id(
        user.post(
            "/sessions/new",
            data={
                "module": module_id,
                "community": community_id,
                "date": (today - timedelta(days=1)).isoformat(),
                "duration": "240",
                "venue": VALUES["venue"],
                "facilitators": [user_id],
                "interpreter": VALUES["interpreter"],
            },
        )
    )
    response = user.post(
        f"/sessions/{cancelled_id}/edit",
        data={
            "module": module_id,
            "date": (today - timedelta(days=1)).isoformat(),
            "duration": "240",
            "venue": "Otro lugar",
            "facilitators": [user_id],
            "interpreter": VALUES["interpreter"],
            "revision": "0",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    response = user.post(
        f"/sessions/{cancelled_id}/cancel",
        data={"status": "cancelled", "reason": VALUES["reason"], "revision": "1"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    # A device whose pack said "late" sends "absent" with a remark, after an administrator last
    # changed the record: a conflict for a coordinator (her own record would simply be corrected).
    with app.app_context():
        admin_id = db.session.scalar(sa.text("SELECT id FROM user_account WHERE username = 'first-admin'"))
        db.session.execute(
            sa.update(AttendanceRecord)
            .where(AttendanceRecord.session_id == session_id, AttendanceRecord.person_id == contact_id)
            .values(entered_by_id=admin_id)
        )
        db.session.commit()
    record = {
        "id": str(uuid.uuid4()),
        "session_id": session_id,
        "person_id": contact_id,
        "status": "absent",
        "remark": VALUES["device"],
        "base_status": "late",
        "entered_at": "2024-01-01T08:00:00Z",
    }
    outcome = user.post("/api/field/sync", json={"records": [record]}).get_json()
    assert outcome["results"][0]["outcome"] == "conflict", outcome
    for term in (
        {
            "source_term": VALUES["gsource"],
            "target_term": VALUES["gtarget"],
            "definition": VALUES["gdefinition"],
        },
        # Part of a hostile paragraph: the editor marks it inside the source text.
        {"source_term": BREAKOUT, "target_term": "", "definition": ""},
    ):
        response = user.post("/translate/agr/glossary/new", data={**term, "status": "approved", "module": ""})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        term_id = db.session.scalar(sa.select(GlossaryTerm.id).where(GlossaryTerm.target_term != ""))
    return {
        "admin": admin,
        "user": user,
        "user_id": user_id,
        "slug": slug,
        "entry": paragraph_entry,  # in the section whose title is hostile
        "community": community_id,
        "household": household_id,
        "person": contact_id,
        "spouse": spouse_id,
        "session": session_id,
        "cancelled": cancelled_id,
        "term": term_id,
        "yesterday": today - timedelta(days=1),
        "tomorrow": today + timedelta(days=1),
    }


# page -> (who reads it, address, the fields it shows). A page that stops showing a
# field fails as "not shown", so the table cannot silently go stale.
PAGES = {
    # the registry
    "communities": ("user", "/people/", ["community", "district", "user"]),
    "community": ("user", "/people/communities/{community}", ["community", "district", "province", "region", "given", "family"]),
    "household": ("user", "/people/households/{household}", ["community", "notes", *PEOPLE]),
    "person": ("user", "/people/persons/{person}", PEOPLE),
    # the history: "<user> cambió los apellidos de <spouse> Campo: Campo → <corrected>"
    "corrected person": ("user", "/people/persons/{spouse}", ["user", "spouse", "corrected"]),
    "person edit form": ("user", "/people/persons/{spouse}/edit", ["spouse", "corrected"]),
    "audit log": ("admin", "/admin/audit?type=Person", ["user", "spouse", "corrected"]),
    "partners": ("user", "/people/partners", PEOPLE),
    "merge preview": ("user", "/people/persons/{spouse}/merge?keep={person}", ["community", "remark", *PEOPLE]),
    # sessions and attendance
    "sessions": ("user", "/sessions/", ["community", "module title"]),
    "session": ("user", "/sessions/{session}", ["community", "venue", "user", "interpreter", "module title"]),
    "attendance entry": ("user", "/sessions/{session}/attendance", ["community", "remark", "walkin", *PEOPLE]),
    "attendance sheet": ("user", "/sessions/{session}/sheet", ["community", "user", "interpreter", "walkin", "module title", *PEOPLE]),
    "new session form": ("user", "/sessions/new", ["community", "user", "module title"]),
    "session edit form": ("user", "/sessions/{session}/edit", ["community", "venue", "user", "interpreter", "module title"]),
    "cancelled session and its history": ("user", "/sessions/{cancelled}", ["community", "venue", "reason", "user", "interpreter", "module title"]),
    "session delete page": ("user", "/sessions/{session}/delete", ["community", "module title"]),
    "series form": ("user", "/sessions/generate", ["community", "user", "module title"]),
    "field mode": ("user", "/field/", ["community", "native", "module title"]),
    "field conflicts": ("user", "/field/conflicts", ["community", "given", "family", "remark", "device", "user"]),
    # reports
    "reports people": ("user", "/reports/people?start={yesterday}&end={tomorrow}&community={community}", ["community", "walkin", *PEOPLE]),
    "reports matrix": ("user", "/reports/matrix?community={community}&expand=1", ["community", *PEOPLE]),
    "reports summary": ("user", "/reports/summary", ["community"]),
    "reports indicators": ("user", "/reports/indicators", ["community"]),
    # accounts and settings
    "users": ("admin", "/admin/users", ["user"]),
    "user form": ("admin", "/admin/users/{user_id}", ["user"]),
    "account": ("user", "/account", ["user"]),
    "languages": ("admin", "/admin/languages", ["native", "spanish"]),
    "language form": ("admin", "/admin/languages/agr", ["native", "spanish"]),
    # the curriculum
    "module page": ("user", "/modules/{slug}", MODULE_TEXTS),
    "module page, Spanish shown for Awajún": ("user", "/modules/{slug}?lang=agr", MODULE_TEXTS),
    "module list": ("user", "/modules", ["module title", "summary"]),
    "key terms": ("user", "/terms", ["module title", "key term", "definition"]),
    # print views (the PDF is the same HTML; see the PDF tests below)
    "print options": ("user", "/materials/", ["native", "module title"]),
    "handout": ("user", "/materials/print?document=handout&module={slug}&first=agr", ["native", "module title", "objective", "key term", "definition"]),
    "guide interlinear": ("user", "/materials/print?document=guide&module={slug}&first=agr&layout=interlinear", MODULE_TEXTS),
    "guide single": ("user", "/materials/print?document=guide&module={slug}&first=es&layout=single", MODULE_TEXTS),
    "book": ("user", "/materials/print?document=book&first=es&layout=side", ["module title", "summary", "section", "paragraph", "key term", "definition"]),
    "key-terms sheet": ("user", "/materials/print?document=terms&first=agr", ["key term", "definition"]),
    # translation
    "translation overview": ("user", "/translate/", ["native", "module title"]),
    "entries": ("user", "/translate/agr/curriculum/?module={slug}&q=7*7", ["native", *MODULE_TEXTS]),
    "editor": ("user", "/translate/agr/curriculum/{entry}", ["native", "module title", "section", "paragraph"]),
    "glossary": ("user", "/translate/agr/glossary", ["gsource", "gtarget", "gdefinition", "native"]),
    "glossary form": ("user", "/translate/agr/glossary/{term}", ["gsource", "gtarget", "gdefinition", "module title"]),
}  # fmt: skip


@pytest.mark.parametrize("name", PAGES)
def test_free_text_is_escaped_on_every_page_that_shows_it(site, name):
    who, address, fields = PAGES[name]
    body = page(site[who], address.format(**site))
    assert_safe(body, name)
    for field in fields:
        assert_shows(body, VALUES[field], MARKERS[field], name)


def test_glossary_marks_in_the_editor_are_built_from_escaped_text(site):
    body = page(site["user"], "/translate/agr/curriculum/{entry}".format(**site))
    assert f"<mark>{escape(BREAKOUT)}</mark>" in body


def test_the_field_pack_carries_the_text_as_data(site):
    """The offline pack is JSON: the exact text, never HTML, read by a script that uses textContent."""
    response = site["user"].get(f"/api/field/pack?session={site['session']}&lang=es&lang=agr")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    (session,) = response.get_json()["sessions"]
    assert session["community"] == VALUES["community"]
    assert session["module"]["title"] == VALUES["module title"]
    persons = {p["id"]: p for group in session["roster"] for p in group["persons"]}
    assert persons[site["person"]]["name"] == f"{VALUES['given']} {VALUES['family']}"
    assert persons[site["person"]]["remark"] == VALUES["remark"]
    script = (MODULES_DIR.parent.parent / "static" / "js" / "field.js").read_text(encoding="utf-8")
    assert not re.search(r"\.(inner|outer)HTML\s*\+?=|insertAdjacentHTML|document\.write", script)


def pdf_text(data):
    result = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return "".join(result.stdout.decode("utf-8").split())  # columns wrap anywhere: compare without spaces


@pytest.mark.parametrize(
    ("address", "marker"),
    [
        ("/sessions/{session}/sheet.pdf", MARKERS["given"]),
        ("/materials/print.pdf?document=handout&module={slug}&first=es&layout=single", MARKERS["objective"]),
    ],
)
def test_pdfs_show_the_text_as_text(site, address, marker):
    tool_required("pdftotext")
    response = site["user"].get(address.format(**site))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    # Had the markup reached WeasyPrint unescaped, the script and the image would be elements, not text.
    assert "".join(SCRIPT.split()) in text and "".join(BREAKOUT.split()) in text
    assert marker + "{{7*7}}" in text and marker + "49" not in text


# --- Translations: interface and curriculum --------------------------------------------------------


def po_file(tmp_path, domain, entries):
    po = polib.POFile()
    po.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Language": "agr",
        "Plural-Forms": "nplurals=2; plural=n != 1;",
    }
    for entry in entries:
        po.append(polib.POEntry(**entry))
    path = tmp_path / f"{domain}.po"
    path.write_text(str(po), encoding="utf-8")
    return path


def import_po(runner, path, domain):
    """Put the file's texts straight into the store, as an old row or a database edit would be.

    `flask translate import` now refuses hostile markup (a blocking check), so it
    cannot bring these in; what reaches the store by another way must still be
    shown as text.
    """
    from workshops.catalog import store

    with runner.app.app_context():
        for po_entry in polib.pofile(str(path)):
            entry = store.find_entry(domain, po_entry.msgctxt or "", po_entry.msgid)
            assert entry is not None, po_entry.msgid
            if po_entry.msgid_plural:
                forms = [po_entry.msgstr_plural[index] for index in sorted(po_entry.msgstr_plural)]
            else:
                forms = [po_entry.msgstr]
            store.set_translation(entry, "agr", forms, "translated")
        db.session.commit()


INTERFACE = {
    # msgid -> marker; where the msgid is used
    "Módulos": "znav",  # {{ _() }} in the navigation of every page
    "Principal": "zaria",  # {{ _() }} inside an attribute (aria-label)
    "mujer": "zlazy",  # a lazy string (_l) printed as a label
    "Nombres": "zlabel",  # a lazy form label and {{ _() }}
    "Con conexión.": "zjs",  # a string handed to the field script in a data- attribute
}


def test_interface_translations_are_escaped(app, runner, login_as, tmp_path):
    """Translations that got into the store unchecked must still be shown as text."""
    entries = [{"msgid": msgid, "msgstr": payload(marker)} for msgid, marker in INTERFACE.items()]
    # {% trans %} blocks and plurals keep their placeholders; the rest is hostile.
    entries.append({"msgid": "Familia %(code)s", "msgstr": payload("ztransblock") + " %(code)s"})
    entries.append(
        {
            "msgid": "%(count)s entrada",
            "msgid_plural": "%(count)s entradas",
            "msgstr_plural": {0: payload("zplural") + " %(count)s", 1: payload("zplural") + " %(count)s"},
        }
    )
    import_po(runner, po_file(tmp_path, "messages", entries), "messages")
    client = login_as("admin", "coordinator", "facilitator", "translator")
    with app.app_context():
        community = Community(name="Comunidad Idioma", code="CID")
        db.session.add(community)
        db.session.commit()
        community_id = community.id
    response = client.post(
        f"/people/communities/{community_id}/households/new",
        data={"given_names": "Rosa", "sex": "female", "relationship_to_head": "head", "confirmed": "1"},
    )
    household_id = created_id(response)

    home = page(client, "/modules?lang=agr")
    assert_safe(home, "modules in agr")
    assert_shows(home, payload("znav"), "znav", "navigation")
    assert_shows(home, payload("zaria"), "zaria", "aria-label")
    household = page(client, f"/people/households/{household_id}?lang=agr")
    assert_safe(household, "household in agr")
    for marker in ("zlazy", "zlabel", "ztransblock"):
        assert_shows(household, payload(marker), marker, "household in agr")
    entries_page = page(client, "/translate/agr/messages/?lang=agr")
    assert_safe(entries_page, "entries in agr")
    assert_shows(entries_page, payload("zplural"), "zplural", "entries in agr")
    # The list shows the translations themselves too.
    assert_shows(entries_page, payload("znav"), "znav", "entries in agr")

    field = page(client, "/field/?lang=agr")
    assert_safe(field, "field mode in agr")
    strings = data_attribute(field, "data-strings")
    assert strings["online"] == payload("zjs")  # the exact text reaches the script
    assert set(data_attribute(field, "data-guard-strings")) <= set(strings)  # the sign-out check's words


def data_attribute(body, name):
    values = [value for _tag, attribute, value in parse(body).attributes if attribute == name]
    assert len(values) == 1, name
    return json.loads(values[0])


@pytest.fixture
def curriculum_entry(app):
    """The title of module 2 and one of its paragraphs, as catalog entries."""
    with app.app_context():
        module = db.session.scalar(sa.select(Module).where(Module.number == 2))
        paragraph = db.session.scalar(
            sa.select(Segment)
            .where(Segment.module_id == module.id, Segment.role == "paragraph")
            .order_by(Segment.position)
            .limit(1)
        )
        title = store.find_entry("curriculum", f"{module.slug}.title", module.title)
        text = store.find_entry("curriculum", paragraph.uid, paragraph.text)
        return {
            "slug": module.slug,
            "title": (title.id, title.context, title.msgid),
            "paragraph": (text.id, text.context, text.msgid),
        }


def test_curriculum_translations_are_escaped_wherever_they_are_shown(
    app, runner, login_as, tmp_path, curriculum_entry
):
    entries = [
        {"msgctxt": context, "msgid": msgid, "msgstr": payload(marker)}
        for (_id, context, msgid), marker in (
            (curriculum_entry["title"], "ztitle"),
            (curriculum_entry["paragraph"], "zparagraph"),
        )
    ]
    import_po(runner, po_file(tmp_path, "curriculum", entries), "curriculum")
    client = login_as("translator", "reviewer", "facilitator")
    slug = curriculum_entry["slug"]
    entry_id = curriculum_entry["title"][0]
    shown = {
        "module page": (f"/modules/{slug}?lang=agr", ["ztitle", "zparagraph"]),
        "module list": ("/modules?lang=agr", ["ztitle"]),
        "key terms": ("/terms?lang=agr", ["ztitle"]),
        "handout side by side": (f"/materials/print?document=handout&module={slug}&first=agr", ["ztitle"]),
        "guide interlinear": (
            f"/materials/print?document=guide&module={slug}&first=agr&layout=interlinear",
            ["ztitle", "zparagraph"],
        ),
        "guide single": (
            f"/materials/print?document=guide&module={slug}&first=agr&layout=single",
            ["ztitle", "zparagraph"],
        ),
        "book": ("/materials/print?document=book&first=agr&layout=single", ["ztitle", "zparagraph"]),
        "entries": (f"/translate/agr/curriculum/?module={slug}", ["ztitle", "zparagraph"]),
        "editor": (f"/translate/agr/curriculum/{entry_id}", ["ztitle"]),
    }
    for name, (address, markers) in shown.items():
        body = page(client, address)
        assert_safe(body, name)
        for marker in markers:
            assert_shows(body, payload(marker), marker, name)
    editor = page(client, f"/translate/agr/curriculum/{entry_id}")
    assert data_attribute(editor, "data-current") == [payload("ztitle")]  # the draft script's copy


def test_refused_translations_and_the_reason_are_shown_as_text(app, login_as, curriculum_entry):
    client = login_as("translator")
    entry_id = curriculum_entry["title"][0]
    response = client.post(
        f"/translate/agr/curriculum/{entry_id}",
        data={"translation": payload("zrefused"), "base_revision": "0", "action": "save"},
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "código no permitido" in body  # refused by the checks, and says why
    assert_safe(body, "refused translation")
    assert_shows(body, payload("zrefused"), "zrefused", "refused translation")


def test_suggestions_history_and_credit_are_escaped(app, login_as, curriculum_entry):
    client = login_as("translator", "reviewer", username="trad")
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "trad"))
        user.display_name = payload("zauthor")  # as an admin would type it
        db.session.commit()
    entry_id = curriculum_entry["paragraph"][0]
    address = f"/translate/agr/curriculum/{entry_id}"
    first = client.post(
        address, data={"translation": sneaky("zfirst"), "base_revision": "0", "action": "save"}
    )
    assert first.status_code == 302, first.get_data(as_text=True)[:3000]
    # Saved again from a page that still showed revision 0: a conflict, kept as a suggestion.
    second = client.post(
        address, data={"translation": sneaky("zsecond"), "base_revision": "0", "action": "save"}
    )
    assert second.status_code == 200
    conflict = second.get_data(as_text=True)
    assert_safe(conflict, "conflict")
    for marker in ("zfirst", "zsecond", "zauthor"):
        assert_shows(conflict, sneaky(marker) if marker != "zauthor" else payload(marker), marker, "conflict")
    editor = page(client, address)
    assert_safe(editor, "editor with suggestion and history")
    for marker in ("zfirst", "zsecond"):
        assert_shows(editor, sneaky(marker), marker, "editor")
    assert_shows(editor, payload("zauthor"), "zauthor", "history author")
    overview = page(client, "/translate/")
    assert_safe(overview, "overview")
    assert_shows(overview, payload("zauthor"), "zauthor", "volunteer credit")
