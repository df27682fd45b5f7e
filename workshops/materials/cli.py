"""`flask materials build`: every document of a language pair into a folder, before a trip."""

import shutil
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from ..curriculum.models import Module
from ..extensions import db
from . import keys, pdfcache, services

materials_cli = AppGroup("materials", help="Printable materials.")


@materials_cli.command("build")
@click.option(
    "--to", "directory", required=True, type=click.Path(file_okay=False), help="Folder for the PDFs."
)
@click.option("--first", default="agr", show_default=True, help="Language printed first (or alone).")
@click.option("--layout", type=click.Choice(services.LAYOUTS), default="side", show_default=True)
@click.option("--paper", type=click.Choice(services.PAPERS), default="A4", show_default=True)
@click.option("--size", type=click.Choice(services.SIZES), default="normal", show_default=True)
@click.option("--only", "only", multiple=True, help="Only these modules (slug; repeat), without the book.")
def build_command(directory, first, layout, paper, size, only):
    """Render the handouts and guides of all 12 modules, the book and the key terms."""
    from ..i18n import languages

    if first not in languages():
        raise click.ClickException(f"unknown language '{first}'")
    second = "es" if first != "es" else next((c for c in languages() if c != "es"), "es")
    slugs = db.session.scalars(select(Module.slug).order_by(Module.number)).all()
    unknown = set(only) - set(slugs)
    if unknown:
        raise click.ClickException(f"unknown module: {', '.join(sorted(unknown))}")
    chosen = [slug for slug in slugs if not only or slug in only]
    jobs = [(kind, slug) for slug in chosen for kind in ("handout", "guide")]
    if not only:
        jobs += [("book", None), ("terms", None)]
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    with click.progressbar(
        jobs, label="Rendering", item_show_func=lambda job: job and (job[1] or job[0])
    ) as bar:
        for kind, slug in bar:
            options = services.Options(kind, slug, layout, first, second, paper, size)
            with current_app.test_request_context("/"):
                from flask import g

                g.language = languages()[first]
                stamp = keys.document_stamp(options, services.render_version(options))
                path = pdfcache.document_pdf(options, stamp)
            shutil.copyfile(path, target / services.file_name(options, stamp))
    click.echo(f"{len(jobs)} PDFs in {target}")


@materials_cli.command("work")
def work_command():
    """Build the queued PDFs (the book) now, in this process, until none is left."""
    from . import jobs

    done = jobs.work(current_app._get_current_object())
    click.echo(f"{done} PDFs built")
