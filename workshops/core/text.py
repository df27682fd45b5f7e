"""Text helpers shared by features."""

import unicodedata


def fold(text: str | None) -> str:
    """Lowercase and strip accents, so searches ignore both (Awajún spelling varies)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


# The largest number a column of PostgreSQL's integer type holds (SQLite's hold more): a larger id
# or revision names no row, and sent to the database it is an error (a 500), not "not found".
LARGEST_ID = 2**31 - 1
# Past the last page a list is empty anyway; a larger page number overflows the database's OFFSET.
LAST_PAGE = 1_000_000


def _whole_number(text: str, lowest: int, highest: int) -> int:
    number = int(text)
    if not lowest <= number <= highest:
        raise ValueError(text)
    return number


def record_id(text: str) -> int:
    """Read an id sent in a request, 1 to LARGEST_ID; ValueError otherwise (request.args.get's type=)."""
    return _whole_number(text, 1, LARGEST_ID)


def revision_number(text: str) -> int:
    """Read a revision a form was filled from, 0 to LARGEST_ID; ValueError otherwise."""
    return _whole_number(text, 0, LARGEST_ID)


def page_number(text: str) -> int:
    """Read a page number, 1 to LAST_PAGE; ValueError otherwise."""
    return _whole_number(text, 1, LAST_PAGE)
