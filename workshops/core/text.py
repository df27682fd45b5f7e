"""Text helpers shared by features."""

import unicodedata


def fold(text: str | None) -> str:
    """Lowercase and strip accents, so searches ignore both (Awajún spelling varies)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
