"""The printed attendance sheet: bilingual, in roster order, with a QR code to its entry page."""

import segno
from flask import render_template
from markupsafe import Markup

from ..catalog.runtime import get_translations
from ..core.pdf import html_to_pdf
from ..core.urls import public_url
from ..i18n import languages
from . import services

BLANK_ROWS = 8


def bilingual(msgid):
    """Return 'Spanish / Awajún' for a column heading (just Spanish while untranslated)."""
    parts = [msgid]
    for language in languages().values():
        if not language.is_source:
            translated = get_translations("messages", language).gettext(msgid)
            if translated != msgid:
                parts.append(translated)
    return " / ".join(parts)


def bilingual_segment(uid, text):
    """Return 'Spanish / Awajún' for a curriculum segment such as a module title."""
    parts = [text]
    for language in languages().values():
        if not language.is_source:
            translated = get_translations("curriculum", language).upgettext(uid, text)
            if translated != text:
                parts.append(translated)
    return " / ".join(parts)


def qr_svg(session):
    """An inline SVG QR code for the session's entry page (no image file, no external service).

    Return (None, None) when the site's public address (PUBLIC_URL) is not configured.
    """
    target = public_url("sessions.enter", session_id=session.id)
    if target is None:
        return None, None
    # segno writes only path data from the encoded modules: no user text reaches the markup.
    return Markup(segno.make(target, error="m").svg_inline(scale=3, omitsize=False)), target  # noqa: S704


def render(session, for_pdf=False):
    svg, target = qr_svg(session)
    return render_template(
        "attendance/sheet.html",
        for_pdf=for_pdf,
        session=session,
        groups=services.roster(session),
        blank_rows=range(BLANK_ROWS),
        qr=svg,
        qr_target=target,
        both=bilingual,
        both_segment=bilingual_segment,
        age_group=services.age_group,
    )


def render_pdf(session):
    """The same sheet as a PDF (WeasyPrint); raise core.pdf.RenderError on failure."""
    return html_to_pdf(render(session, for_pdf=True), f"attendance sheet of session {session.id}")
