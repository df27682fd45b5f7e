"""Which new passwords are refused: too short, among the most common, or holding the username.

One rule for every place a password is set (first administrator, an
administrator's new user or reset, one's own change, `flask create-user`):
the forms show its message on the field, and services refuse it again.
"""

import gzip
from functools import cache

from flask import current_app
from flask_babel import gettext as _

from ..core.paths import PACKAGE_DIR

# Django's list of 19,640 common passwords (BSD-3); data/README.md says where from.
COMMON_PASSWORDS_FILE = PACKAGE_DIR / "auth" / "data" / "common-passwords.txt.gz"

# A one- or two-letter username ("jo") turns up inside many good passphrases.
SHORTEST_USERNAME_CHECKED = 3


@cache
def common_passwords() -> frozenset[str]:
    """Return the common passwords, lower-cased (read once per process)."""
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(stripped for line in lines if (stripped := line.strip()))


def problem(password: str, username: str = "") -> str | None:
    """Say why this password may not be used by this username, or return None when it may."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        return _("La contraseña necesita al menos %(count)s caracteres.", count=minimum)
    # Compared as Django compares it: a common password in capitals or with spaces around is no better.
    if password.strip().lower() in common_passwords():
        return _(
            "Esta contraseña está entre las más usadas y se adivina en pocos intentos. "
            "Elija otra, por ejemplo una frase de varias palabras."
        )
    name = username.strip().casefold()
    if len(name) >= SHORTEST_USERNAME_CHECKED and name in password.casefold():
        return _(
            "La contraseña no puede contener el nombre de usuario: es lo primero que alguien "
            "probaría. Elija otra."
        )
    return None
