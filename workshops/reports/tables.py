"""Reports as tables: the same rows feed the page, the CSV and the XLSX files."""

from dataclasses import dataclass, field

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..curriculum.source import PRACTICES
from .services import AGE_GROUPS, CELL_STATES, SEXES

SEX_LABELS = {"female": _l("mujeres"), "male": _l("hombres"), "unrecorded": _l("sexo no registrado")}
AGE_LABELS = {
    "15-29": _l("15 a 29 años"),
    "30+": _l("30 años o más"),
    "under15": _l("menores de 15"),
    "unknown": _l("edad no disponible"),
}
PRACTICE_LABELS = {
    "cultural_practices": _l("Prácticas culturales"),
    "pest_disease": _l("Manejo de plagas y enfermedades"),
    "soil_fertility_conservation": _l("Fertilidad y conservación de suelos"),
    "water_management": _l("Manejo del agua"),
    "ecosystem_management": _l("Manejo de recursos naturales y ecosistemas"),
    "post_harvest": _l("Cosecha y poscosecha"),
    "organizational": _l("Organización y gestión cooperativa"),
    "financial": _l("Gestión financiera"),
}
CELL_LABELS = {
    "attended": _l("asistió"),
    "excused": _l("justificado"),
    "absent": _l("no asistió"),
    "not_held": _l("aún no realizado"),
}
# Short marks for the matrix cells; the legend explains them, and they survive black-and-white print.
CELL_MARKS = {"attended": "●", "excused": "J", "absent": "✕", "not_held": "·"}
# Every code the reports produce needs a label; checked on import (not an assert: `python -O` drops those).
for labels, codes in (
    (SEX_LABELS, SEXES),
    (AGE_LABELS, AGE_GROUPS),
    (PRACTICE_LABELS, PRACTICES),
    (CELL_LABELS, CELL_STATES),
):
    if set(labels) != set(codes):
        raise RuntimeError(f"report labels {sorted(labels)} do not match the codes {sorted(codes)}")


@dataclass
class Cell:
    """A value with, optionally, the text shown for it and the list of people behind it."""

    value: object
    text: object = None
    href: str | None = None

    @property
    def shown(self):
        return self.value if self.text is None else self.text


@dataclass
class Table:
    code: str
    title: object
    columns: list  # [(code, label)]
    rows: list = field(default_factory=list)  # [[Cell or plain value]]
    total_rows: int = 0  # rows at the end styled as totals

    def header(self, codes):
        return [code if codes else str(label) for code, label in self.columns]

    def values(self, codes):
        """Yield rows of plain values: codes as stored, or the words the page shows."""
        words = {}  # each lazy label translated once, not once per cell
        for row in self.rows:
            values = []
            for cell in row:
                if not isinstance(cell, Cell):
                    values.append(cell)
                elif codes or cell.text is None:
                    values.append(cell.value)
                else:
                    key = id(cell.text)
                    if key not in words:
                        words[key] = str(cell.text)
                    values.append(words[key])
            yield values


def people_link(filters, **extra):
    """Return the address of the list of persons behind a figure."""
    arguments = {**filters, **{key: value for key, value in extra.items() if value}}
    return url_for("reports.people", **arguments)


def summary_tables(summary, filters):
    """Return the summary's tables: communities, modules, sessions."""
    return [_communities_table(summary, filters), _modules_table(summary), _sessions_table(summary)]


def _communities_table(summary, filters) -> Table:
    """Return families and persons reached and trained per community, with a total row."""
    communities = Table(
        "communities",
        _l("Familias y personas por comunidad"),
        [
            ("community", _l("Comunidad")),
            ("households_reached", _l("Familias alcanzadas")),
            ("households_trained", _l("Familias capacitadas")),
            ("persons_reached", _l("Personas alcanzadas")),
            ("persons_trained", _l("Personas capacitadas")),
            ("women_reached", _l("Mujeres alcanzadas")),
            ("women_share", _l("Proporción de mujeres (GNDR-2)")),
        ],
    )

    def row(name, figures, community_id):
        scope = {**filters, "community": community_id} if community_id else filters
        return [
            name,
            figures.households_reached,
            figures.households_trained,
            Cell(figures.persons_reached, href=people_link(scope)),
            Cell(figures.persons_trained, href=people_link(scope, trained=1)),
            Cell(figures.women_reached, href=people_link(scope, sex="female")),
            Cell(round(figures.women_share, 3) if figures.women_share is not None else None),
        ]

    for community, figures in summary.by_community:
        communities.rows.append(row(community.name, figures, community.id))
    communities.rows.append(row(str(_l("Total")), summary.total, filters.get("community")))
    communities.total_rows = 1
    return communities


def _modules_table(summary) -> Table:
    """Return sessions held, attendances and persons by sex per module."""
    modules = Table(
        "modules",
        _l("Asistencia por módulo"),
        [
            ("module", _l("Módulo")),
            ("title", _l("Título")),
            ("sessions_held", _l("Sesiones realizadas")),
            ("attendances", _l("Asistencias")),
            ("excused", _l("Justificados")),
            ("absent", _l("Ausentes")),
            ("persons", _l("Personas que asistieron")),
            ("female", _l("Mujeres")),
            ("male", _l("Hombres")),
            ("unrecorded", _l("Sexo no registrado")),
        ],
    )
    for entry in summary.by_module:
        modules.rows.append(
            [
                entry["module"].number,
                entry["module"].title,
                entry["sessions"],
                entry["attended"],
                entry["excused"],
                entry["absent"],
                entry["persons"],
                entry["female"],
                entry["male"],
                entry["unrecorded"],
            ]
        )
    return modules


def _sessions_table(summary) -> Table:
    """Return the attendance counts of every session, each linked to its session page."""
    sessions = Table(
        "sessions",
        _l("Asistencia por sesión"),
        [
            ("session_id", _l("Sesión")),
            ("date", _l("Fecha")),
            ("community", _l("Comunidad")),
            ("module", _l("Módulo")),
            ("present", _l("Presentes")),
            ("late", _l("Tarde")),
            ("excused", _l("Justificados")),
            ("absent", _l("Ausentes")),
        ],
    )
    # One url_for, then plain formatting: the table can hold thousands of sessions.
    session_url = url_for("sessions.show", session_id=0).removesuffix("0") + "%d"
    for entry in summary.sessions:
        sessions.rows.append(
            [
                Cell(entry["id"], href=session_url % entry["id"]),
                entry["date"],
                entry["community"],
                entry["module"],
                entry["present"],
                entry["late"],
                entry["excused"],
                entry["absent"],
            ]
        )
    return sessions


CONSENT_LABELS = {
    "yes": _l("sí"),
    "no": _l("sin consentimiento"),
    "anonymised": _l("anonimizada"),
}


def people_table(rows):
    table = Table(
        "people",
        _l("Personas"),
        [
            ("person_id", _l("N.º")),
            ("name", _l("Nombre")),
            ("household", _l("Familia")),
            ("community", _l("Comunidad")),
            ("sex", _l("Sexo")),
            ("birth_year", _l("Año de nacimiento")),
            ("age_group", _l("Edad")),
            ("first_session", _l("Primera sesión")),
            ("modules", _l("Módulos asistidos")),
            ("consent", _l("Consentimiento")),
        ],
    )
    for row in rows:
        table.rows.append(
            [
                # Identifiers and years are labels, not quantities: shown without a thousands separator.
                Cell(row["id"], str(row["id"]), href=url_for("people.person", person_id=row["id"])),
                row["name"],
                row["household"],
                row["community"],
                Cell(row["sex"], SEX_LABELS[row["sex"]]),
                Cell(row["birth_year"], str(row["birth_year"]) if row["birth_year"] else None),
                Cell(row["age_group"], AGE_LABELS[row["age_group"]]),
                row["first_date"],
                row["modules"],
                Cell(row["consent"], CONSENT_LABELS[row["consent"]]),
            ]
        )
    return table


def matrix_table(rows, numbers, walk_ins=()):
    """The completion matrix flattened: one line per household, then one per member; walk-ins last."""
    table = Table(
        "matrix",
        _l("Matriz de avance"),
        [
            ("household", _l("Familia")),
            ("person", _l("Persona")),
            *((f"module_{number}", _l("Módulo %(number)s", number=number)) for number in numbers),
            ("completed", _l("Módulos completados")),
            ("trained", _l("Capacitado")),
        ],
    )
    # One cell per person and module: translate each label once, not per cell (a community is 100,000 cells).
    cell_of = {state: Cell(state, str(label)) for state, label in CELL_LABELS.items()}
    trained_cells = {True: Cell(1, _("sí")), False: Cell(0, _("no"))}
    for row in rows:
        table.rows.append(
            [
                row.household.code,
                "",
                *(cell_of[row.cells[n]] for n in numbers),
                row.completed,
                trained_cells[bool(row.trained)],
            ]
        )
        for person, cells, completed, trained in row.persons:
            table.rows.append(
                [
                    row.household.code,
                    person.full_name,
                    *(cell_of[cells[n]] for n in numbers),
                    completed,
                    trained_cells[bool(trained)],
                ]
            )
    for person, cells, completed, trained in walk_ins:  # no household: counted where they attended
        table.rows.append(
            [
                "",
                person.full_name,
                *(cell_of[cells[n]] for n in numbers),
                completed,
                trained_cells[bool(trained)],
            ]
        )
    return table
