"""The printed attendance sheet: bilingual, in roster order, with a QR code to its entry page."""

import segno
from flask import render_template, url_for
from markupsafe import Markup

from ..i18n import languages
from ..translate.runtime import get_translations
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


def qr_svg(session):
    """An inline SVG QR code for the session's entry page (no image file, no external service)."""
    target = url_for("sessions.enter", session_id=session.id, _external=True)
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
        age_group=services.age_group,
    )


def render_pdf(session):
    """The same sheet as a PDF (WeasyPrint); raise RenderError on failure."""
    from weasyprint import HTML

    from ..core.paths import PACKAGE_DIR
    from ..materials.services import RenderError

    try:
        return HTML(string=render(session, for_pdf=True), base_url=str(PACKAGE_DIR)).write_pdf()
    except Exception as error:  # never show WeasyPrint's exception to a user
        import logging

        logging.getLogger(__name__).exception("attendance sheet PDF failed")
        raise RenderError(str(error)) from error
