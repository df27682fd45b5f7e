"""A document's PDF: a handout, guide or key terms in this process, the book in parts at once.

Laid out by one process, the whole book (152 pages side by side) took 15 s
untagged and 19 s tagged on a two-core machine, against a budget of 12 s. Its
modules each start on a new page, so it is laid out as parts, one child process
each (core/pdf.py `parts_to_pdf`): the cover and contents, then the modules in as
many runs of about equal length as the machine has cores (four at most), the last
with the glossary. The pages are numbered through the book, the contents page gets
the page of every module, and the child processes give back their memory when they
end. The book is not tagged: joining parts keeps no structure tree.
"""

import os

from flask import current_app

from ..core.pdf import html_to_pdf, parts_to_pdf
from . import services

MOST_PARTS = 4


def pdf_bytes(options: services.Options) -> bytes:
    """Return the PDF of a document; raise LookupError for an unknown module, RenderError on failure."""
    document = services.build(options)
    context = services.print_context(document)
    if options.document == "book":
        return book_pdf(document, context)
    html = services.render_html(document, context, for_pdf=True)
    return html_to_pdf(html, repr(options), services.pdf_tagged(options))


def book_pdf(document: services.Document, context: dict) -> bytes:
    """Return the book's PDF, its modules laid out in parts at once."""
    lengths = [_length(module, document.options) for module in document.modules]
    glossary = [piece for _number, term, definition in document.terms for piece in (term, definition)]
    lengths[-1] += sum(
        len(piece.text(language)) for piece in glossary for language in document.options.languages
    )
    runs = split_evenly(lengths, book_processes())
    front = services.render_html(document, context, for_pdf=True, part="front")
    parts = [
        services.render_html(
            document,
            context,
            for_pdf=True,
            part="body",
            part_modules=document.modules[start:end],
            part_glossary=end == len(document.modules),
        )
        for start, end in runs
    ]
    return parts_to_pdf(front, parts, repr(document.options))


def book_processes() -> int:
    """Return how many parts the book's modules are laid out in: the BOOK_PROCESSES setting, else the cores."""
    setting = current_app.config.get("BOOK_PROCESSES")
    return max(1, int(setting) if setting else min(os.cpu_count() or 1, MOST_PARTS))


def _length(module: dict, options: services.Options) -> int:
    """Return how many characters a module prints, a measure of how long it takes to lay out."""
    pieces = [module["title"], module["summary"], *module["objectives"], *module["materials"]]
    for section in module["sections"]:
        pieces += [section["title"], *section["pieces"]]
    return sum(len(piece.text(language)) for piece in pieces for language in options.languages)


def split_evenly(lengths: list[int], parts: int) -> list[tuple[int, int]]:
    """Return (start, end) of consecutive runs of `lengths`, at most `parts`, whose longest run is shortest."""
    parts = max(1, min(parts, len(lengths)))
    ends = [0]
    for length in lengths:
        ends.append(ends[-1] + length)

    # best[k][i]: the longest run when the first i lengths make k runs; cut[k][i]: where the last run starts.
    best = [[0.0] + [float("inf")] * len(lengths)]
    cut = [[0] * (len(lengths) + 1)]
    for k in range(1, parts + 1):
        best.append([float("inf")] * (len(lengths) + 1))
        cut.append([0] * (len(lengths) + 1))
        for i in range(1, len(lengths) + 1):
            for j in range(k - 1, i):
                longest = max(best[k - 1][j], ends[i] - ends[j])
                if longest < best[k][i]:
                    best[k][i], cut[k][i] = longest, j
    runs, end = [], len(lengths)
    for k in range(parts, 0, -1):
        runs.append((cut[k][end], end))
        end = cut[k][end]
    return runs[::-1]
