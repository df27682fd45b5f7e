"""HTML to PDF with WeasyPrint, for every printed document; failures become RenderError."""

import logging

from .paths import PACKAGE_DIR

log = logging.getLogger(__name__)


class RenderError(Exception):
    """WeasyPrint could not render a document."""


def html_to_pdf(html: str, what: str) -> bytes:
    """Return the PDF bytes of an HTML page whose /static/ links point into the package.

    `what` names the document in the log. Raise RenderError on any failure:
    WeasyPrint raises many kinds of exceptions, and none may reach a user.
    """
    try:
        from weasyprint import HTML  # imported when first needed: it is slow to import

        pdf: bytes = HTML(string=html, base_url=str(PACKAGE_DIR)).write_pdf()  # WeasyPrint is untyped
        return pdf
    except Exception as error:
        log.exception("PDF rendering failed: %s", what)
        raise RenderError(str(error)) from error
