"""`flask backup` and `flask restore`: the SQLite database (signed sheets included) in one archive."""

import click
from flask import current_app
from flask.cli import with_appcontext

from . import backup as backups
from . import restore as restoring


def pg_dump_hint(url, uploads):
    """Tell a PostgreSQL operator what to run instead (no password is shown)."""
    options = [f"-h {url.host}" if url.host else "", f"-p {url.port}" if url.port else ""]
    options += [f"-U {url.username}" if url.username else ""]
    connection = " ".join(option for option in options if option)
    name = url.database or "workshops"
    hint = (
        "The database is PostgreSQL: `flask backup` and `flask restore` handle SQLite only.\n"
        "Back it up with pg_dump, for example:\n"
        f"    pg_dump {connection} --format=custom --file=workshops-$(date +%Y%m%d-%H%M%S).dump {name}\n"
        f"and restore it with pg_restore (pg_restore {connection} --clean --if-exists -d {name} FILE.dump).\n"
        "The signed sheets are in the database: the dump is the whole backup."
    )
    if uploads.is_dir():
        hint += (
            f"\n{uploads} still holds files that are not in the database yet "
            "(see the log of the last start): copy that folder along with the dump."
        )
    return hint


def _refuse_other_databases(error):
    if isinstance(error, backups.NotSQLite) and error.url.get_backend_name() == "postgresql":
        raise click.ClickException(pg_dump_hint(error.url, backups.uploads_path(current_app)))
    raise click.ClickException(str(error))


@click.command("backup")
@click.argument("destination", required=False, type=click.Path(file_okay=False, writable=True))
@with_appcontext
def backup_command(destination):
    """Back up the SQLite database, signed sheets included, into DESTINATION (default instance/backups).

    Safe while the app runs. Writes one archive workshops-YYYYMMDD-HHMMSS.tar.gz (UTC).
    """
    try:
        path, manifest = backups.create_backup(current_app, destination)
    except backups.BackupError as error:
        _refuse_other_databases(error)
    leftovers = len(manifest["files"]) - 1
    click.echo(f"Backup written: {path}")
    click.echo(f"  database at schema {manifest['schema_revision']} (signed sheets included)")
    if leftovers:
        click.echo(
            f"  and {leftovers} file(s) from {backups.uploads_path(current_app)} not in the database yet"
        )
    if manifest["missing_uploads"]:
        click.echo(
            f"Warning: {len(manifest['missing_uploads'])} signed sheet(s) are neither in the database "
            f"nor in {backups.uploads_path(current_app)}: {', '.join(manifest['missing_uploads'])}",
            err=True,
        )


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--no-backup-first",
    is_flag=True,
    help="Do not back up the current database and uploads before replacing them.",
)
@click.option(
    "--allow-unsigned",
    is_flag=True,
    help="Restore an archive whose signature is missing or does not verify (one you trust).",
)
@with_appcontext
def restore_command(path, yes, no_backup_first, allow_unsigned):
    """Replace the database and the uploads with the backup archive PATH.

    The archive is checked completely first; nothing changes if it is not a
    valid backup, or if its signature (made with instance/backup_key) does not
    verify, unless --allow-unsigned. Unless --no-backup-first, the current state
    is backed up into instance/backups before it is replaced. Stop the app while restoring.
    """
    try:
        with restoring.open_backup(current_app, path, allow_unsigned=allow_unsigned) as opened:
            manifest = opened.manifest
            if opened.signature != "valid":
                click.echo(
                    f"Warning: {restoring.SIGNATURE_PROBLEMS[opened.signature]}. "
                    "Restoring it anyway, as --allow-unsigned asks.",
                    err=True,
                )
            target = backups.database_path(current_app)
            click.echo(
                f"Backup of {manifest['created_at']}: schema {manifest['schema_revision']}, "
                f"{opened.upload_count} file(s) in uploads/ (moved into the database at the next start)."
            )
            if not yes:
                click.confirm(
                    f"Replace the database {target} and the uploads folder with this backup?", abort=True
                )
            # An empty file is no database yet (create_app makes it empty, to make it private).
            if not no_backup_first and target.is_file() and target.stat().st_size > 0:
                try:
                    saved, _ = backups.create_backup(current_app, label="-before-restore")
                except backups.BackupError as error:
                    raise click.ClickException(
                        f"Could not back up the current state first ({error}); nothing was changed. "
                        "Use --no-backup-first to restore anyway."
                    ) from None
                click.echo(f"The current state was saved to {saved}")
            damaged = restoring.restore(current_app, opened)
    except backups.BackupError as error:
        _refuse_other_databases(error)
    click.echo(f"Restored {path}.")
    if damaged:
        click.echo(f"The database SQLite could not read was kept as {damaged}")
    if not restoring.is_current_schema(manifest["schema_revision"]):
        click.echo(
            "The backup's schema is older than this version: starting the app (or "
            "`flask --app workshops db upgrade`) brings it up to date."
        )


@click.group("imports")
def imports_command():
    """Large imports queued in the background."""


@imports_command.command("work")
@with_appcontext
def work_imports_command():
    """Run the queued large imports (CSV, .po uploads) now, in this process, until none is left."""
    from . import jobs

    done = jobs.work_imports(current_app._get_current_object())
    click.echo(f"{done} imports run")
