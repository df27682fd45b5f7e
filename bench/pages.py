"""Measure server time and weight of the main pages; print figures.

    python bench/pages.py [--runs 50]

Uses a throwaway SQLite database (or DATABASE_URL) and the in-process test
client, so the figures are server time without the network.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workshops import create_app  # noqa: E402

PAGES = ["/modules", "/modules/cosecha-y-poscosecha", "/terms", "/admin/users"]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    instance = tempfile.mkdtemp(prefix="bench-")
    config = {"INSTANCE_PATH": instance, "WTF_CSRF_ENABLED": False}
    if not os.environ.get("DATABASE_URL"):
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance}/bench.sqlite"
    started = time.perf_counter()
    app = create_app(config)
    print(f"first start (migrate, load curriculum, import catalogs): {time.perf_counter() - started:.2f} s")
    client = app.test_client()
    client.post(
        "/setup",
        data={"username": "bench", "display_name": "Bench", "password": "x" * 12, "confirm": "x" * 12},
    )
    css = client.get("/static/css/app.css").data
    print(f"stylesheet: {len(css) / 1024:.1f} KB (the only other request of a page)")
    for language in ("es", "agr"):
        client.post("/language", data={"language": language, "next": "/"})
        for page in PAGES:
            client.get(page)  # warm the caches
            times = []
            for _ in range(args.runs):
                begin = time.perf_counter()
                response = client.get(page)
                times.append((time.perf_counter() - begin) * 1000)
            assert response.status_code == 200, (page, response.status_code)
            print(
                f"{language:3} {page:34} median {statistics.median(times):6.1f} ms  "
                f"p95 {sorted(times)[int(len(times) * 0.95) - 1]:6.1f} ms  "
                f"{len(response.data) / 1024:5.1f} KB html"
            )


if __name__ == "__main__":
    main()
