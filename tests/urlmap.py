"""Walking the URL map in tests: sample values for every URL argument, state-changing routes, database state."""

import hashlib

import sqlalchemy as sa

from workshops.extensions import db

ROLES = ("admin", "coordinator", "facilitator", "translator", "reviewer")


SAMPLE_ARGUMENTS = {
    "slug": "vivero-de-cafe",
    "code": "agr",
    "lang": "agr",
    "domain": "curriculum",
    "context": "vivero-de-cafe.objectives.o1",
    "key": "objectives",
}


def sample_values(app, admin_id):
    from workshops.catalog.models import CatalogEntry, GlossaryTerm
    from workshops.extensions import db

    with app.app_context():
        entry_id = db.session.scalar(
            sa.select(sa.func.min(CatalogEntry.id)).where(CatalogEntry.domain == "curriculum")
        )
        term = GlossaryTerm(language="agr", source_term="café", target_term="", status="proposed")
        db.session.add(term)
        from workshops.materials.models import PrintJob

        # Done, so that opening its page starts no build.
        job = PrintJob(key="0" * 64, options='{"document": "book", "layout": "single", "first": "es"}')
        job.state = "done"
        db.session.add(job)
        from workshops.core.job_models import ImportJob

        # Done, queued by the first administrator: only they (and other administrators) see them.
        csv_job = ImportJob(kind="people_csv", user_id=admin_id, language="es", content="", state="done")
        csv_job.result = '{"households": 1, "persons": 2, "rows": 2}'
        po_job = ImportJob(kind="po_upload", user_id=admin_id, language="es", content="", state="done")
        po_job.params = '{"lang": "agr", "domain": "curriculum", "filename": "a.po", "dry_run": false}'
        po_job.result = '{"applied": [], "applied_states": {}, "suggested": [], "conflicts": [], "rejected": [], "unknown": [], "unchanged": 0, "empty": 0, "created": 0, "stamp": 0, "dry_run": false, "before": {}, "after": {}}'
        db.session.add_all([csv_job, po_job])
        from datetime import date

        from workshops.attendance.models import WorkshopSession
        from workshops.curriculum.models import Module
        from workshops.people import services as people
        from workshops.people.models import Community

        community = Community(name="Acceso", code="ACC")
        db.session.add(community)
        db.session.flush()
        household = people.create_household(community, "", None)
        person = people.add_person(household, {"given_names": "Prueba"}, None)
        module_id = db.session.scalar(sa.select(Module.id).where(Module.number == 1))
        session = WorkshopSession(module_id=module_id, community_id=community.id, date=date(2026, 5, 1))
        db.session.add(session)
        db.session.flush()
        import io

        from workshops.attendance import uploads

        class Nobody:
            id = None

        attachment = uploads.save(session, io.BytesIO(b"%PDF-1.4 test"), "hoja.pdf", Nobody())
        from workshops.voice import media, services

        # A stored take (its bytes stand in for audio: nothing here plays them).
        source = services.source_of(SAMPLE_ARGUMENTS["context"])
        take = services.save_take(source, "agr", media.Normalised(b"OggS test take", 1000, False), None)
        db.session.commit()
        return {
            **SAMPLE_ARGUMENTS,
            "user_id": admin_id,
            "entry_id": entry_id,
            "term_id": term.id,
            "community_id": community.id,
            "household_id": household.id,
            "session_id": session.id,
            "person_id": person.id,
            "attachment_id": attachment.id,
            "job_id": job.id,
            "import_job_id": csv_job.id,
            "upload_job_id": po_job.id,
            "recording_id": take.id,
        }


STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


# URL arguments sample_values does not provide: only GET routes are there.
EXTRA_ARGUMENTS = {"submission_id": 1, "history_id": 1, "suggestion_id": 1, "decision": "reject"}


def state_changing_rules(app):
    rules = [rule for rule in app.url_map.iter_rules() if rule.methods & STATE_CHANGING]
    assert rules, "the URL map has no state-changing route: the test would check nothing"
    return sorted(rules, key=lambda rule: rule.rule)


def build_path(rule, sample):
    missing = set(rule.arguments) - set(sample)
    assert not missing, f"add sample values for {missing} of {rule.rule} to EXTRA_ARGUMENTS"
    return rule.build({name: sample[name] for name in rule.arguments})[1]


# Large tables the routes only read; their content is compared once around the whole run,
# their row counts after every route.
LARGE_TABLES = {"catalog_entry", "curriculum_segment", "curriculum_section", "curriculum_key_term"}


def reflect_tables(app):
    """Every table of the database (not only the models'), reflected once."""
    metadata = sa.MetaData()
    with app.app_context():
        metadata.reflect(db.engine)
    assert metadata.tables, "no table found"
    return metadata


def database_state(app, metadata, full=False):
    """Row count of every table and a digest of the content (of all of them when `full`)."""
    state = {}
    with app.app_context(), db.engine.connect() as connection:
        for name, table in metadata.tables.items():
            count = connection.scalar(sa.select(sa.func.count()).select_from(table))
            digest = None
            if full or name not in LARGE_TABLES:
                order = list(table.primary_key.columns) or list(table.columns)
                rows = connection.execute(sa.select(table).order_by(*order)).all()
                digest = hashlib.sha256(repr(rows).encode()).hexdigest()
            state[name] = (count, digest)
    return state


def changed_tables(before, after):
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


def send_without_form(client, method, path, token=None):
    headers = {}
    if path.startswith("/api/"):
        # The field app sends JSON with the token in a header.
        if token is not None:
            headers["X-CSRFToken"] = token
        return client.open(path, method=method, json={"records": []}, headers=headers)
    data = {"csrf_token": token} if token is not None else {}
    return client.open(path, method=method, data=data)
