"""The bilingual glossary: list, save, export as CSV and TBX."""

import csv
import io
from xml.etree import ElementTree as ET  # noqa: N817, S405 (building, not parsing, XML)

from sqlalchemy import select

from ..catalog.models import GlossaryTerm
from ..core.spreadsheets import safe_cell
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
    from ..curriculum.models import Module

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
