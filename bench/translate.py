"""Translator workspace budget: editor page weight and save-and-next server time.

    python bench/translate.py [--entries 5000] [--runs 40]

Builds a throwaway SQLite database (or uses the empty database DATABASE_URL
names) whose curriculum catalog is padded with synthetic entries up to
--entries, then measures in-process (server time, no network): the editor
page with its CSS and JS, and the three requests of "save and next" (POST,
/next redirect, the next editor page). Then, with nine in ten entries
translated, a module page in Awajún: served from the compiled catalog, and
right after a save (the catalog revision changed, so the whole catalog is
rebuilt from the store on that request).
"""

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workshops import create_app  # noqa: E402
from workshops.catalog.models import CatalogEntry, Translation, entry_key  # noqa: E402
from workshops.catalog.store import bump_revision, current_revision  # noqa: E402
from workshops.extensions import db  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    instance = tempfile.mkdtemp(prefix="bench-")
    config = {"INSTANCE_PATH": instance, "WTF_CSRF_ENABLED": False}
    if not os.environ.get("DATABASE_URL"):
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance}/bench.sqlite"
    app = create_app(config)
    with app.app_context():
        count = db.session.query(CatalogEntry).filter_by(domain="curriculum").count()
        for index in range(count, args.entries):
            text = (
                f"Frase sintética número {index} para medir el espacio de traducción con un catálogo grande."
            )
            entry = CatalogEntry(
                domain="curriculum",
                key=entry_key(f"bench.s.{index}", text),
                context=f"bench.s.{index}",
                msgid=text,
                position=100000 + index,
            )
            entry.refresh_search()
            db.session.add(entry)
        db.session.commit()
        total = db.session.query(CatalogEntry).filter_by(domain="curriculum").count()
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
            "roles": ["admin", "translator", "reviewer"],
            "is_enabled": "y",
        },
    )
    print(f"catalog: {total} curriculum entries")

    location = client.get("/translate/agr/curriculum/next").headers["Location"]
    html = client.get(location).data
    assets = re.findall(rb'(?:href|src)="(/static/[^"]+)"', html)
    weight = len(html) + sum(len(client.get(asset.decode()).data) for asset in assets)
    print(
        f"editor page: {len(html) / 1024:.1f} KB html + {len(assets)} assets = {weight / 1024:.1f} KB (budget 60 KB, uncompressed)"
    )

    times = []
    for run in range(args.runs):
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
    print(
        f"save and next ({args.runs} runs): median {statistics.median(times):.1f} ms, max {max(times):.1f} ms (budget 100 ms)"
    )

    module_page(app, client, location, args.runs)

    begin = time.perf_counter()
    listing = client.get("/translate/agr/curriculum/?q=sintetica+numero+4999")
    print(
        f"accent-insensitive search over {total} entries: {(time.perf_counter() - begin) * 1000:.1f} ms, status {listing.status_code}"
    )


def module_page(app, client, location, runs):
    """Time a module page in Awajún with the large catalog compiled, and right after a save."""
    with app.app_context():
        translated = {
            entry_id
            for entry_id in db.session.scalars(
                db.select(Translation.entry_id).where(Translation.language == "agr")
            )
        }
        ids = db.session.scalars(db.select(CatalogEntry.id).where(CatalogEntry.domain == "curriculum")).all()
        for index, entry_id in enumerate(ids):
            if entry_id not in translated and index % 10:
                db.session.add(
                    Translation(
                        entry_id=entry_id,
                        language="agr",
                        forms=["Awajún (bench)"],
                        state="translated",
                        revision=1,
                    )
                )
        bump_revision("agr")
        db.session.commit()
        usable = db.session.scalar(
            db.select(db.func.count())
            .select_from(Translation)
            .where(Translation.state.in_(("translated", "approved")))
        )
    page = "/modules/cosecha-y-poscosecha?lang=agr"
    client.get(page)
    warm = []
    for _ in range(runs):
        begin = time.perf_counter()
        response = client.get(page)
        warm.append((time.perf_counter() - begin) * 1000)
        assert response.status_code == 200
    cold = []
    entry_url = location.split("?")[0]
    with app.app_context():
        before = current_revision("agr")
    for run in range(runs):
        editor = client.get(entry_url).get_data(as_text=True)
        base = re.search(r'name="base_revision"[^>]*value="(\d+)"', editor).group(1)
        client.post(entry_url, data={"translation": f"OTRA {run}", "base_revision": base, "action": "save"})
        begin = time.perf_counter()
        response = client.get(page)
        cold.append((time.perf_counter() - begin) * 1000)
        assert response.status_code == 200
    with app.app_context():
        assert current_revision("agr") == before + runs, "a save did not change the catalog revision"
    print(
        f"module page in Awajún ({usable} usable translations in the store): "
        f"median {statistics.median(warm):.1f} ms, max {max(warm):.1f} ms; right after a save "
        f"(catalog rebuilt): median {statistics.median(cold):.1f} ms, max {max(cold):.1f} ms"
    )


if __name__ == "__main__":
    main()
