"""Measure server time and weight of the main pages on a program's data; print figures.

    python bench/pages.py [--runs 30]

Fills a throwaway SQLite database (or the empty PostgreSQL database DATABASE_URL
names) as bench/serving.py does: the curriculum with Awajún translations, the
demo program, a 200-person community. Signed in as a coordinator holding every
role, it asks the in-process test client for the pages bench/page_weight.py
weighs, so the figures are server time without the network. Beside each page it
lists the other files the page asks for (stylesheets and scripts; the browser
keeps them after the first visit).
"""

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import page_weight  # noqa: E402
import serving  # noqa: E402

SUBRESOURCE = re.compile(r'<(?:script[^>]*\bsrc|link[^>]*rel="stylesheet"[^>]*\bhref)="([^"?]+)')


def signed_in_client(app):
    """Return a test client signed in as the coordinator (every role)."""
    client = app.test_client()
    response = client.post("/login", data={"username": "coordinadora", "password": serving.PASSWORD})
    assert response.status_code == 302, response.status_code
    return client


def large_session(app):
    """Return the id of the 200-person community's session, from the database."""
    import sqlalchemy as sa

    from workshops.attendance.models import WorkshopSession
    from workshops.extensions import db
    from workshops.people.models import Community

    with app.app_context():
        return db.session.scalar(
            sa.select(WorkshopSession.id).join(Community).where(Community.name == serving.LARGE_COMMUNITY)
        )


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    env, _url = serving.new_environment()
    app = serving.seed(env)
    app.config["WTF_CSRF_ENABLED"] = False
    client = signed_in_client(app)
    session_cookie = client.get_cookie("session").value

    def get(_base, path, _cookie):
        """Answer as serving.get does over HTTP: with the login's cookie, keeping no cookie it sets."""
        client.set_cookie("session", session_cookie)
        return client.get(path).get_data(as_text=True)

    serving.get = get  # page_weight finds its pages through serving.get; here the test client answers
    serving.large_session = lambda _base, _cookie: large_session(app)
    print(f"{'page':52} {'median':>9} {'p95':>9} {'HTML':>8}  other files")
    for _key, label, path in page_weight.pages(None, None):
        asker = app.test_client() if path == "/login" else client
        asker.get(path)  # warm the caches
        times = []
        for _ in range(args.runs):
            client.set_cookie("session", session_cookie)  # a ?lang= link does not stick
            begin = time.perf_counter()
            response = asker.get(path)
            times.append((time.perf_counter() - begin) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        html = response.get_data(as_text=True)
        files = ", ".join(sorted({Path(found).name for found in SUBRESOURCE.findall(html)}))
        print(
            f"{label[:52]:52} {statistics.median(times):6.1f} ms {sorted(times)[int(len(times) * 0.95) - 1]:6.1f} ms "
            f"{len(response.data) / 1024:5.1f} KB  {files}"
        )


if __name__ == "__main__":
    main()
