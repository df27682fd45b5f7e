"""Printable materials: access, bad options, PDF content read back with poppler, caching."""

import io
import json
import re
import subprocess
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from workshops.catalog import store
from workshops.catalog.models import CatalogEntry
from workshops.curriculum.models import Module
from workshops.extensions import db
from workshops.languages import BUILTIN_LANGUAGES

from .conftest import DATA, tool_required

UDHR = json.loads((DATA / "udhr_art1_agr_es.json").read_text(encoding="utf-8"))[0]
GUIDE = "/materials/print.pdf?document=guide&module=conservacion-de-suelos-y-agua&layout=side&first=agr"
AGR = BUILTIN_LANGUAGES[1]


def pdftext(data, tmp_path, *args):
    tool_required("pdftotext")
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", *args, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdfinfo(data, tmp_path):
    tool_required("pdfinfo")
    path = tmp_path / "info.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout


def translate(app, context, text, state="translated"):
    with app.app_context():
        entry = db.session.scalar(sa.select(CatalogEntry).where(CatalogEntry.context == context))
        store.set_translation(entry, "agr", [text], state)
        db.session.commit()
        return entry.msgid


def test_anonymous_cannot_print(client, admin_exists):
    assert client.get("/materials/").status_code == 302
    assert client.get(GUIDE).status_code == 302


@pytest.mark.parametrize(
    "query",
    [
        "document=guide&module=no-existe",
        "document=guide",
        "document=poster",
        "document=book&layout=diagonal",
        "document=book&paper=A3",
        "document=book&first=xx",
        "document=book&size=huge",
    ],
)
def test_bad_options_are_404(login_as, query):
    client = login_as("facilitator")
    assert client.get(f"/materials/print?{query}").status_code == 404
    assert client.get(f"/materials/print.pdf?{query}").status_code == 404


def test_print_page_offers_the_choices(login_as):
    page = login_as("facilitator").get("/materials/").get_data(as_text=True)
    for word in ("Lado a lado", "Interlineal", "Un solo idioma", "Carta", "Grande", "por revisar"):
        assert word in page


@pytest.mark.slow
def test_side_by_side_pdf_has_both_texts_and_honest_markers(login_as, app, tmp_path):
    spanish = translate(app, "conservacion-de-suelos-y-agua.objectives.o1", UDHR["agr"])
    client = login_as("facilitator")
    response = client.get(GUIDE)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=modulo-04-conservacion-de-suelos-y-agua-guia-agr-es-lado-a-lado-a4.pdf"
    )
    text = pdftext(response.data, tmp_path, "-raw")
    flat = " ".join(text.split())
    assert " ".join(spanish.split()[:6]) in flat
    for word in ("aidauk", "anentaibau", "dutikatasa"):
        assert word in flat
    # The marker appears exactly once per untranslated segment shown in the columns.
    with app.app_context():
        module = db.session.scalar(sa.select(Module).where(Module.slug == "conservacion-de-suelos-y-agua"))
        # Summary, objectives, materials, section texts, and each key term with its definition.
        shown = 1 + len(module.segments) + 2 * len(module.key_terms)
        titles = 1 + len(module.sections)
    assert flat.count("SIN TRADUCCIÓN") == shown - 1
    assert f"Awajún: 1 de {shown + titles} segmentos traducidos, 0 aprobados" in flat
    # The cover's date is the content's, in the language of its (here untranslated, Spanish) label.
    assert f"Traducciones al {date.today().day} de " in flat
    assert not any(month in flat for month in AGR.month_names)
    assert "4. Conservación de suelos y agua" in flat  # running header with the module
    info = pdfinfo(response.data, tmp_path)
    assert "(A4)" in info


def test_letter_paper_and_page_count(login_as, tmp_path):
    client = login_as("coordinator")
    single = "/materials/print.pdf?document=guide&module=conservacion-de-suelos-y-agua&layout=single&first=es"
    a4 = client.get(single)
    letter = client.get(single + "&paper=Letter")
    assert "612 x 792 pts (letter)" in pdfinfo(letter.data, tmp_path)
    pages = [
        int(line.split()[-1]) for line in pdfinfo(a4.data, tmp_path).splitlines() if line.startswith("Pages:")
    ]
    assert pages[0] >= 4
    text = pdftext(a4.data, tmp_path)
    assert "SIN TRADUCCIÓN" not in text  # Spanish alone has nothing missing
    assert f"1 / {pages[0]}" in text and f"{pages[0]} / {pages[0]}" in text


@pytest.mark.slow
def test_fuzzy_translations_marked_or_left_out(login_as, app, tmp_path):
    translate(app, "conservacion-de-suelos-y-agua.objectives.o2", "TEXTO-DUDOSO-PRUEBA", state="fuzzy")
    client = login_as("facilitator")
    marked = pdftext(client.get(GUIDE + "&fuzzy=mark").data, tmp_path)
    assert "TEXTO-DUDOSO-PRUEBA" in marked and "POR REVISAR" in marked
    omitted = pdftext(client.get(GUIDE + "&fuzzy=omit").data, tmp_path)
    assert "TEXTO-DUDOSO-PRUEBA" not in omitted and "POR REVISAR" not in omitted


@pytest.mark.slow
def test_book_has_a_table_of_contents_with_all_modules(login_as, app, tmp_path):
    app.config["BOOK_PROCESSES"] = 3  # laid out in three parts at once, and a fourth for cover and contents
    client = login_as("facilitator")
    response = download_in_background(
        app, client, "/materials/print.pdf?document=book&layout=single&first=es"
    )
    pages = pdftext(response.data, tmp_path, "-layout").split("\f")[:-1]
    for number, text in enumerate(pages, start=1):  # numbered through the book, across the parts
        assert re.search(rf"\b{number} / {len(pages)}\s*$", text), (number, text[-300:])
    starts = {}  # the first page with "Módulo N" alone on a line (the glossary has them too, later)
    for number, text in enumerate(pages, start=1):
        for line in text.splitlines():
            if re.fullmatch(r"Módulo \d+", line.strip()):
                starts.setdefault(int(line.split()[1]), number)
    starts[13] = next(n for n, text in enumerate(pages, start=1) if "Glosario bilingüe" in text and n > 2)
    entries = [int(n) for n in re.findall(r"\.{3,} *(\d+)\s*$", pages[1], re.MULTILINE)]
    assert entries == [starts[module] for module in range(1, 14)]  # each entry gives the page it starts on
    reader = PdfReader(io.BytesIO(response.data))
    linked = [
        reader.get_page_number(link.get_object()["/Dest"][0].get_object()) + 1
        for link in reader.pages[1]["/Annots"]
    ]
    assert sorted(linked) == entries
    toc = pdftext(response.data, tmp_path, "-f", "2", "-l", "2")
    with app.app_context():
        titles = db.session.execute(sa.select(Module.number, Module.title).order_by(Module.number)).all()
    flat = " ".join(toc.split())
    for number, title in titles:
        assert f"{number}. {' '.join(title.split()[:3])}" in flat
    assert "Glosario bilingüe de términos clave" in flat
    assert re.search(r"\b(\d+)\. \1\.", flat) is None  # numbered once, never "1. 1."
    assert "13." not in flat  # the glossary is not a thirteenth module
    assert any(char.isdigit() for char in toc.replace("1. ", ""))


@pytest.mark.slow
def test_pdf_cache_hits_and_changes_with_a_translation(login_as, app):
    client = login_as("facilitator")
    cache = Path(app.instance_path) / "pdf-cache"
    query = GUIDE + "&size=large"
    client.get(query)
    before = sorted(cache.glob("*.pdf"))
    client.get(query)
    assert sorted(cache.glob("*.pdf")) == before  # served from the cache
    translate(app, "conservacion-de-suelos-y-agua.objectives.o3", "CAMBIO-PRUEBA")
    client.get(query)
    assert len(list(cache.glob("*.pdf"))) == len(before) + 1  # a new revision makes a new file


def test_render_failure_shows_a_clear_page_and_caches_nothing(login_as, app, monkeypatch):
    import weasyprint

    def broken(*args, **kwargs):
        raise RuntimeError("simulated WeasyPrint failure")

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", broken)
    client = login_as("facilitator")
    cache = Path(app.instance_path) / "pdf-cache"
    before = set(cache.glob("*")) if cache.exists() else set()
    response = client.get(GUIDE + "&paper=Letter&size=large")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "No se pudo generar el PDF" in page and "simulated" not in page
    assert set(cache.glob("*")) == before


@pytest.mark.parametrize("layout", ["side", "interlinear", "single"])
def test_print_view_layouts_escape_and_never_leave_a_cell_empty(login_as, app, layout):
    translate(
        app,
        "conservacion-de-suelos-y-agua.summary",
        '<script>alert(1)</script>"><img src=x onerror=alert(1)>',
    )
    client = login_as("translator")
    page = client.get(
        f"/materials/print?document=guide&module=conservacion-de-suelos-y-agua&layout={layout}&first=agr"
    ).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "sin traducción" in page
    assert '<div class="col"></div>' not in page
    assert '<nav class="toolbar"' in page and "Descargar PDF" in page


@pytest.mark.slow
def test_build_command_writes_named_pdfs(runner, tmp_path):
    result = runner.invoke(
        args=[
            "materials",
            "build",
            "--to",
            str(tmp_path),
            "--only",
            "vivero-de-cafe",
            "--layout",
            "interlinear",
        ]
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in tmp_path.glob("*.pdf"))
    assert names == [
        "modulo-02-vivero-de-cafe-guia-agr-es-interlineal-a4.pdf",
        "modulo-02-vivero-de-cafe-hoja-agr-es-interlineal-a4.pdf",
    ]
    assert all((tmp_path / name).read_bytes().startswith(b"%PDF") for name in names)
    bad = runner.invoke(args=["materials", "build", "--to", str(tmp_path), "--only", "no-existe"])
    assert bad.exit_code != 0 and "unknown module" in bad.output


def download_in_background(app, client, url):
    """Ask for a document built in the background, let the worker finish, download the file offered."""
    from workshops.materials import jobs

    queued = client.get(url)
    assert queued.status_code == 303 and "/materials/jobs/" in queued.location
    jobs.start_worker(app).join()
    ready = client.get(queued.location).get_data(as_text=True)
    assert "El PDF está listo" in ready, ready
    link = re.search(r'class="button" href="([^"]+)"', ready).group(1).replace("&amp;", "&")
    response = client.get(link)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return response


def test_a_book_build_does_not_block_requests_and_is_offered_when_done(login_as, app, monkeypatch):
    import threading

    from workshops.materials import jobs

    release = threading.Event()
    rendering = threading.Event()

    def slow_render(options):
        rendering.set()
        assert release.wait(60)
        return b"%PDF-1.7 test book"

    monkeypatch.setattr(jobs, "pdf_bytes", slow_render)
    client = login_as("facilitator")
    book = "/materials/print.pdf?document=book&layout=side&first=agr&size=large"
    queued = client.get(book)
    assert queued.status_code == 303
    assert rendering.wait(60)  # the worker is now inside the build...
    waiting = client.get(queued.location)  # ...and the page answers meanwhile
    assert waiting.status_code == 200
    page = waiting.get_data(as_text=True)
    assert "<progress" in page and 'http-equiv="refresh"' in page and "Preparando el PDF" in page
    assert client.get(book).status_code == 303  # asking again waits for the same job
    release.set()
    jobs.start_worker(app).join()
    ready = client.get(queued.location).get_data(as_text=True)
    assert "El PDF está listo" in ready and "<progress" not in ready
    download = client.get(book)
    assert download.status_code == 200 and download.data == b"%PDF-1.7 test book"
    assert download.headers["Content-Disposition"].endswith(
        "curriculo-completo-agr-es-lado-a-lado-a4-letra-grande.pdf"
    )


def test_a_job_left_running_by_a_dead_process_is_resumed(login_as, app):
    from workshops.extensions import utcnow
    from workshops.materials import jobs
    from workshops.materials.models import PrintJob

    with app.app_context():
        job = PrintJob(key="k" * 64, options='{"document": "terms", "layout": "single", "first": "es"}')
        job.state, job.started_at = "running", utcnow() - jobs.STALE * 2
        db.session.add(job)
        db.session.commit()
        claimed = jobs.claim()
        assert claimed is not None and claimed.id == job.id and claimed.attempts == 1
        assert jobs.claim() is None  # now it is fresh: no second worker takes it
        db.session.rollback()


def test_cached_download_does_not_build_and_ignores_other_modules(login_as, app, monkeypatch):
    from workshops.materials import services

    client = login_as("facilitator")
    cache = Path(app.instance_path) / "pdf-cache"
    first = client.get(GUIDE + "&fuzzy=omit")
    before = sorted(cache.glob("*.pdf"))
    translate(app, "vivero-de-cafe.summary", "OTRO-MODULO")  # a save in another module

    def no_build(options):
        raise AssertionError("a cached download built the document")

    monkeypatch.setattr(services, "build", no_build)
    again = client.get(GUIDE + "&fuzzy=omit")
    assert again.data == first.data and sorted(cache.glob("*.pdf")) == before


def test_cache_is_pruned_by_age_and_size(app):
    import os
    import time

    from workshops.materials import pdfcache

    with app.test_request_context("/"):
        folder = pdfcache.cache_dir()
        for path in folder.glob("*.pdf"):
            path.unlink()
        old = folder / "old.pdf"
        old.write_bytes(b"x")
        os.utime(old, (time.time() - 40 * 86400,) * 2)
        big = [folder / f"big{i}.pdf" for i in range(3)]
        for i, path in enumerate(big):
            path.write_bytes(b"y" * 400_000)
            os.utime(path, (time.time() - 10 + i,) * 2)
        app.config["PDF_CACHE_MAX_MEGABYTES"] = 1
        assert pdfcache.prune() == 2  # the 40-day-old file, then the least recently used big one
        assert sorted(p.name for p in folder.glob("*.pdf")) == ["big1.pdf", "big2.pdf"]


MARKER_ALONE = re.compile(r"^\s*(\d+\.|•)\s*$", re.MULTILINE)


def page_bodies(text):
    """Yield the lines of each page between the running header and the footer."""
    for page in text.split("\f"):
        lines = page.splitlines()
        yield [line for line in lines[1:] if not re.search(r"\d+ / \d+\s*$", line)]


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["side", "interlinear", "single"])
def test_printed_pages_have_no_careless_details(login_as, app, tmp_path, layout):
    translate(app, "conservacion-de-suelos-y-agua.objectives.o1", UDHR["agr"])
    client = login_as("facilitator")
    query = f"/materials/print.pdf?document=handout&module=conservacion-de-suelos-y-agua&layout={layout}"
    for size in ("normal", "large"):
        text = pdftext(client.get(f"{query}&size={size}").data, tmp_path, "-layout")
        assert "•." not in text  # a bullet is not followed by a full stop
        assert "• " in text and "1. " in text
        assert MARKER_ALONE.search(text) is None, MARKER_ALONE.search(text)  # never alone on a line
        assert not any(month in text for month in AGR.month_names)  # Spanish label, Spanish date


@pytest.mark.slow
def test_running_header_and_footer_print_in_the_text_font(login_as, tmp_path):
    # The margin boxes inherit from the page, not from body: they once printed in DejaVu Serif.
    tool_required("pdffonts")
    path = tmp_path / "guide.pdf"
    path.write_bytes(login_as("facilitator").get(GUIDE).data)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "DejaVu-Sans" in fonts and "Serif" not in fonts, fonts


@pytest.mark.slow
def test_no_single_line_left_at_the_top_of_a_page(login_as, tmp_path):
    client = login_as("facilitator")
    query = "/materials/print.pdf?document=guide&module=conservacion-de-suelos-y-agua&layout=single&first=es"
    text = pdftext(client.get(query + "&size=large").data, tmp_path, "-layout")
    for number, body in enumerate(page_bodies(text), start=1):
        lines = [line for line in body if line.strip()]
        first_block = []
        for line in body:
            if not line.strip():
                if first_block:
                    break
                continue
            first_block.append(line)
        # A page that starts inside a paragraph (a lowercase continuation) carries more than one of its lines.
        if lines and lines[0].strip()[0].islower():
            assert len(first_block) >= 2, (number, first_block)


def test_normal_and_large_print_download_under_different_names(login_as):
    client = login_as("facilitator")
    normal = client.get(GUIDE).headers["Content-Disposition"]
    large = client.get(GUIDE + "&size=large").headers["Content-Disposition"]
    assert normal != large and large.endswith("-a4-letra-grande.pdf")


def test_print_shop_files_show_pages_and_sheets_and_download(login_as, tmp_path):
    client = login_as("facilitator")
    page = client.get(GUIDE.replace("print.pdf", "files") + "&copies=80")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    pages = int(re.search(r"El documento tiene (\d+) páginas", html).group(1))
    assert f"<td>{pages * 80 + (pages % 2) * 80}</td>" in html  # plain, each copy on fresh sheets
    booklet = client.get(GUIDE + "&shop=booklet&copies=2")
    assert booklet.headers["Content-Disposition"].endswith("-folleto-a5-2-copias.pdf")
    info = pdfinfo(booklet.data, tmp_path)
    sides = 2 * -(-pages // 4)
    assert f"Pages:           {2 * sides}" in info
    assert "842 x 595" in info.replace("841.89", "842").replace("595.276", "595")  # A4 landscape
    assert client.get(GUIDE + "&shop=poster").status_code == 404
    assert client.get(GUIDE + "&copies=0").status_code == 404
    assert client.get(GUIDE + "&copies=many").status_code == 404


def test_sheet_counts():
    from workshops.materials.imposition import Counts, _booklet_order, sheet_counts

    assert sheet_counts(7, "plain") == Counts(7, 4)
    assert sheet_counts(7, "plain", 80) == Counts(640, 320)
    assert sheet_counts(7, "booklet", 80) == Counts(320, 160)
    assert sheet_counts(9, "two_up") == Counts(6, 3)
    assert _booklet_order(6) == [None, 0, 1, None, 5, 2, 3, 4]


def structure_languages(data):
    """Count the /Lang entries of a PDF's structure tree, by language."""
    import io

    from pypdf import PdfReader

    found = {}

    def walk(node):
        node = node.get_object()
        if "/Lang" in node:
            found[str(node["/Lang"])] = found.get(str(node["/Lang"]), 0) + 1
        kids = node.get("/K")
        kids = kids.get_object() if kids is not None else []
        for kid in kids if isinstance(kids, list) else [kids]:
            kid = kid.get_object()
            if hasattr(kid, "get"):
                walk(kid)

    walk(PdfReader(io.BytesIO(data)).trailer["/Root"]["/StructTreeRoot"])
    return found


@pytest.mark.slow
def test_pdfs_are_tagged_with_the_language_of_each_text(login_as, app, tmp_path):
    translate(app, "conservacion-de-suelos-y-agua.objectives.o1", UDHR["agr"])
    data = login_as("facilitator").get(GUIDE + "&layout=interlinear").data
    assert "Tagged:          yes" in pdfinfo(data, tmp_path)
    languages = structure_languages(data)
    assert languages.get("agr", 0) > 10 and languages.get("es", 0) > 10, languages
