"""Donor indicators (participants by sex and age group, per community and practice) and the persons behind any figure."""

from collections import Counter, defaultdict
from dataclasses import dataclass

from ..curriculum.source import PRACTICES
from .services import Period, communities, fiscal_year_bounds, reached


def crosstab(people):
    """Return {(sex, age_group): count} with totals under the key "all"."""
    cells = Counter((person.sex, person.age_group) for person in people)
    table = Counter()
    for (sex, group), number in cells.items():
        for key in ((sex, group), (sex, "all"), ("all", group), ("all", "all")):
            table[key] += number
    return table


@dataclass
class Indicators:
    fiscal_year: int
    overall: Counter  # EG.3-2: crosstab of every participant
    by_community: list  # [(community, crosstab)]
    by_practice: list  # [(practice, crosstab)]
    any_practice: Counter


def indicators(fiscal_year, community_id=None):
    start, end = fiscal_year_bounds(fiscal_year)
    people = reached(Period(start, end, community_id))
    by_community = defaultdict(list)
    for person in people:
        by_community[person.community_id].append(person)
    shown = [c for c in communities() if community_id in (None, c.id)]
    return Indicators(
        fiscal_year=fiscal_year,
        overall=crosstab(people),
        by_community=[(community, crosstab(by_community.get(community.id, []))) for community in shown],
        by_practice=[
            (practice, crosstab([p for p in people if p.has_practice(practice)])) for practice in PRACTICES
        ],
        any_practice=crosstab([p for p in people if p.practices]),
    )


def select_people(people, sex=None, age=None, practice=None, trained=None, rule=None):
    """Filter participants the way a report figure was counted."""
    chosen = []
    for person in people:
        if sex and person.sex != sex:
            continue
        if age and person.age_group != age:
            continue
        if practice == "any" and not person.practices:
            continue
        if practice and practice != "any" and not person.has_practice(practice):
            continue
        if trained and person.modules < rule["person_modules"]:
            continue
        chosen.append(person)
    return chosen


def people_rows(chosen):
    """Return the persons behind a figure (participants fetched with_names), sorted for reading."""
    names = {c.id: c.name for c in communities()}
    result = [
        {
            "id": person.person_id,
            "name": person.name,
            "household": person.household_code,
            "community": names.get(person.community_id, ""),
            "sex": person.sex,
            "birth_year": person.birth_year,
            "age_group": person.age_group,
            "first_date": person.first_date,
            "modules": person.modules,
            # "yes", "no" (marked in the lists: their data is not used beyond counting them)
            # or "anonymised" (nothing personal is left to use).
            "consent": "anonymised" if person.anonymised else "yes" if person.consent else "no",
        }
        for person in chosen
    ]
    result.sort(key=lambda row: (row["community"], row["household"], row["name"].casefold(), row["id"]))
    return result
