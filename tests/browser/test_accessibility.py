"""Accessibility: axe-core finds nothing serious on the main pages; the keyboard shows where it is."""

import pytest

from .helpers import PASSWORD, login

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BLOCKING = {"serious", "critical"}
ROLES = ("admin", "coordinator", "facilitator", "translator", "reviewer")


def _main_pages(sample):
    """The pages people use most, with real ids from the live database."""
    lang, entry = sample["lang"], sample["entry_id"]
    return [
        "/",
        "/modules",
        f"/modules/{sample['slug']}",
        f"/modules/{sample['slug']}?lang=agr",
        "/terms",
        "/translate/",
        f"/translate/{lang}/curriculum/",
        f"/translate/{lang}/curriculum/{entry}",
        f"/translate/{lang}/glossary",
        f"/recordings/{lang}/{sample['context']}",
        f"/recordings/listen/{sample['slug']}/{sample['key']}",
        "/materials/",
        f"/materials/print?document=handout&module={sample['slug']}",
        "/people/",
        f"/people/communities/{sample['community_id']}",
        f"/people/households/{sample['household_id']}",
        f"/people/persons/{sample['person_id']}",
        f"/people/persons/{sample['person_id']}/edit",
        "/sessions/",
        f"/sessions/{sample['session_id']}",
        f"/sessions/{sample['session_id']}/attendance",
        "/reports/",
        "/reports/summary",
        "/reports/indicators",
        "/reports/matrix",
        "/reports/people",
        "/field/",
        "/admin/users",
        f"/admin/users/{sample['user_id']}",
        "/admin/audit",
        "/admin/languages",
        "/account",
        "/no-such-page",
    ]


def _describe(violations):
    lines = []
    for violation in violations:
        lines.append(
            f"  [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})"
        )
        for node in violation["nodes"][:5]:
            lines.append(f"      {' '.join(node['target'])}")
            lines.append("        " + (node["summary"] or "").replace("\n", "\n        "))
    return "\n".join(lines)


def _check(page, path, found):
    response = page.goto(page.base + path)
    assert response is not None
    if "lang=agr" in path:
        assert page.locator("html").get_attribute("lang") == "agr"
    violations = page.axe()
    found[path] = violations
    return violations


@pytest.mark.parametrize("width", [1280, 360])
def test_main_pages_have_no_serious_axe_violations(live_server, axe_page, live_sample, width):
    """On a computer and on a phone: what is fine wide may need scrolling when narrow."""
    page = axe_page
    page.set_viewport_size({"width": width, "height": 800})
    page.base = str(live_server)
    found = {}
    # A new installation: the first-run form, then the login page.
    _check(page, "/setup", found)
    assert page.url.endswith("/setup")
    live_server.cli("create-user", "admin", "--role", "admin", "--password", PASSWORD)
    roles = [arg for role in ROLES for arg in ("--role", role)]
    live_server.cli("create-user", "everyone", "--name", "Ana Todos", *roles, "--password", PASSWORD)
    live_server.cli("demo")
    sample = live_sample("admin")
    _check(page, "/login", found)
    # The same form showing an error.
    page.get_by_label("Usuario").fill("everyone")
    page.get_by_label("Contraseña").fill("not the password")
    page.get_by_role("button", name="Iniciar sesión").click()
    assert page.locator(".flash, .errors").count() > 0
    found["/login (after a wrong password)"] = page.axe()
    login(page, live_server, "everyone")
    for path in _main_pages(sample):
        _check(page, path, found)
    assert page.locator("h1").count() == 1  # the 404 page was reached and rendered
    page.context.clear_cookies()
    _check(page, "/no-such-page?signed-out", found)

    report = []
    blocking = []
    for path, violations in found.items():
        named = [f"{v['impact']} {v['id']} x{len(v['nodes'])}" for v in violations]
        report.append(f"{path}: {', '.join(named) or 'no violations'}")
        serious = [v for v in violations if v["impact"] in BLOCKING]
        if serious:
            blocking.append(f"{path}\n{_describe(serious)}")
    print("\n".join(report))  # shown with -s or on failure: the moderate and minor ones left
    assert not blocking, "serious or critical accessibility violations:\n" + "\n".join(blocking)
    assert len(found) == len(_main_pages(sample)) + 4


def _focus_style(page, selector=None):
    """The outline and shadow of the focused element (or of another one)."""
    return page.evaluate(
        """selector => {
            const element = selector ? document.querySelector(selector) : document.activeElement;
            const s = getComputedStyle(element);
            return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow].join(' ');
        }""",
        selector,
    )


def _active(page):
    """Tag, name and visible text (or button value) of the focused element."""
    return page.evaluate(
        """() => {
            const e = document.activeElement;
            return [e.tagName, e.name || '', e.type === 'submit' ? e.value : e.textContent.trim()];
        }"""
    )


def test_login_by_keyboard_with_visible_focus(live_server, page):
    live_server.cli("create-user", "ana", "--role", "admin", "--password", PASSWORD)
    page.goto(live_server + "/login")
    page.keyboard.press("Tab")
    assert _active(page) == ["A", "", "Ir al contenido"]  # the skip link comes first
    assert page.locator("a.skip").is_visible()  # and shows itself when focused
    for _ in range(10):  # then on to the username field, by Tab alone
        page.keyboard.press("Tab")
        if _active(page)[1] == "username":
            break
    assert _active(page)[1] == "username"
    focused = _focus_style(page)
    assert not focused.startswith("none"), focused
    page.keyboard.type("ana")

    page.keyboard.press("Tab")
    assert _active(page)[1] == "password"
    # The username field, now without focus, looks different: focus is visible.
    assert _focus_style(page, "[name=username]") != focused
    assert _focus_style(page) == focused
    page.keyboard.type(PASSWORD)

    page.keyboard.press("Tab")
    assert _active(page)[0:2] == ["INPUT", "remember"]
    page.keyboard.press("Space")  # "remember me", ticked by keyboard
    assert page.locator("[name=remember]").is_checked()
    page.keyboard.press("Tab")
    assert _active(page)[2] == "Iniciar sesión"
    assert not _focus_style(page).startswith("none")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/login" not in page.url
    assert page.get_by_role("button", name="Cerrar sesión").is_visible()
