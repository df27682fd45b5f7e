"""HTML to PDF with WeasyPrint, for every printed document; failures become RenderError.

`html_to_pdf` renders in this process (a module handout, about a second);
`parts_to_pdf` lays out a long document's parts at once, in child processes,
for the whole book: besides the time, laying out hundreds of pages leaves a
worker some 380 MB larger for good, while a child process gives all of it back
when it exits.
"""

import io
import itertools
import json
import logging
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any, cast

from .paths import PACKAGE_DIR

log = logging.getLogger(__name__)


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


# -- The whole book: parts laid out side by side, numbered as one document ----------------------
#
# Laying out the book is CPU-bound and takes one process about 15 s. Its modules
# each start on a new page, so the book splits into parts that lay out at the same
# time, one child process each. The parts are joined with pypdf. Only the page numbers
# ("27 / 152") and the contents page (module 3 on page 27) depend on other parts, and
# both are known only once every part is laid out: how the children and the parent
# settle them is told in pdf_child.py.

PARTS_TIMEOUT_SECONDS = 600
CHILD = Path(__file__).with_name("pdf_child.py")


class _Child:
    """One child process laying out one part, spoken to in lines of JSON."""

    def __init__(self, folder: Path, index: int, html: str, role: str) -> None:
        self.source, self.target = folder / f"part-{index}.html", folder / f"part-{index}.pdf"
        self.errors = folder / f"part-{index}.log"
        self.source.write_text(html, encoding="utf-8")
        # -I: the script's folder stays off sys.path, where core's modules would shadow the standard library's.
        command = [
            sys.executable,
            "-I",
            str(CHILD),
            role,
            str(self.source),
            str(self.target),
            str(PACKAGE_DIR),
        ]
        with self.errors.open("w") as errors:
            self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and module, no user text)
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, text=True
            )
        self.questions, self.answers = cast(IO[str], self.process.stdin), cast(IO[str], self.process.stdout)

    def read(self) -> dict:
        """Return the message the child has sent; raise RenderError if it ended instead."""
        line = self.answers.readline()
        if not line:
            raise RenderError(self.failure("ended early"))
        answer: dict = json.loads(line)
        return answer

    def say(self, message: dict) -> None:
        """Send the child one message."""
        self.questions.write(json.dumps(message) + "\n")
        self.questions.flush()

    def finish(self, deadline: float) -> bytes:
        """Wait for the child to end; return the PDF it wrote."""
        try:
            code = self.process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired as error:
            raise RenderError(self.failure("timed out")) from error
        if code != 0 or not self.target.exists():
            raise RenderError(self.failure(f"exit code {code}"))
        return self.target.read_bytes()

    def failure(self, what: str) -> str:
        """Return what went wrong, with the end of the child's error output."""
        return f"{self.source.name}: {what}: {self.errors.read_text(errors='replace')[-1500:]}"

    def stop(self) -> None:
        """Kill the child if it still runs, and reap it."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.questions.close()
        self.answers.close()


def _hear_all(children: list[_Child], deadline: float) -> list[dict]:
    """Return a message from each child, in their order; a child that ends or is late fails them all at once."""
    answers: dict[int, dict] = {}
    waiting = {child.answers: index for index, child in enumerate(children)}
    while waiting:
        ready, _, _ = select.select(list(waiting), [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise RenderError(children[next(iter(waiting.values()))].failure("no answer"))
        for stream in ready:
            index = waiting.pop(stream)
            answers[index] = children[index].read()
    return [answers[index] for index in range(len(children))]


def parts_to_pdf(front: str, parts: list[str], what: str) -> bytes:
    """Return one PDF of a front matter and parts, laid out at once by one child process each.

    Pages are numbered through the whole document, and in `front` each
    `<span data-page-of="ID"></span>` (other attributes allowed) gets the page of the element with
    id="ID" data-anchor in a part, with a link to it. Raise RenderError on any failure.
    """
    deadline = time.monotonic() + PARTS_TIMEOUT_SECONDS
    with tempfile.TemporaryDirectory(prefix="pdf-") as name:
        folder = Path(name)
        children: list[_Child] = []
        try:
            children.append(_Child(folder, 0, front, "--front"))
            children += [_Child(folder, index, html, "--part") for index, html in enumerate(parts, start=1)]
            laid_out = _hear_all(children, deadline)
            firsts = list(itertools.accumulate([0] + [message["pages"] for message in laid_out]))
            total = firsts[-1]
            pages_of = {
                anchor: first + page
                for message, first in zip(laid_out, firsts, strict=False)
                for anchor, page in message["anchors"].items()
            }
            children[0].say({"offset": 0, "total": total, "pages_of": pages_of})
            for child, first in zip(children[1:], firsts[1:], strict=False):
                child.say({"offset": first, "total": total})
            links = _hear_all(children[:1], deadline)[0]["links"]
            pdfs = [child.finish(deadline) for child in children]
        except (OSError, ValueError, KeyError, RenderError) as error:
            log.error("PDF rendering failed: %s: %s", what, error)
            raise RenderError(str(error)[-200:]) from error
        finally:
            for child in children:
                child.stop()
    return _join(pdfs, links, pages_of)


def _join(pdfs: list[bytes], links: list, pages_of: dict[str, int]) -> bytes:
    """Return the parts joined into one PDF, with the front's metadata, language and links to the parts."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.annotations import Link
    from pypdf.generic import NameObject

    readers = [PdfReader(io.BytesIO(pdf)) for pdf in pdfs]
    writer = PdfWriter()
    for reader in readers:
        writer.append(reader)
    if readers[0].metadata:
        writer.add_metadata(readers[0].metadata)
    language = readers[0].root_object.get("/Lang")
    if language is not None:
        writer.root_object[NameObject("/Lang")] = language
    for (index, anchor), (x1, y1, x2, y2) in _link_areas(links).items():
        if anchor in pages_of:
            height = float(writer.pages[index].mediabox.height)
            # WeasyPrint's rectangles are in CSS pixels from the top left; PDF's in points from the bottom left.
            rectangle = (x1 * 0.75, height - y2 * 0.75, x2 * 0.75, height - y1 * 0.75)
            writer.add_annotation(index, Link(rect=rectangle, target_page_index=pages_of[anchor] - 1))
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def _link_areas(links: list) -> dict[tuple[int, str], tuple[float, float, float, float]]:
    """Return one area per page and target: WeasyPrint gives a link once per box inside it."""
    areas: dict[tuple[int, str], tuple[float, float, float, float]] = {}
    for index, anchor, (x1, y1, x2, y2) in links:
        a1, b1, a2, b2 = areas.get((index, anchor), (x1, y1, x2, y2))
        areas[index, anchor] = (min(a1, x1), min(b1, y1), max(a2, x2), max(b2, y2))
    return areas
