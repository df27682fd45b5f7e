"""`flask ...` commands: init, create-user, demo, curriculum check; backup and restore live in core/cli.py."""

import sys

import click
from flask.cli import AppGroup, with_appcontext
from flask_babel import force_locale

from .auth.models import ROLES


@click.command("init")
@with_appcontext
def init_command():
    """Create or upgrade the database and load the curriculum (like the first start)."""
    from .setup import initialize_database

    changed = initialize_database()
    click.echo(f"Database ready; {changed} curriculum module(s) loaded or updated.")


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--name", "display_name", help="Full name (defaults to the username).")
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLES), help="Role; repeat for several.")
@click.option("--password", envvar="WORKSHOPS_NEW_PASSWORD", help="Password; prompted for when not given.")
def create_user_command(username, display_name, roles, password):
    """Create a user account."""
    from .auth import services
    from .core.access import SETUP_DONE_KEY
    from .core.models import AppState
    from .extensions import db

    if not password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with force_locale("es"):
            services.create_user(username, display_name or username, password, roles)
    except services.DuplicateUsername:
        raise click.ClickException(f"The username '{username}' is taken.") from None
    except services.WeakPassword as refused:
        # The rule's own message (in Spanish, like the web forms): one rule, one wording.
        raise click.ClickException(str(refused)) from None
    if "admin" in roles and db.session.get(AppState, SETUP_DONE_KEY) is None:
        db.session.add(AppState(key=SETUP_DONE_KEY, value="1"))
    db.session.commit()
    click.echo(f"User '{username}' created with roles: {', '.join(roles) or 'none'}.")


curriculum_cli = AppGroup("curriculum", help="Work with the curriculum source files.")


@curriculum_cli.command("check")
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False))
def curriculum_check(directory):
    """Validate the module files; report errors with file and line."""
    from .curriculum.source import CurriculumError, load_curriculum

    try:
        modules = load_curriculum(directory)
    except CurriculumError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(1)
    for module in modules:
        segments = sum(1 for _ in module.segments())
        click.echo(
            f"{module.number:2d} {module.slug}: {len(module.sections)} sections, "
            f"{segments} segments, {len(module.key_terms)} key terms"
        )
    click.echo(f"OK: {len(modules)} modules.")


@click.command("demo")
@with_appcontext
def demo_command():
    """Load a clearly fictitious demo program (5 communities, 80 households, 60 sessions, a facilitator)."""
    from . import demo
    from .extensions import db

    result = demo.load()
    if result is None:
        click.echo("The demo data is loaded already.")
        return
    db.session.commit()
    click.echo(
        f"Demo loaded: {result['communities']} communities, {result['households']} households, "
        f"{result['adults']} people aged 15 or more, {result['sessions']} sessions "
        f"({result['upcoming']} of them upcoming, {result['cancelled']} cancelled), "
        f"{result['records']} attendance records."
    )
    if result["password"]:
        click.echo(
            f"Every session is assigned to the demo facilitator: user '{result['facilitator']}', "
            f"password '{result['password']}' (shown once; an administrator can reset it)."
        )
    else:
        click.echo(f"Every session is assigned to the existing account '{result['facilitator']}'.")


def register_commands(app):
    app.cli.add_command(init_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(curriculum_cli)
    from .core.cli import backup_command, imports_command, restore_command

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(imports_command)
    from .translate.cli import translate_cli

    app.cli.add_command(translate_cli)
    from .materials.cli import materials_cli

    app.cli.add_command(materials_cli)
