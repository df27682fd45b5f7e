"""The audit log: changes to people, roles and reports, visible to admins only, always escaped."""

import sqlalchemy as sa

from workshops.core import audit
from workshops.extensions import db
from workshops.people import services as people
from workshops.people.models import Community

from .conftest import TEST_PASSWORD


def test_admins_read_who_changed_what(app, login_as):
    client = login_as("admin")
    response = client.post(
        "/admin/users/new",
        data={
            "username": "nueva",
            "display_name": "Nueva",
            "password": TEST_PASSWORD,
            "confirm": TEST_PASSWORD,
            "roles": ["translator"],
            "is_enabled": "y",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        from workshops.auth.models import User

        user_id = db.session.scalar(sa.select(User.id).where(User.username == "nueva"))
        community = Community(name="Comunidad Registro", code="CRG")
        db.session.add(community)
        db.session.flush()
        household = people.create_household(community, "", None)
        audit.record(None, "note", household, text='<script>alert(1)</script>"><img onerror=x>{{ 7*7 }}')
        db.session.commit()
    response = client.post(
        f"/admin/users/{user_id}",
        data={"username": "nueva", "display_name": "Nueva", "roles": ["reviewer"], "is_enabled": "y"},
    )
    assert response.status_code == 302
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "cambió la cuenta nueva: roles Traductor → Revisor; habilitada" in page
    log = page.split("<table", 1)[1].split("</table>", 1)[0]  # the log itself, not the page around it
    assert "roles_before" not in log and "{&#34;" not in log
    assert "<script" not in log and "<img onerror" not in log
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "{{ 7*7 }}" in page
    only_users = client.get("/admin/audit?type=User").get_data(as_text=True)
    assert "cambió la cuenta nueva" in only_users and "CRG-001" not in only_users
    assert "CRG-001" in page


def test_only_admins_see_the_audit_log(login_as):
    client = login_as("coordinator")
    assert client.get("/admin/audit").status_code == 403
