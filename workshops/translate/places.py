"""Where an interface string appears, for a person: the pages (and links) behind a code reference.

An extracted reference says "workshops/auth/admin_routes.py:49" or
"workshops/templates/people/list.html"; a translator needs "Usuarios
(administración), /admin/users". The map from files to pages is read once per
process from the app's routes: a Python line belongs to the view whose source
holds it, a template to the views that render it; the layout is on every page.
"""

import inspect
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

# i18n: The part of the application a page belongs to, shown to translators beside its address.
AREAS = {
    "admin": _l("Administración"),
    "auth": _l("Cuenta"),
    "curriculum": _l("Currículo"),
    "field": _l("Modo de campo"),
    "glossary": _l("Glosario"),
    "language": _l("Idiomas"),
    "materials": _l("Impresión"),
    "memory": _l("Memoria de traducción"),
    "offline": _l("Traducción sin conexión"),
    "people": _l("Registro de familias"),
    "reports": _l("Informes"),
    "review": _l("Revisión de hojas"),
    "sessions": _l("Sesiones"),
    "workspace": _l("Traducción"),
}
LAYOUT = ("base.html", "_site_header.html", "_form.html", "_macros.html")
RENDERS = re.compile(r"""render_template\(\s*["']([^"']+)["']""")


@dataclass(frozen=True)
class Place:
    area: str
    path: str  # the page's address, with <parts> where it takes values
    url: str | None  # a link when the address needs no values
    everywhere: bool = False


_maps: dict[int, tuple[dict, dict]] = {}
_lock = threading.Lock()


def _views():
    """Yield (endpoint, rule, source file, first line, last line, source) of every page."""
    rules = {}
    for rule in current_app.url_map.iter_rules():
        rules.setdefault(rule.endpoint, rule)
    for endpoint, view in current_app.view_functions.items():
        if endpoint == "static" or endpoint not in rules:
            continue
        function = inspect.unwrap(view)
        try:
            lines, first = inspect.getsourcelines(function)
            path = Path(inspect.getsourcefile(function) or "").resolve()
        except (OSError, TypeError):
            continue
        yield endpoint, rules[endpoint], path, first, first + len(lines) - 1, "".join(lines)


def _build():
    """Return ({(file, first, last): [place]}, {template: [place]}) for the current app."""
    by_code, by_template = {}, {}
    for endpoint, rule, path, first, last, source in _views():
        area = AREAS.get(endpoint.split(".")[0], endpoint.split(".")[0])
        url = None if rule.arguments else rule.rule
        place = Place(str(area), rule.rule, url)
        by_code.setdefault((path, first, last), []).append(place)
        for template in RENDERS.findall(source):
            by_template.setdefault(template, []).append(place)
    return by_code, by_template


def _maps_for_app():
    key = id(current_app._get_current_object())
    if key not in _maps:
        built = _build()
        with _lock:
            _maps[key] = built
    return _maps[key]


def places(references):
    """Return the pages where strings with these references appear (at most 8, links first)."""
    by_code, by_template = _maps_for_app()
    package = Path(current_app.root_path).resolve()
    found = []
    for reference in references:
        file_part, _, line_part = reference.partition(":")
        if "/templates/" in file_part:
            name = file_part.split("/templates/", 1)[1]
            if name in LAYOUT:
                return [Place(str(_l("Todas las páginas")), "", None, everywhere=True)]
            found.extend(by_template.get(name, []))
        elif line_part.isdigit():
            path = (package.parent / file_part).resolve()
            line = int(line_part)
            for (view_path, first, last), view_places in by_code.items():
                if view_path == path and first <= line <= last:
                    found.extend(view_places)
    unique = list(dict.fromkeys(found))
    unique.sort(key=lambda place: place.url is None)
    return unique[:8]
