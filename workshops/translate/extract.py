"""Extract the templates (.pot) of both domains: interface and curriculum."""

from datetime import UTC, datetime

import polib
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from ..catalog.store import SourceEntry
from ..core.paths import PACKAGE_DIR
from ..curriculum.source import load_curriculum

# References in the templates are relative to the folder that holds the package
# (workshops/templates/base.html), in a checkout and in an installed wheel alike.
REFERENCE_ROOT = PACKAGE_DIR.parent
# For the translators' comments, which they read in Spanish.
ROLE_NAMES = {
    "title": "título",
    "summary": "resumen",
    "objective": "objetivo",
    "material": "material",
    "paragraph": "párrafo",
    "item": "punto de una lista",
    "step": "paso de una actividad",
    "question": "pregunta",
    "term": "término clave",
    "definition": "definición de un término",
}
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    "lazy_pgettext": ((1, "c"), 2),
}
COMMENT_TAGS = ("i18n:",)


def messages_template():
    """Return the interface strings found in code and templates, in source order."""
    with open(PACKAGE_DIR / "babel.cfg", encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    # Babel's Catalog merges duplicates and flags python-format strings.
    catalog = Catalog(fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        PACKAGE_DIR,
        method_map,
        options_map,
        keywords=KEYWORDS,
        comment_tags=COMMENT_TAGS,
        strip_comment_tags=True,
    ):
        catalog.add(
            message,
            None,
            [(f"{PACKAGE_DIR.name}/{filename}", lineno)],
            auto_comments=comments,
            context=context,
        )
    entries = []
    for message in catalog:
        if not message.id:
            continue
        msgid, plural = (message.id[0], message.id[1]) if message.pluralizable else (message.id, None)
        entries.append(
            SourceEntry(
                msgid=msgid,
                context=message.context or "",
                msgid_plural=plural,
                comment="\n".join(message.auto_comments),
                references=[f"{path}:{line}" for path, line in message.locations],
                flags=sorted(message.flags),
            )
        )
    return entries


def curriculum_template(directory=None):
    """Return one entry per curriculum text: msgctxt is the segment's stable id."""
    entries = []
    for module in load_curriculum(directory):
        relative = (
            module.path.relative_to(REFERENCE_ROOT)
            if module.path.is_relative_to(REFERENCE_ROOT)
            else module.path
        )
        for segment in module.segments():
            entries.append(
                SourceEntry(
                    msgid=segment.text,
                    context=segment.uid,
                    comment=f"{segment.where}; {ROLE_NAMES[segment.role]}",
                    references=[f"{relative}:{segment.line}"],
                )
            )
    return entries


TEMPLATES = {"messages": messages_template, "curriculum": curriculum_template}


def template_po(domain, entries):
    """Return a polib POFile (.pot) for extracted entries."""
    po = polib.POFile(wrapwidth=78)
    po.header = f"Template of the '{domain}' domain of workshops. Made by `flask translate extract`."
    po.metadata = {
        "Project-Id-Version": "workshops",
        "Report-Msgid-Bugs-To": "",
        "POT-Creation-Date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M+0000"),
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
    }
    for entry in entries:
        po_entry = polib.POEntry(
            msgid=entry.msgid,
            msgctxt=entry.context or None,
            comment=entry.comment or None,
            occurrences=[tuple(ref.rsplit(":", 1)) for ref in entry.references],
            flags=list(entry.flags),
        )
        if entry.msgid_plural:
            po_entry.msgid_plural = entry.msgid_plural
            po_entry.msgstr_plural = {0: "", 1: ""}
        po.append(po_entry)
    return po


def read_template(path):
    """Return the entries of a .pot file."""
    return [
        SourceEntry(
            msgid=entry.msgid,
            context=entry.msgctxt or "",
            msgid_plural=entry.msgid_plural or None,
            comment=entry.comment or "",
            references=[f"{p}:{line}" if line else p for p, line in entry.occurrences],
            flags=list(entry.flags),
        )
        for entry in polib.pofile(str(path))
        if not entry.obsolete
    ]
