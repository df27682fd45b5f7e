"""Translator workspace budget: editor page weight and save-and-next server time.

    python bench/translate.py [--entries 5000] [--runs 40]

Builds a throwaway SQLite database whose curriculum catalog is padded with
synthetic entries up to --entries, then measures in-process (server time,
no network): the editor page with its CSS and JS, and the three requests of
"save and next" (POST, /next redirect, the next editor page).
"""

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workshops import create_app  # noqa: E402
from workshops.extensions import db  # noqa: E402
from workshops.translate.models import CatalogEntry, entry_key  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    instance = tempfile.mkdtemp(prefix="bench-")
    app = create_app(
        {
            "INSTANCE_PATH": instance,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/bench.sqlite",
            "WTF_CSRF_ENABLED": False,
        }
    )
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

    begin = time.perf_counter()
    listing = client.get("/translate/agr/curriculum/?q=sintetica+numero+4999")
    print(
        f"accent-insensitive search over {total} entries: {(time.perf_counter() - begin) * 1000:.1f} ms, status {listing.status_code}"
    )


if __name__ == "__main__":
    main()
