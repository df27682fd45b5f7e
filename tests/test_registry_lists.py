"""Registry lists are paged and searchable: no list page grows with the program."""

import re
from datetime import date

import sqlalchemy as sa

from workshops.extensions import db
from workshops.people import partners as partner_pages
from workshops.people import routes as people_routes
from workshops.people import services as people
from workshops.people.models import Community, Partnership


def _community_with_households(app, count):
    with app.app_context():
        community = Community(name="Grande", code="GRA")
        db.session.add(community)
        db.session.flush()
        for index in range(count):
            household = people.create_household(community, "", None)
            people.add_person(
                household,
                {
                    "given_names": "Sara" if index == 77 else f"Persona{index}",
                    "family_names": "Ñuñez Tsamajáin",
                },
                None,
            )
        db.session.commit()
        return community.id


def _rows(page):
    return re.findall(r'<tr><td><a href="/people/households/\d+">', page)


def test_the_community_page_shows_one_page_of_households_and_the_pager(login_as, app, monkeypatch):
    monkeypatch.setattr(people_routes, "HOUSEHOLDS_PER_PAGE", 10)
    community_id = _community_with_households(app, 25)
    client = login_as("coordinator")
    first = client.get(f"/people/communities/{community_id}").get_data(as_text=True)
    assert len(_rows(first)) == 10 and "25 familias" in first
    assert "Página 1 de 3" in first and f"/people/communities/{community_id}?page=2" in first
    last = client.get(f"/people/communities/{community_id}?page=3").get_data(as_text=True)
    assert len(_rows(last)) == 5 and "GRA-025" in last and "GRA-001" not in last
    beyond = client.get(f"/people/communities/{community_id}?page=99")
    assert beyond.status_code == 200 and not _rows(beyond.get_data(as_text=True))
    assert client.get(f"/people/communities/{community_id}?page=abc").status_code == 200


def test_the_community_page_finds_a_household_by_a_members_name_ignoring_accents(login_as, app, monkeypatch):
    monkeypatch.setattr(people_routes, "HOUSEHOLDS_PER_PAGE", 10)
    community_id = _community_with_households(app, 100)
    client = login_as("coordinator")
    found = client.get(f"/people/communities/{community_id}?q=SÁRA").get_data(as_text=True)
    assert _rows(found) and "GRA-078" in found and "1 familia" in found
    by_code = client.get(f"/people/communities/{community_id}?q=gra-09").get_data(as_text=True)
    assert len(_rows(by_code)) == 10  # GRA-090 to GRA-099
    wildcard = client.get(f"/people/communities/{community_id}?q=%25").get_data(as_text=True)
    assert not _rows(wildcard) and "Ninguna familia coincide" in wildcard
    # The pager keeps the search.
    many = client.get(f"/people/communities/{community_id}?q=persona").get_data(as_text=True)
    assert f"/people/communities/{community_id}?page=2&amp;q=persona" in many


def test_partner_totals_count_every_membership_not_only_the_page(login_as, app, program, monkeypatch):
    monkeypatch.setattr(partner_pages, "PARTNERS_PER_PAGE", 1)
    with app.app_context():
        head, child, other_head, other_child = program["people"]
        db.session.add_all(
            [
                Partnership(
                    person_id=head, spouse_id=child, joined_on=date(2026, 1, 10)
                ),  # a female holder and a male spouse
                Partnership(person_id=other_head, joined_on=date(2026, 2, 10)),  # a woman alone
            ]
        )
        db.session.commit()
        memberships = db.session.scalar(sa.select(sa.func.count()).select_from(Partnership))
    client = login_as("coordinator")
    page = client.get("/people/partners").get_data(as_text=True)
    assert memberships == 2
    assert "2 membresías, 3 personas, 2 mujeres." in page
    assert "Página 1 de 2" in page
