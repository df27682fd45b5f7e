"""The PDF cache: one file per content key, written whole, pruned by age and size."""

import os
import tempfile
import time
from pathlib import Path

from flask import current_app

from . import services
from .keys import Stamp
from .render import pdf_bytes

DEFAULT_MAX_AGE_DAYS = 30
DEFAULT_MAX_MEGABYTES = 500


def cache_dir() -> Path:
    """Return the cache folder of this instance, created private like the rest of the instance."""
    path = Path(current_app.instance_path) / "pdf-cache"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def cached(key: str) -> Path | None:
    """Return the cached file of a key, or None."""
    path = cache_dir() / f"{key}.pdf"
    try:
        os.utime(path)  # a download counts as a use: pruning removes the least recently used
    except OSError:
        return None  # not there (or pruned by another process just now)
    return path


def store(key: str, data: bytes) -> Path:
    """Write a PDF under its key atomically (readers never see half a file) and prune the cache."""
    target = cache_dir() / f"{key}.pdf"
    fd, temporary = tempfile.mkstemp(dir=target.parent, suffix=".tmp")  # 0600, kept by os.replace
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(temporary, target)
    prune()
    return target


def prune(now: float | None = None) -> int:
    """Delete files older than the age limit, then the least recently used past the size limit."""
    config = current_app.config
    max_age = float(config.get("PDF_CACHE_MAX_AGE_DAYS", DEFAULT_MAX_AGE_DAYS)) * 86400
    max_bytes = float(config.get("PDF_CACHE_MAX_MEGABYTES", DEFAULT_MAX_MEGABYTES)) * 1024 * 1024
    now = time.time() if now is None else now
    files = []
    for path in cache_dir().glob("*.pdf"):
        try:
            stat = path.stat()
        except OSError:
            continue  # removed by another process
        files.append((stat.st_mtime, stat.st_size, path))
    files.sort()  # oldest use first
    removed, total = 0, sum(size for _mtime, size, _path in files)
    for mtime, size, path in files:
        if now - mtime <= max_age and total <= max_bytes:
            break
        path.unlink(missing_ok=True)
        removed, total = removed + 1, total - size
    return removed


def document_pdf(options: services.Options, stamp: Stamp) -> Path:
    """Return the path of a document's PDF, rendering it on a cache miss; raise RenderError."""
    path = cached(stamp.key)
    if path is None:
        path = store(stamp.key, pdf_bytes(options))
    return path
