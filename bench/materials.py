"""Printable materials budget: cold module PDF, cold book PDF, cached download.

    python bench/materials.py

Each "cold" figure is a fresh render (empty PDF cache) measured in-process
through the real route, so it is server time without the network.
"""

import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workshops import create_app  # noqa: E402

MODULE = "/materials/print.pdf?document=guide&module=conservacion-de-suelos-y-agua&layout=side&first=agr"
BOOK = "/materials/print.pdf?document=book&layout=side&first=agr"


def timed(client, url):
    begin = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - begin
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, len(response.data)


def main():
    instance = tempfile.mkdtemp(prefix="bench-")
    app = create_app(
        {
            "INSTANCE_PATH": instance,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/b.sqlite",
            "WTF_CSRF_ENABLED": False,
        }
    )
    client = app.test_client()
    client.post(
        "/setup",
        data={"username": "bench", "display_name": "Bench", "password": "x" * 12, "confirm": "x" * 12},
    )
    timed(
        client, "/materials/print.pdf?document=terms&layout=single&first=es"
    )  # load fonts once, as a running server has
    cache = Path(instance) / "pdf-cache"
    for label, url, budget in (
        ("module guide, side by side", MODULE, 1.5),
        ("whole book, side by side", BOOK, 12),
    ):
        shutil.rmtree(cache, ignore_errors=True)
        elapsed, size = timed(client, url)
        print(f"{label}: cold {elapsed:.2f} s ({size / 1024:.0f} KB; budget {budget} s)")
    cached = sorted(timed(client, BOOK)[0] * 1000 for _ in range(20))
    print(f"cached book download: median {cached[10]:.1f} ms (budget 50 ms)")


if __name__ == "__main__":
    main()
