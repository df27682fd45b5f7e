"""The offline round trip: download a stamped .po, upload it back with a report."""

from . import catalogs, merge


def download(language_code, domain, module=None):
    """Return (file name, .po text) of a catalog or one module, stamped with the store revision."""
    po = catalogs.build_po(domain, language_code)
    if module:
        kept = [entry for entry in po if entry.msgctxt and entry.msgctxt.startswith(module + ".")]
        po[:] = kept
    revision = po.metadata["X-Catalog-Revision"]
    name = f"{domain}-{language_code}{'-' + module if module else ''}-r{revision}.po"
    return name, str(po)


def upload(data, language, domain, user, filename="upload.po", dry_run=False):
    """Merge an edited .po by the one set of import rules (merge.py); return its MergeReport.

    Raises catalog_import.CatalogError (nothing changes) when the file is not a
    catalog of this language. The caller commits.
    """
    return merge.import_file(
        data, domain, language.code, filename=filename, user=user, dry_run=dry_run, origin="upload"
    )
