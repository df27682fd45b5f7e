"""Every page fits a 360 px phone: nothing scrolls sideways except inside a table's frame."""

import pytest

from ..conftest import make_test_app
from .helpers import PASSWORD, login

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROLES = ("admin", "coordinator", "facilitator", "translator", "reviewer")
# Extra query strings for pages whose interesting state needs one.
VARIANTS = {
    "curriculum.module": ["?lang=agr"],
    "materials.view": [
        "?document=handout&module={slug}&layout=side",
        "?document=guide&module={slug}&layout=interlinear&size=large",
        "?document=book&layout=single&first=es",
        "?document=terms",
    ],
    "reports.matrix": ["?expand=1"],
    "workspace.entries": ["?state=untranslated"],
}

OVERFLOW = """() => {
    const width = window.innerWidth;
    if (document.documentElement.scrollWidth <= width) return [];
    // Name the widest culprits: elements reaching past the right edge that are not inside a scroll frame.
    const out = [];
    for (const e of document.querySelectorAll('body *')) {
        const box = e.getBoundingClientRect();
        if (box.right <= width + 0.5) continue;
        let clipped = false;
        for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
            const style = getComputedStyle(p);
            if (style.overflowX !== 'visible') { clipped = true; break; }
        }
        if (!clipped) out.push(`${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${e.className} right=${Math.round(box.right)}`);
    }
    return [`scrollWidth=${document.documentElement.scrollWidth} > ${width}`, ...out.slice(0, 8)];
}"""


def _html_pages(app, sample):
    """(endpoint, path) of every GET route, with sample ids (tests/urlmap.py)."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        missing = set(rule.arguments) - set(sample)
        assert not missing, f"add sample values for {missing} of {rule.rule} to tests/urlmap.py"
        path = rule.build({name: sample[name] for name in rule.arguments})[1]
        yield rule.endpoint, path
        for extra in VARIANTS.get(rule.endpoint, ()):
            yield rule.endpoint, path + extra.format(**sample)


def test_every_page_fits_a_phone(live_server, page, live_sample, tmp_path):
    """Every GET route of the URL map that answers HTML, for a user holding every role (admin included)."""
    page.set_viewport_size({"width": 360, "height": 740})
    wide = []

    def check(path):
        overflow = page.evaluate(OVERFLOW)
        if overflow:
            wide.append(f"{path}: " + "; ".join(overflow))

    # Before anyone exists: the first-run form; then the login and error pages, signed out.
    page.goto(live_server + "/")
    assert page.url.endswith("/setup")
    check("/setup")
    live_server.cli("create-user", "admin", "--role", "admin", "--password", PASSWORD)
    for path in ("/login", "/no-such-page"):
        page.goto(live_server + path)
        check(path + " (signed out)")
    roles = [arg for role in ROLES for arg in ("--role", role)]
    live_server.cli("create-user", "everyone", "--name", "Ana Todos", *roles, "--password", PASSWORD)
    live_server.cli("demo")
    sample = live_sample("admin")
    # The URL map only: an app that does not touch the database.
    app = make_test_app("sqlite://", tmp_path / "map")
    pages = list(_html_pages(app, sample))

    login(page, live_server, "everyone")
    checked, skipped = [], []
    for endpoint, path in pages:
        # Ask first with the page's cookies: a download would not open as a page.
        content_type = page.request.get(live_server + path).headers.get("content-type", "")
        if not content_type.startswith("text/html"):
            skipped.append(f"{path} ({content_type.split(';')[0]})")
            continue
        response = page.goto(live_server + path)
        assert response.status < 500, (path, response.status)
        assert "/login" not in page.url, path  # still signed in
        assert page.evaluate("window.innerWidth") == 360
        checked.append((endpoint, path, response.status))
        check(path)
    print(f"{len(checked)} pages checked at 360 px: {[p for _, p, _ in checked]}; not HTML: {skipped}")
    assert not wide, "pages wider than a phone:\n" + "\n".join(wide)
    # Every HTML page was really shown (not a 403 or a login page in its place).
    assert all(status == 200 for _, _, status in checked), [c for c in checked if c[2] != 200]
    endpoints = {endpoint for endpoint, _, _ in checked}
    assert {"reports.matrix", "people.household", "workspace.edit", "admin.audit_log"} <= endpoints
    assert len(checked) > 40
