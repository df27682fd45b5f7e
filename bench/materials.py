"""Printable materials budget: cold module handout and book, cached download, imposition, tagging.

    python bench/materials.py            # tagged PDFs (the default)
    python bench/materials.py --untagged # PDF_TAGGED off, to see what tagging costs
    python bench/materials.py --voices   # every text of the handout's module with an approved take:
                                         # the cover's "Voces" line and a QR code on every section

"Cold" is a fresh render (empty PDF cache), in-process through the real route for
the handout; the book is built the way the server builds it, by the background
worker (in parts at once, by child processes; never tagged), and timed from
queueing to the file in the cache. The cached figure is the book's download through the route, with a
translated Awajún catalog loaded (every curriculum segment translated), 20 times.
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workshops import create_app  # noqa: E402

HANDOUT = "/materials/print.pdf?document=handout&module=conservacion-de-suelos-y-agua&layout=side&first=agr"
BOOK = "/materials/print.pdf?document=book&layout=side&first=agr"


def timed(client, url, status=200):
    begin = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - begin
    assert response.status_code == status, (url, response.status_code)
    return elapsed, response


def translate_everything(app):
    """Give every curriculum segment an Awajún text (a marked placeholder), as a full catalog would."""
    import sqlalchemy as sa

    from workshops.catalog import store
    from workshops.catalog.models import CatalogEntry
    from workshops.extensions import db

    with app.app_context():
        entries = db.session.scalars(sa.select(CatalogEntry).where(CatalogEntry.domain == "curriculum")).all()
        for entry in entries:
            store.set_translation(entry, "agr", [f"[agr] {entry.msgid}"], "translated")
        db.session.commit()
        return len(entries)


def record_module(app, slug):
    """Give every segment and key term of a module an approved Awajún take (bench data, not audio)."""
    import sqlalchemy as sa

    from workshops.auth import services as auth_services
    from workshops.catalog.recordings import Recording
    from workshops.curriculum.models import KeyTerm, Module, Segment
    from workshops.extensions import db
    from workshops.voice import media, services

    with app.app_context():
        voice = auth_services.create_user("voz", "Ana Tsamajain", "y" * 12, ("translator", "reviewer"))
        db.session.flush()
        texts = list(
            db.session.scalars(sa.select(Segment.uid).join(Segment.module).where(Module.slug == slug))
        )
        for key in db.session.scalars(sa.select(KeyTerm.key).join(KeyTerm.module).where(Module.slug == slug)):
            texts += [f"{slug}.terms.{key}.term", f"{slug}.terms.{key}.definition"]
        for context in texts:
            audio = media.Normalised(b"OggS bench", 1000, False)
            take = services.save_take(services.source_of(context), "agr", audio, voice.id)
            services.review(take, voice.id, True)
        db.session.commit()
        return db.session.scalar(sa.select(sa.func.count(Recording.id)).where(Recording.state == "approved"))


def main():
    tagged = "--untagged" not in sys.argv
    instance = tempfile.mkdtemp(prefix="bench-")
    app = create_app(
        {
            "INSTANCE_PATH": instance,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/b.sqlite",
            "WTF_CSRF_ENABLED": False,
            "PDF_TAGGED": tagged,
        }
    )
    client = app.test_client()
    client.post(
        "/setup",
        data={"username": "bench", "display_name": "Bench", "password": "x" * 12, "confirm": "x" * 12},
    )
    print(f"PDF tagging: {'on' if tagged else 'off'}; {translate_everything(app)} segments translated")
    if "--voices" in sys.argv:
        print(f"{record_module(app, 'conservacion-de-suelos-y-agua')} approved takes in the handout's module")
    timed(client, "/materials/print.pdf?document=terms&layout=single&first=es")  # fonts loaded once
    elapsed, response = timed(client, HANDOUT)
    print(
        f"module handout, side by side: cold {elapsed:.2f} s ({len(response.data) / 1024:.0f} KB; budget 1.5 s)"
    )
    cached = min(timed(client, HANDOUT)[0] for _ in range(3))
    for shop in ("booklet", "two_up"):
        imposed = timed(client, HANDOUT + f"&shop={shop}")[0] - cached  # the handout is cached by now
        print(
            f"{shop} imposition of the handout: +{imposed * 1000:.0f} ms"
            f" = +{100 * imposed / elapsed:.0f} % of its cold build (budget 20 %)"
        )
    from workshops.materials import jobs

    begin = time.perf_counter()
    timed(client, BOOK, status=303)
    jobs.start_worker(app).join()
    book = time.perf_counter() - begin
    _elapsed, response = timed(client, BOOK)
    print(f"whole book, side by side: cold {book:.2f} s ({len(response.data) / 1024:.0f} KB; budget 12 s)")
    cached = [timed(client, BOOK)[0] * 1000 for _ in range(20)]
    print(
        f"cached book download: median {statistics.median(cached):.1f} ms, worst {max(cached):.1f} ms"
        " (budget 50 ms)"
    )


if __name__ == "__main__":
    main()
