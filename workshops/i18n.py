"""Which language a request speaks, and gettext wired to the translation store.

The *catalog language* (es, agr, ...) picks the translations; the
*formatting locale* (es_PE for both) is what Flask-Babel hands to Babel, so
`agr` never reaches `babel.Locale.parse` and never raises UnknownLocaleError.
"""

from babel.dates import format_date as babel_format_date
from flask import current_app, g, has_request_context, request, session
from flask_babel import Domain, format_decimal, format_percent, get_translations, lazy_pgettext
from flask_babel.speaklater import LazyString
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup, escape

from .languages import SOURCE_LANGUAGE, all_languages

SESSION_KEY = "language"
SHOW_UNTRANSLATED_KEY = "show_untranslated"
SPANISH_MONTHS = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)
# i18n: Month name in dates such as "27 noviembre 2026".
MONTH_NAMES = (
    lazy_pgettext("month name", "enero"),
    lazy_pgettext("month name", "febrero"),
    lazy_pgettext("month name", "marzo"),
    lazy_pgettext("month name", "abril"),
    lazy_pgettext("month name", "mayo"),
    lazy_pgettext("month name", "junio"),
    lazy_pgettext("month name", "julio"),
    lazy_pgettext("month name", "agosto"),
    lazy_pgettext("month name", "septiembre"),
    lazy_pgettext("month name", "octubre"),
    lazy_pgettext("month name", "noviembre"),
    lazy_pgettext("month name", "diciembre"),
)


def languages():
    """Return the registry (with admin overrides), once per request, kept while no catalog revision moves.

    Saving a language's settings bumps its catalog revision, so the revisions read for
    the request (one query, needed anyway) tell whether the kept registry is current:
    the overrides are not read again on every request.
    """
    if "languages" not in g:
        from .catalog.runtime import catalog_revisions

        revisions = catalog_revisions()
        kept = current_app.extensions.get("workshops.languages")
        if kept is None or kept[0] != revisions:
            kept = (dict(revisions), {language.code: language for language in all_languages()})
            current_app.extensions["workshops.languages"] = kept
        g.languages = kept[1]
    return g.languages


def current_language():
    """Pick the catalog language: user preference, session, browser, then Spanish."""
    if "language" in g:
        return g.language
    known = languages()
    if not has_request_context():
        return known[SOURCE_LANGUAGE]
    code = None
    if request.args.get("lang") in known:  # an explicit link, e.g. ?lang=agr
        code = request.args["lang"]
    elif current_user and current_user.is_authenticated and current_user.language in known:
        code = current_user.language
    elif session.get(SESSION_KEY) in known:
        code = session[SESSION_KEY]
    else:
        code = request.accept_languages.best_match(list(known))
    g.language = known.get(code) or known[SOURCE_LANGUAGE]
    return g.language


def use_language(code):
    """Speak a catalog language for the rest of this context (a background job's, its owner's)."""
    known = languages()
    g.language = known.get(code) or known[SOURCE_LANGUAGE]


def show_untranslated():
    return has_request_context() and bool(session.get(SHOW_UNTRANSLATED_KEY))


def select_locale():
    """Return the *formatting* locale for Babel (es_PE for Awajún)."""
    return current_language().locale


def store_translations(domain):
    """Return the gettext object of a domain for the current request."""
    from .catalog.runtime import get_translations

    # Asked for by every gettext call on a page: look it up once per request.
    language, marking = current_language(), show_untranslated()
    per_request = g.setdefault("store_translations", {})
    key = (domain, language.code, marking)
    if key not in per_request:
        per_request[key] = get_translations(domain, language, marking)
    return per_request[key]


def rendering_state():
    """Return (what translated output depends on, the catalog revision it was made at).

    The first part, the language with its plural rule and formatting locale and
    the "show untranslated" marking, names a rendering; the revision (bumped by
    every saved translation, in any process) tells whether a kept one is current.
    A cache holds one rendering per name and replaces it when the revision
    differs, as catalog.runtime does with the gettext objects.
    """
    from .catalog.runtime import catalog_revision

    language = current_language()
    name = (
        current_app.config["SQLALCHEMY_DATABASE_URI"],
        language.code,
        language.plural_forms,
        language.locale,
        show_untranslated(),
    )
    return name, catalog_revision(language)


def curriculum_text(uid, text):
    """Return (text to show, is Spanish fallback) for a curriculum segment."""
    language = current_language()
    if language.is_source:
        return text, False
    translated = store_translations("curriculum").upgettext(uid, text)
    return translated, translated == text


def ct(uid, text):
    """Render a curriculum segment, marking Spanish shown in place of a missing translation."""
    shown, fallback = curriculum_text(uid, text)
    if not fallback:
        return shown
    return Markup('<span lang="es" class="fallback">{}</span>').format(escape(shown))


def module_title(module):
    """Return a module's title in the current language (Spanish while untranslated), as plain text."""
    return curriculum_text(f"{module.slug}.title", module.title)[0]


def ct_module(module):
    """Render a module's title like ct(): the translation, or Spanish visibly marked."""
    return ct(f"{module.slug}.title", module.title)


def format_date(value, language=None):
    """Format a date; Awajún (no CLDR data) uses its own month names from the registry."""
    language = language or current_language()
    if language.month_names is None:
        return babel_format_date(value, format="long", locale=language.locale)
    month = str(MONTH_NAMES[value.month - 1])
    if month == SPANISH_MONTHS[value.month - 1]:  # not in the catalog: use the registry
        month = language.month_names[value.month - 1]
    return f"{value.day} {month} {value.year}"


def _escaped(translate):
    """Wrap a gettext callable for Jinja so that the translation is HTML-escaped.

    Jinja's "newstyle" gettext marks whatever the catalog returns as safe markup,
    but a translation is text typed by a volunteer (or imported from a .po file,
    which is not checked): it must be escaped like any other user text. Only the
    translation is escaped here; Jinja still escapes the %(name)s values itself.
    """

    @pass_context
    def call(context, *args):
        text = translate(*args)
        return escape(text) if context.eval_ctx.autoescape else text

    return call


def _lazy_html(self):
    return escape(str(self))


# Flask-Babel's lazy strings (_l: form labels, label tables) claim to be safe markup
# (`__html__` returns the raw text; flask-babel issues #121 and #224), so Jinja and
# WTForms would print a translation unescaped. They are plain text: escape them.
LazyString.__html__ = _lazy_html


def _source_fallback(call, source, variables):
    """Return call(), or the source text formatted, when a translation cannot be formatted."""
    try:
        return call()
    except (KeyError, ValueError, TypeError, IndexError):
        # The runtime already skips unsafe translations; this guards the rest (never a 500).
        current_app.logger.warning("translation could not be formatted: %r", source[:80])
        return source % variables if variables else source


class StoreDomain(Domain):
    """A gettext domain whose catalogs come from the translation store, not from .mo files."""

    def get_translations(self):
        return store_translations(self.domain[0])

    def gettext(self, string, **variables):
        return _source_fallback(
            lambda: super(StoreDomain, self).gettext(string, **variables), string, variables
        )

    def ngettext(self, singular, plural, num, **variables):
        variables.setdefault("num", num)
        source = singular if num == 1 else plural
        return _source_fallback(
            lambda: super(StoreDomain, self).ngettext(singular, plural, num, **variables), source, variables
        )

    def pgettext(self, context, string, **variables):
        return _source_fallback(
            lambda: super(StoreDomain, self).pgettext(context, string, **variables), string, variables
        )

    def npgettext(self, context, singular, plural, num, **variables):
        variables.setdefault("num", num)
        source = singular if num == 1 else plural
        return _source_fallback(
            lambda: super(StoreDomain, self).npgettext(context, singular, plural, num, **variables),
            source,
            variables,
        )


def init_app(app):
    from .core.paths import TRANSLATIONS_DIR
    from .core.text import soft_hyphens
    from .extensions import babel

    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(TRANSLATIONS_DIR),
        default_domain="messages",
        default_locale="es_PE",
    )
    # Flask-Babel asks its instance for the default domain: make it the store's.
    babel.domain_instance = StoreDomain(domain="messages")
    app.jinja_env.install_gettext_callables(
        gettext=_escaped(lambda s: get_translations().ugettext(s)),
        ngettext=_escaped(lambda s, p, n: get_translations().ungettext(s, p, n)),
        pgettext=_escaped(lambda c, s: get_translations().upgettext(c, s)),
        npgettext=_escaped(lambda c, s, p, n: get_translations().unpgettext(c, s, p, n)),
        newstyle=True,
    )
    app.jinja_env.globals.update(
        ct=ct,
        ct_module=ct_module,
        current_language=current_language,
        languages=languages,
        language_registry=languages,  # "languages" is also a variable of some pages
        show_untranslated=show_untranslated,
    )
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["hyphenate"] = soft_hyphens
    app.jinja_env.filters["number"] = format_decimal
    app.jinja_env.filters["percent"] = lambda value: format_percent(value, format="#,##0.0 %")
