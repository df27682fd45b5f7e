"""Translation memory on a 5,000-entry catalog: lookup time, index build, editor with matches.

    python bench/memory.py [--entries 5000] [--runs 200]

Builds a throwaway SQLite database (or uses the empty database DATABASE_URL
names) whose curriculum catalog is padded up to --entries with variants of the
real curriculum sentences (a word changed, two sentences joined, a suffix), so
that close matches exist as they do across the 12 modules; nine in ten entries
get a test-only translation. Then measures in-process: building the source
index (once per process, and again only when a source text changes), one
lookup (exact and close matches of one entry) over many entries, and the
editor page with its matches plus save-and-next (the editor's budget: 100 ms).
"""

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workshops import create_app  # noqa: E402
from workshops.catalog.models import CatalogEntry, Translation, entry_key  # noqa: E402
from workshops.catalog.store import bump_revision  # noqa: E402
from workshops.extensions import db  # noqa: E402
from workshops.translate import memory  # noqa: E402

BUDGET_MS = 100
WORDS = ("café", "semilla", "suelo", "agua", "socia", "cooperativa", "ahorro", "vivero", "cosecha", "abono")


def variant(text, rng):
    """Return a sentence like text: one word replaced, a suffix added, or two joined."""
    words = text.split()
    choice = rng.random()
    if choice < 0.5 and len(words) > 2:
        words[rng.randrange(len(words))] = rng.choice(WORDS)
        return " ".join(words)
    if choice < 0.8:
        return f"{text} ({rng.choice(WORDS)} {rng.randrange(1000)})"
    return f"{text} {rng.choice(WORDS).capitalize()} {rng.randrange(1000)}."


def pad_catalog(app, entries, rng):
    """Add curriculum variants up to `entries` and translate nine in ten; return the entry count."""
    with app.app_context():
        real = db.session.scalars(
            db.select(CatalogEntry.msgid).where(
                CatalogEntry.domain == "curriculum", CatalogEntry.obsolete.is_(False)
            )
        ).all()
        count = len(real)
        for index in range(count, entries):
            text = variant(rng.choice(real), rng)
            context = f"bench.s.{index}"
            entry = CatalogEntry(
                domain="curriculum",
                key=entry_key(context, text),
                context=context,
                msgid=text,
                position=100000 + index,
            )
            entry.refresh_search()
            db.session.add(entry)
        db.session.flush()
        ids = db.session.scalars(db.select(CatalogEntry.id).where(CatalogEntry.domain == "curriculum")).all()
        for index, entry_id in enumerate(ids):
            if index % 10:
                db.session.add(
                    Translation(
                        entry_id=entry_id,
                        language="agr",
                        forms=[f"PRUEBA {index}"],
                        state="translated",
                        revision=1,
                    )
                )
        bump_revision("agr")
        db.session.commit()
        return db.session.scalar(db.select(db.func.count()).select_from(CatalogEntry))


def time_lookups(app, runs, rng):
    """Print the index build time and the lookup time per entry."""
    with app.test_request_context():
        memory._indexes.clear()
        begin = time.perf_counter()
        index = memory.source_index()
        build = (time.perf_counter() - begin) * 1000
        entries = db.session.scalars(db.select(CatalogEntry).where(CatalogEntry.domain == "curriculum")).all()
        sample = rng.sample(entries, min(runs, len(entries)))
        times, offered = [], 0
        for entry in sample:
            begin = time.perf_counter()
            found = memory.matches(entry, "agr")
            times.append((time.perf_counter() - begin) * 1000)
            offered += bool(found)
        times.sort()
        print(
            f"source index: {len(index.texts)} entries built in {build:.1f} ms (once per process and source change)"
        )
        print(
            f"TM lookup ({len(sample)} entries): median {statistics.median(times):.1f} ms, "
            f"p95 {times[int(len(times) * 0.95) - 1]:.1f} ms, max {times[-1]:.1f} ms "
            f"(budget: within save-and-next's {BUDGET_MS} ms); matches offered for {offered} of {len(sample)}"
        )


def signed_in(app):
    """Return a test client signed in as a translator (made by the first-run setup)."""
    client = app.test_client()
    client.post(
        "/setup",
        data={"username": "bench", "display_name": "Bench", "password": "x" * 12, "confirm": "x" * 12},
    )
    client.post(
        "/admin/users/1",
        data={
            "username": "bench",
            "display_name": "Bench",
            "roles": ["admin", "translator"],
            "is_enabled": "y",
        },
    )
    return client


def time_editor(client, runs, label):
    """Print the time of save and next (POST, redirect, next editor page)."""
    location = client.get("/translate/agr/curriculum/next").headers["Location"]
    client.get(location)
    times = []
    for run in range(runs):
        entry_url = location.split("?")[0]
        begin = time.perf_counter()
        response = client.post(
            entry_url, data={"translation": f"PRUEBA {run}", "base_revision": 0, "action": "save_next"}
        )
        response = client.get(response.headers["Location"])
        location = response.headers["Location"]
        page = client.get(location)
        times.append((time.perf_counter() - begin) * 1000)
        assert page.status_code == 200
    shown = len(re.findall(r"Usar esta traducción", page.get_data(as_text=True)))
    print(
        f"save and next {label} ({runs} runs): median {statistics.median(times):.1f} ms, "
        f"max {max(times):.1f} ms (budget {BUDGET_MS} ms); last page offered {shown} matches"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    instance = tempfile.mkdtemp(prefix="bench-")
    config = {"INSTANCE_PATH": instance, "WTF_CSRF_ENABLED": False}
    if not os.environ.get("DATABASE_URL"):
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance}/bench.sqlite"
    app = create_app(config)
    rng = random.Random(18)
    total = pad_catalog(app, args.entries, rng)
    print(f"catalog: {total} entries in the store (both domains), {args.entries} in the curriculum")
    time_lookups(app, args.runs, rng)
    client = signed_in(app)
    real = memory.matches
    memory.matches = lambda entry, language_code, index=None: []
    time_editor(client, min(args.runs, 40), "without matches (same machine, same moment)")
    memory.matches = real
    time_editor(client, min(args.runs, 40), "with matches")


if __name__ == "__main__":
    main()
