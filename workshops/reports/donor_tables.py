"""The donor indicators as tables: EG.3-2 by sex and age, by community, and by practice type."""

from flask_babel import lazy_gettext as _l

from .services import AGE_GROUPS, SEXES
from .tables import AGE_LABELS, PRACTICE_LABELS, SEX_LABELS, Cell, Table, people_link


def _crosstab_cells(table, filters, **scope):
    """Total, by sex and by age group: the disaggregation donors ask for."""
    cells = [Cell(table["all", "all"], href=people_link(filters, **scope))]
    cells += [Cell(table[sex, "all"], href=people_link(filters, sex=sex, **scope)) for sex in SEXES]
    cells += [
        Cell(table["all", group], href=people_link(filters, age=group, **scope)) for group in AGE_GROUPS
    ]
    return cells


def _crosstab_columns(first):
    return [
        first,
        ("total", _l("Total")),
        *((sex, SEX_LABELS[sex]) for sex in SEXES),
        *((f"age_{group}", AGE_LABELS[group]) for group in AGE_GROUPS),
    ]


def indicator_tables(result, filters):
    """Return EG.3-2 by sex and age, by community, and persons trained by practice type."""
    overall = Table(
        "eg32",
        _l("EG.3-2: personas que participaron, por sexo y edad"),
        [("age_group", _l("Edad")), *((sex, SEX_LABELS[sex]) for sex in SEXES), ("total", _l("Total"))],
    )
    for group in (*AGE_GROUPS, "all"):
        label = AGE_LABELS.get(group) or _l("Total")
        overall.rows.append(
            [
                Cell(group, label),
                *(
                    Cell(
                        result.overall[sex, group],
                        href=people_link(filters, sex=sex, age=group if group != "all" else None),
                    )
                    for sex in SEXES
                ),
                Cell(
                    result.overall["all", group],
                    href=people_link(filters, age=group if group != "all" else None),
                ),
            ]
        )
    overall.total_rows = 1

    by_community = Table(
        "eg32_communities",
        _l("EG.3-2 por comunidad"),
        _crosstab_columns(("community", _l("Comunidad"))),
    )
    for community, table in result.by_community:
        by_community.rows.append(
            [community.name, *_crosstab_cells(table, {**filters, "community": community.id})]
        )

    practices = Table(
        "practices",
        _l("Personas capacitadas por tipo de práctica (cada persona una vez por tipo)"),
        _crosstab_columns(("practice", _l("Tipo de práctica"))),
    )
    for practice, table in result.by_practice:
        practices.rows.append(
            [Cell(practice, PRACTICE_LABELS[practice]), *_crosstab_cells(table, filters, practice=practice)]
        )
    practices.rows.append(
        [
            Cell("any", _l("Cualquier tipo (cada persona una vez)")),
            *_crosstab_cells(result.any_practice, filters, practice="any"),
        ]
    )
    practices.total_rows = 1
    return [overall, by_community, practices]
