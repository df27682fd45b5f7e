"""`flask translate ...`: extract, update, export, import, compile, stats."""

import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..auth.models import User
from ..catalog import store
from ..catalog.models import DOMAINS
from ..extensions import db
from ..languages import all_languages, get_language
from . import catalog_import, catalogs, merge, services

translate_cli = AppGroup("translate", help="Work with the translation catalogs.")


@translate_cli.command("extract")
def extract_command():
    """Write translations/messages.pot and translations/curriculum.pot."""
    for domain, count in services.write_templates().items():
        click.echo(f"{domain}.pot: {count} entries")


@translate_cli.command("update")
def update_command():
    """Merge the .pot templates into the store and write every .po back."""
    results = services.update_from_templates()
    db.session.commit()
    services.export_all()  # after the commit: the files never get ahead of the database
    for domain, (added, changed, obsoleted) in results.items():
        click.echo(f"{domain}: {added} new, {changed} changed (fuzzy), {obsoleted} obsolete")


@translate_cli.command("export")
@click.option("--to", "directory", type=click.Path(file_okay=False), help="Folder instead of translations/.")
def export_command(directory):
    """Write the store's catalogs as .po files (atomically)."""
    for path in services.export_all(directory):
        click.echo(str(path))


@translate_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--language", "language_code", help="Language code; by default read from the path.")
@click.option("--domain", type=click.Choice(DOMAINS), help="Domain; by default the file name.")
@click.option("--dry-run", is_flag=True, help="Print what would change and change nothing.")
@click.option("--author", "author_name", help="Username credited with the imported texts.")
def import_command(path, language_code, domain, dry_run, author_name):
    """Merge a .po file into the store by the upload's rules; nothing changes if the file has a problem.

    Only texts that differ from the store are applied; an empty msgstr never
    erases; a text that fails a blocking check is refused; a text the store
    changed after the file's revision stamp becomes a conflict suggestion.
    """
    path = Path(path)
    domain = domain or path.stem
    if domain not in DOMAINS:
        raise click.ClickException(f"{path}: cannot tell the domain; use --domain")
    if not language_code:
        language_code = path.parent.parent.name if path.parent.name == "LC_MESSAGES" else ""
    if get_language(language_code) is None:
        raise click.ClickException(f"{path}: unknown language '{language_code}'; use --language")
    author = _author(author_name)
    try:
        report = merge.import_file(
            path.read_bytes(), domain, language_code, filename=path, user=author, dry_run=dry_run
        )
        db.session.commit()
    except catalog_import.CatalogError as error:
        db.session.rollback()
        for line, message in error.problems:
            click.echo(f"{path}:{line}: {message}", err=True)
        click.echo("Nothing was imported.", err=True)
        sys.exit(1)
    except Exception as error:
        db.session.rollback()
        raise click.ClickException(
            f"{path}: the import failed ({type(error).__name__}: {error}). Nothing was imported."
        ) from error
    _print_report(path, report)


def _author(username):
    """Return the user named on the command line, or None (the texts are then credited to nobody)."""
    if not username:
        return None
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user '{username}'")
    return user


def _print_report(path, report):
    """Print what an import did (or would do), entry by entry where it matters, then per state."""
    for line, msgid, reason in report.rejected:
        click.echo(f"{path}:{line}: refused {msgid[:60]!r}: {reason}", err=True)
    for msgid, server, mine in report.conflicts:
        click.echo(f"conflict {msgid[:60]!r}: store {server!r}, file {mine!r} (kept as a suggestion)")
    applied = ", ".join(f"{count} {state}" for state, count in sorted(report.applied_states.items()))
    click.echo(
        f"{path}: {len(report.applied)} applied ({applied or 'none'}), {report.unchanged} unchanged, "
        f"{report.empty} empty (kept), {len(report.suggested)} suggested, {len(report.conflicts)} conflicts, "
        f"{len(report.rejected)} refused, {len(report.unknown)} not in the catalog (ignored)"
    )
    states = ("approved", "translated", "fuzzy", "untranslated")
    click.echo(
        "by state: "
        + ", ".join(f"{state} {report.before[state]} -> {report.after[state]}" for state in states)
    )
    if report.dry_run:
        click.echo("Dry run: nothing was changed.")
    for msgid in report.unknown[: catalog_import.SHOWN_ENTRIES]:
        click.echo(f"  not in the catalog: {msgid[:80]!r}", err=True)
    if len(report.unknown) > catalog_import.SHOWN_ENTRIES:
        click.echo(f"  and {len(report.unknown) - catalog_import.SHOWN_ENTRIES} more", err=True)


@translate_cli.command("compile")
def compile_command():
    """Write .mo files next to the .po files (for tools that want them)."""
    for language in all_languages():
        for domain in DOMAINS:
            po = catalogs.build_po(domain, language.code)
            target = catalogs.catalog_path(language.code, domain).with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            po.save_as_mofile(str(target))
            click.echo(str(target))


@translate_cli.command("stats")
def stats_command():
    """Count entries per domain and language by state."""
    click.echo(
        f"{'domain':<11} {'lang':<5} {'total':>6} {'transl.':>8} {'approved':>8} {'fuzzy':>6} {'untransl.':>9}"
    )
    for domain in DOMAINS:
        for language in all_languages():
            counts = store.statistics(domain, language.code)
            if language.is_source:
                counts = {**counts, "translated": counts["total"], "untranslated": 0}
            click.echo(
                f"{domain:<11} {language.code:<5} {counts['total']:>6} {counts['translated']:>8} "
                f"{counts['approved']:>8} {counts['fuzzy']:>6} {counts['untranslated']:>9}"
            )
