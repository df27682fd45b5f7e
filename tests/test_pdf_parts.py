"""A long PDF laid out in parts at once: numbered as one, its contents filled in and linked, failures contained."""

import io
import re
import subprocess
import sys

import pytest
from pypdf import PdfReader

from workshops.core import pdf
from workshops.core.pdf import RenderError, parts_to_pdf
from workshops.materials.render import split_evenly

from .conftest import tool_required

STYLE = """<style>
@page { size: A6; margin: 15mm 10mm; @bottom-right { content: counter(page) " / " counter(pages); } }
[data-anchor] { string-set: anchor attr(id); }
.new { break-before: page; }
</style>"""


def page(body):
    return (
        f"<!doctype html><html lang='es'><head><title>Prueba</title>{STYLE}</head><body>{body}</body></html>"
    )


FRONT = page(
    "<h1>Portada</h1><nav class='new'>"
    "<p><a href='#tres'>Parte tres</a> <span class='n' data-page-of='tres'></span></p>"
    "<p><a href='#seis'>Parte seis</a> <span class='n' data-page-of='seis'></span></p></nav>"
)
PARTS = [
    page("<p>uno</p><p class='new'>dos</p><section class='new' id='tres' data-anchor>TRES</section>"),
    page(
        "<p>cuatro</p><section class='new'>cinco</section><section class='new' id='seis' data-anchor>SEIS</section>"
    ),
]


def pages_text(data, tmp_path):
    tool_required("pdftotext")
    path = tmp_path / "parts.pdf"
    path.write_bytes(data)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return text.stdout.split("\f")[:-1]


def test_parts_are_numbered_as_one_document_with_the_contents_filled_in_and_linked(tmp_path):
    data = parts_to_pdf(FRONT, PARTS, "test")
    pages = pages_text(data, tmp_path)
    assert len(pages) == 8  # cover, contents, three pages, three pages
    for number, text in enumerate(pages, start=1):
        assert re.search(rf"\b{number} ?/ ?8\s*$", text), (number, text)
    assert "TRES" in pages[4] and "SEIS" in pages[7]
    contents = " ".join(pages[1].split())
    assert "Parte tres 5" in contents and "Parte seis 8" in contents
    reader = PdfReader(io.BytesIO(data))
    targets = sorted(
        reader.get_page_number(link.get_object()["/Dest"][0].get_object())
        for link in reader.pages[1]["/Annots"]
    )
    assert targets == [4, 7]  # one link per entry, to the page of its anchor (counted from 0)
    assert reader.metadata.title == "Prueba" and reader.root_object["/Lang"] == "es"


@pytest.fixture
def fake_child(tmp_path, monkeypatch):
    """Replace the child program by a script; return the processes started, to check they ended."""
    started = []
    real_popen = subprocess.Popen

    def popen(*args, **kwargs):
        process = real_popen(*args, **kwargs)
        started.append(process)
        return process

    monkeypatch.setattr(pdf.subprocess, "Popen", popen)

    def use(script):
        path = tmp_path / "child.py"
        path.write_text(script)
        monkeypatch.setattr(pdf, "CHILD", path)
        return started

    return use


def test_a_failing_part_fails_the_document_and_stops_every_child(fake_child):
    started = fake_child(
        "import sys\n"
        "if sys.argv[1] == '--front':\n    import time; time.sleep(60)\n"
        "sys.exit('la parte no se pudo componer')\n"
    )
    with pytest.raises(RenderError, match="la parte no se pudo componer"):
        parts_to_pdf(FRONT, PARTS, "test")
    assert len(started) == 3 and all(process.returncode is not None for process in started)


def test_a_part_that_never_answers_is_stopped_at_the_deadline(fake_child, monkeypatch):
    monkeypatch.setattr(pdf, "PARTS_TIMEOUT_SECONDS", 1)
    started = fake_child("import time\ntime.sleep(60)\n")
    with pytest.raises(RenderError, match="no answer"):
        parts_to_pdf(FRONT, PARTS, "test")
    assert all(process.returncode is not None for process in started)


def test_the_child_program_starts_without_the_application():
    # Importing the application costs a child a second: the child imports WeasyPrint and the standard library only.
    code = (
        "import runpy, sys; runpy.run_path(sys.argv[1]); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('workshops', 'flask', 'sqlalchemy')))"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", code, str(pdf.CHILD)], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("lengths", "parts", "runs"),
    [
        ([5, 5, 5, 5], 2, [(0, 2), (2, 4)]),
        ([9, 1, 1, 1, 1, 1], 2, [(0, 1), (1, 6)]),
        ([1, 1, 1, 8], 3, [(0, 1), (1, 3), (3, 4)]),
        ([4, 3], 5, [(0, 1), (1, 2)]),  # never more runs than lengths
        ([4, 3, 2], 1, [(0, 3)]),
    ],
)
def test_modules_are_split_into_runs_of_about_equal_length(lengths, parts, runs):
    assert split_evenly(lengths, parts) == runs
