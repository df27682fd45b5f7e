"""Start-up: bring the database up to date, load the curriculum and catalogs, move in old uploads.

It sits above every feature (it knows the curriculum and the translation store),
beside create_app; core/services.py keeps only the lock and the engine settings.
"""

from flask_migrate import upgrade

from .attendance.uploads import move_files_into_database
from .core.paths import MIGRATIONS_DIR
from .core.services import setup_lock
from .curriculum.services import ensure_curriculum_loaded
from .extensions import db
from .translate.services import ensure_catalogs_loaded
from .voice.services import mark_stale


def initialize_database():
    """Upgrade the schema, load the curriculum and move in old upload files; safe to run many times at once."""
    with setup_lock():
        upgrade(directory=str(MIGRATIONS_DIR))
        try:
            changed = ensure_curriculum_loaded()
            if changed:
                mark_stale()  # recordings of texts that changed need recording again
            ensure_catalogs_loaded()
            db.session.commit()
            move_files_into_database()
        except Exception:
            db.session.rollback()
            raise
        finally:
            db.session.remove()
    return changed
