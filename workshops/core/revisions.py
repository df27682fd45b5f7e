"""Compare-and-set on a revision column: the one guard against two people saving the same record."""

from typing import Any, cast

from sqlalchemy import update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import InstrumentedAttribute

from ..extensions import db


def take_next_revision(column: InstrumentedAttribute[int], row_id: int, base_revision: int) -> bool:
    """Raise the row's revision by one if it still is base_revision; tell whether it was.

    One UPDATE ... WHERE revision = base: of two saves based on the same revision,
    exactly one takes the next one, whatever the database and however many servers.
    """
    model = column.class_
    # An UPDATE runs through a cursor; Session.execute() is typed as returning rows, not the count.
    result = cast(
        "CursorResult[Any]",
        db.session.execute(
            update(model).where(model.id == row_id, column == base_revision).values({column.key: column + 1})
        ),
    )
    return result.rowcount == 1
