"""HTML to PDF with WeasyPrint, for every printed document; failures become RenderError.

`html_to_pdf` renders in this process (a module handout, about a second);
`html_to_pdf_apart` renders in a child process, for the whole book: laying out
hundreds of pages leaves a worker some 380 MB larger for good, while a child
process gives all of it back when it exits.
"""

import logging
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .paths import PACKAGE_DIR

log = logging.getLogger(__name__)
CHILD_TIMEOUT_SECONDS = 600


class RenderError(Exception):
    """WeasyPrint could not render a document."""


def _mark_languages() -> None:
    """Make WeasyPrint's tagged PDFs say the language of each element that has a lang attribute.

    WeasyPrint 70 writes the document's language only, so a screen reader would
    read Awajún with Spanish rules. Its structure tree is built by one recursive
    function, looked up by name on each call: wrapping it once adds /Lang to the
    element of every box whose HTML element carries lang or data-lang (data-lang
    marks a language without WeasyPrint's per-language font lookup, which is
    slow). Without that function (another WeasyPrint version) the PDF stays tagged
    with the document's language only.
    """
    import pydyf
    from weasyprint.pdf import tags

    build = getattr(tags, "_build_box_tree", None)
    if build is None or getattr(build, "marks_languages", False):
        return

    def build_with_languages(box: Any, *args: Any) -> Any:
        element = getattr(box, "element", None)
        lang = None
        if element is not None and box.element_tag not in ("html", "body"):
            lang = element.get("lang") or element.get("data-lang")
        for child in build(box, *args):
            if lang and "Lang" not in child:
                child["Lang"] = pydyf.String(lang)
            yield child

    build_with_languages.marks_languages = True  # type: ignore[attr-defined]
    tags._build_box_tree = build_with_languages


def _write_pdf(html: str, tagged: bool) -> bytes:
    """Return the PDF of an HTML page; tagged means a structure tree and languages for screen readers."""
    from weasyprint import HTML  # imported when first needed: it is slow to import

    if tagged:
        _mark_languages()
    pdf: bytes = HTML(string=html, base_url=str(PACKAGE_DIR)).write_pdf(pdf_tags=tagged)  # untyped
    return pdf


def html_to_pdf(html: str, what: str, tagged: bool = False) -> bytes:
    """Return the PDF bytes of an HTML page whose /static/ links point into the package.

    `what` names the document in the log. Raise RenderError on any failure:
    WeasyPrint raises many kinds of exceptions, and none may reach a user.
    """
    try:
        return _write_pdf(html, tagged)
    except Exception as error:
        log.exception("PDF rendering failed: %s", what)
        raise RenderError(str(error)) from error


def html_to_pdf_apart(html: str, what: str, tagged: bool = False) -> bytes:
    """Return the PDF of an HTML page rendered by a child process; raise RenderError on failure."""
    with tempfile.TemporaryDirectory(prefix="pdf-") as folder:
        source, target = Path(folder) / "in.html", Path(folder) / "out.pdf"
        source.write_text(html, encoding="utf-8")
        command = [sys.executable, "-m", "workshops.core.pdf", str(source), str(target)]
        command += ["--tagged"] if tagged else []
        try:
            done = subprocess.run(  # noqa: S603 (our own interpreter and module, no user text)
                command, capture_output=True, text=True, timeout=CHILD_TIMEOUT_SECONDS, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            log.exception("PDF rendering failed: %s", what)
            raise RenderError(str(error)) from error
        if done.returncode != 0 or not target.exists():
            log.error("PDF rendering failed: %s: %s", what, done.stderr[-2000:])
            raise RenderError(done.stderr[-200:])
        return target.read_bytes()


def main(argv: list[str]) -> int:
    """Render argv[0] (HTML) into argv[1] (PDF): the child process of html_to_pdf_apart."""
    source, target = Path(argv[0]), Path(argv[1])
    target.write_bytes(_write_pdf(source.read_text(encoding="utf-8"), "--tagged" in argv[2:]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
