"""`flask init` and `flask create-user`."""

import sqlalchemy as sa

from workshops.auth.models import User
from workshops.core.models import AppState
from workshops.extensions import db


def test_init_is_idempotent(runner):
    result = runner.invoke(args=["init"])
    assert result.exit_code == 0, result.output
    assert "0 curriculum module(s)" in result.output


def test_create_user_with_roles(runner, app):
    result = runner.invoke(
        args=[
            "create-user",
            "Lucia",
            "--name",
            "Lucía",
            "--role",
            "admin",
            "--role",
            "reviewer",
            "--password",
            "x" * 12,
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "lucia"))
        assert user.roles == {"admin", "reviewer"} and user.display_name == "Lucía"
        # An admin made on the command line ends the first-run setup.
        assert db.session.get(AppState, "setup_done") is not None


def test_create_user_refuses_duplicates_and_short_passwords(runner, make_user):
    make_user("lucia")
    duplicate = runner.invoke(args=["create-user", "lucia", "--password", "x" * 12])
    assert duplicate.exit_code != 0 and "taken" in duplicate.output
    short = runner.invoke(args=["create-user", "pablo", "--password", "short"])
    assert short.exit_code != 0 and "at least" in short.output
