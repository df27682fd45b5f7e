"""Gettext objects built from the store, cached per process by catalog revision.

Every request reads the current language's revision (one small query); when
another worker has saved a translation the revision differs and the catalog
is rebuilt, so an edit shows on the next request in every process.
"""

import logging
import threading
import time

from babel.support import NullTranslations, Translations
from flask import current_app, g
from sqlalchemy import select

from ..extensions import db
from ..languages import parse_plural_forms
from .models import CatalogEntry, Translation
from .safety import render_problem
from .store import KEPT_REVISIONS, all_revisions

log = logging.getLogger(__name__)

FALLBACK_OPEN, FALLBACK_CLOSE = "⟦", "⟧"
# (domain, language, marking) -> (catalog revision, translations, marked translations)
_cache: dict[tuple, tuple] = {}
_lock = threading.Lock()


class MarkUntranslated(NullTranslations):
    """The last fallback in "show untranslated" mode: wraps the Spanish text."""

    def gettext(self, message):
        return f"{FALLBACK_OPEN}{message}{FALLBACK_CLOSE}"

    def ngettext(self, singular, plural, n):
        return self.gettext(singular if n == 1 else plural)

    def pgettext(self, context, message):
        return self.gettext(message)

    def npgettext(self, context, singular, plural, n):
        return self.ngettext(singular, plural, n)

    ugettext = gettext
    ungettext = ngettext
    upgettext = pgettext
    unpgettext = npgettext


def _build(domain, language):
    """Load the usable translations (translated or approved) of a domain."""
    rows = db.session.execute(
        select(CatalogEntry.context, CatalogEntry.msgid, CatalogEntry.msgid_plural, Translation.forms)
        .join(Translation.entry)
        .where(
            CatalogEntry.domain == domain,
            CatalogEntry.obsolete.is_(False),
            Translation.language == language.code,
            Translation.state.in_(("translated", "approved")),
        )
    ).all()
    catalog = {}
    for context, msgid, msgid_plural, forms in rows:
        key = f"{context}\x04{msgid}" if context else msgid
        problem = render_problem(msgid, msgid_plural, [str(form) for form in forms or []])
        if problem is not None:
            # Checks refuse such a text at every save; one in the store anyway shows the source.
            log.warning("translation skipped (%s): %s %s %r", problem, language.code, domain, msgid[:80])
            continue
        if msgid_plural:
            if len(forms) == language.nplurals and all(forms):
                for index, form in enumerate(forms):
                    catalog[(key, index)] = form
        elif forms and forms[0]:
            catalog[key] = forms[0]
    translations = Translations(domain=domain)
    translations._catalog = catalog
    translations.plural = parse_plural_forms(language.plural_forms)[1]
    return translations


def catalog_revisions():
    """Return {language code: catalog revision} of every language, the same for a whole request.

    Read in one query and kept for SHARED_STATE_RECHECK_SECONDS: every page asks, and
    the revisions move only when someone saves. A save committed through this process
    drops the kept ones at once (store._forget_after_catalog_changes).
    """
    if "catalog_revisions" not in g:
        kept = current_app.extensions.get(KEPT_REVISIONS)
        now = time.monotonic()
        if kept is None or now - kept[0] > current_app.config["SHARED_STATE_RECHECK_SECONDS"]:
            kept = (now, all_revisions())
            current_app.extensions[KEPT_REVISIONS] = kept
        g.catalog_revisions = kept[1]
    return g.catalog_revisions


def catalog_revision(language):
    """Return the language's catalog revision, read once per request."""
    if language.is_source:
        return 0
    return catalog_revisions().get(language.code, 0)


def get_translations(domain, language, mark_untranslated=False):
    """Return the gettext object of a domain in a language, rebuilt when the store changed."""
    if language.is_source:
        return NullTranslations()
    revision = catalog_revision(language)
    database = current_app.config["SQLALCHEMY_DATABASE_URI"]
    key = (database, domain, language.code, language.plural_forms)
    cached = _cache.get(key)
    if cached is None or cached[0] != revision:
        translations = _build(domain, language)
        with _lock:
            _cache[key] = cached = (revision, translations, None)
    if not mark_untranslated:
        return cached[1]
    marking = cached[2]
    if marking is None:
        marking = Translations(domain=domain)
        marking._catalog = cached[1]._catalog
        marking.plural = cached[1].plural
        marking.add_fallback(MarkUntranslated())
        with _lock:
            _cache[key] = (revision, cached[1], marking)
    return marking
