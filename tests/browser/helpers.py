"""Helpers the browser tests share (fixtures live in conftest.py)."""

PASSWORD = "clave segura de prueba"


def login(page, base, username):
    """Sign in through the login page as a person would."""
    page.goto(base + "/login")
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    assert "/login" not in page.url
