"""The bilingual glossary: seeded from the curriculum's key terms, proposals, save, CSV and TBX.

One glossary: the key terms the book prints as its bilingual glossary are the
translator glossary's terms too. A seeded term follows its key term (the
Spanish term and definition from the module file, the translation from the
curriculum catalog, approved when that translation is); translators propose
other terms and translations, reviewers decide.
"""

import csv
import io
from xml.etree import ElementTree as ET  # noqa: N817, S405 (building, not parsing, XML)

from sqlalchemy import select

from ..catalog import store
from ..catalog.models import GlossaryTerm
from ..core.spreadsheets import safe_cell
from ..curriculum.models import KeyTerm, Module
from ..extensions import db, utcnow

TBX_STATUS = {
    "approved": "preferredTerm-admn-sts",
    "proposed": "admittedTerm-admn-sts",
    "forbidden": "deprecatedTerm-admn-sts",
}
CSV_COLUMNS = ("source_term", "target_term", "definition", "status", "module")


def terms(language_code):
    return db.session.scalars(
        select(GlossaryTerm).where(GlossaryTerm.language == language_code).order_by(GlossaryTerm.source_term)
    ).all()


def key_term_uid(term):
    return f"{term.module.slug}.terms.{term.key}"


def sync_key_terms(language_codes):
    """Bring the seeded terms of each language in step with the curriculum's key terms.

    Adds a term for a new key term, updates a changed one, removes one whose key
    term is gone; the translation comes from the curriculum catalog. Returns the
    number of terms added, changed or removed. The caller commits.
    """
    key_terms = db.session.scalars(
        select(KeyTerm).join(KeyTerm.module).order_by(Module.number, KeyTerm.position)
    )
    by_uid = {key_term_uid(term): term for term in key_terms}
    changes = 0
    for language_code in language_codes:
        seeded = {
            term.key_term_uid: term
            for term in db.session.scalars(
                select(GlossaryTerm).where(
                    GlossaryTerm.language == language_code, GlossaryTerm.key_term_uid.is_not(None)
                )
            )
        }
        for uid, key_term in by_uid.items():
            term = seeded.pop(uid, None) or GlossaryTerm(language=language_code, key_term_uid=uid)
            changes += _follow(term, key_term, uid, language_code)
        for gone in seeded.values():
            db.session.delete(gone)
            changes += 1
    db.session.flush()
    return changes


def _follow(term, key_term, uid, language_code):
    """Copy a key term and its curriculum translation into a glossary term; return 1 if it changed."""
    target, status = "", "proposed"
    entry = store.find_entry("curriculum", f"{uid}.term", key_term.term)
    translation = store.translation_for(entry, language_code) if entry is not None else None
    if translation is not None and translation.state in ("translated", "approved") and translation.forms[0]:
        target = translation.forms[0][:200]
        status = "approved" if translation.state == "approved" else "proposed"
    wanted = {
        "source_term": key_term.term[:200],
        "target_term": target,
        "definition": key_term.definition,
        "status": status,
        "module_id": key_term.module_id,
    }
    if term.id is not None and all(getattr(term, name) == value for name, value in wanted.items()):
        return 0
    for name, value in wanted.items():
        setattr(term, name, value)
    term.updated_at = utcnow()
    db.session.add(term)
    return 1


def propose(language_code, source_term, target_term, definition, user):
    """Add a translator's proposal (a term, or another translation of one) for reviewers to decide."""
    term = GlossaryTerm(
        language=language_code,
        source_term=source_term.strip(),
        target_term=(target_term or "").strip(),
        definition=(definition or "").strip(),
        status="proposed",
        updated_by_id=user.id,
        updated_at=utcnow(),
    )
    db.session.add(term)
    return term


def save(term, form, user):
    term.source_term = form.source_term.data.strip()
    term.target_term = (form.target_term.data or "").strip()
    term.definition = (form.definition.data or "").strip()
    term.status = form.status.data
    term.module_id = int(form.module.data) if (form.module.data or "").isdigit() else None
    term.updated_by_id = user.id
    term.updated_at = utcnow()
    db.session.add(term)


def as_csv(language_code):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    numbers = dict(db.session.execute(select(Module.id, Module.number)).all())
    for term in terms(language_code):
        module_number = str(numbers.get(term.module_id, ""))
        writer.writerow(
            [
                safe_cell(v)
                for v in (
                    term.source_term,
                    term.target_term,
                    term.definition,
                    term.status,
                    module_number,
                )
            ]
        )
    return "\ufeff" + buffer.getvalue()  # the BOM lets Excel read UTF-8


def as_tbx(language_code):
    martif = ET.Element("martif", {"type": "TBX-Basic", "xml:lang": "es"})
    header = ET.SubElement(martif, "martifHeader")
    source = ET.SubElement(ET.SubElement(header, "fileDesc"), "sourceDesc")
    ET.SubElement(source, "p").text = "workshops glossary"
    body = ET.SubElement(ET.SubElement(martif, "text"), "body")
    for term in terms(language_code):
        entry = ET.SubElement(body, "termEntry", {"id": f"g{term.id}"})
        if term.definition:
            ET.SubElement(entry, "descrip", {"type": "definition"}).text = term.definition
        spanish = ET.SubElement(ET.SubElement(entry, "langSet", {"xml:lang": "es"}), "tig")
        ET.SubElement(spanish, "term").text = term.source_term
        if term.target_term:
            target = ET.SubElement(ET.SubElement(entry, "langSet", {"xml:lang": language_code}), "tig")
            ET.SubElement(target, "term").text = term.target_term
            ET.SubElement(target, "termNote", {"type": "administrativeStatus"}).text = TBX_STATUS[term.status]
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(martif, encoding="unicode")
