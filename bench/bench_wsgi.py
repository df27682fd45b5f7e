"""The WSGI app bench/throughput.py serves: the real app plus bare routes registered only here.

    gunicorn --chdir bench bench_wsgi:app          (or waitress, or)
    python bench/bench_wsgi.py --port 8000         (Werkzeug's threaded server, as `flask run`)

The bare routes return a short string through the same before/after request
hooks (access rules, security headers) as every page, so the difference from
a real page is what the page itself costs.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workshops import create_app  # noqa: E402
from workshops.core import access  # noqa: E402

app = create_app()


@app.route("/bench-bare")
@access.public
def bench_bare():
    return "ok"


@app.route("/bench-bare-signed-in")
@access.signed_in
def bench_bare_signed_in():
    return "ok"


if __name__ == "__main__":
    from werkzeug.serving import run_simple

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8000)
    run_simple("127.0.0.1", parser.parse_args().port, app, threaded=True)
