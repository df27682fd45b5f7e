"""Text helpers shared by features."""

import re
import unicodedata

from markupsafe import Markup


def fold(text: str | None) -> str:
    """Lowercase and strip accents, so searches ignore both (Awajún spelling varies)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


SOFT_HYPHEN = "\u00ad"
# Words longer than this get soft hyphens: Awajún words of 20-27 letters would otherwise
# break anywhere (or not at all) in a phone heading or a narrow table header.
LONG_WORD = 12
_VOWELS = set("aeiouáéíóúäëïöüàèìòùâêîôûãẽĩõũɨ")
_TAG = re.compile(r"(<[^>]*>)")


# Letter pairs that spell one sound (Awajún sh, ch, ts; Spanish ch, ll, rr): never split.
_DIGRAPHS = {"sh", "ch", "ts", "ll", "rr"}


def _starts_syllable(word: str, index: int) -> bool:
    """Whether a syllable may start at word[index]: a consonant (or digraph) before a vowel."""
    here, pair = word[index].lower(), word[index : index + 2].lower()
    if here in _VOWELS or word[index - 1 : index + 1].lower() in _DIGRAPHS:
        return False
    if pair in _DIGRAPHS:
        return index + 2 < len(word) and word[index + 2].lower() in _VOWELS
    return word[index + 1].lower() in _VOWELS


def _syllable_breaks(word: str) -> str:
    """Put soft hyphens where syllables start, keeping 3+ letters on each side of a break."""
    pieces, start = [], 0
    for index in range(3, len(word) - 3):
        if index - start >= 3 and _starts_syllable(word, index):
            pieces.append(word[start:index])
            start = index
    pieces.append(word[start:])
    return SOFT_HYPHEN.join(pieces)


def soft_hyphens(text: str, longer_than: int = LONG_WORD) -> str:
    """Mark where long words may break, with a hyphen shown only where the line does break.

    Works on plain text and on HTML (markupsafe.Markup): only text between tags changes,
    and only runs of letters, so entities, placeholders and attributes stay as they are.
    No dictionary: Spanish and Awajún syllables are mostly consonant-vowel, so a break
    before a consonant followed by a vowel falls between syllables.
    """
    if not text:
        return text
    long_word = re.compile(rf"(?<!\w)[^\W\d_]{{{longer_than + 1},}}(?!\w)")
    parts = _TAG.split(str(text))
    for index in range(0, len(parts), 2):  # the even parts are text, the odd ones tags
        parts[index] = long_word.sub(lambda match: _syllable_breaks(match.group()), parts[index])
    joined = "".join(parts)
    return Markup(joined) if isinstance(text, Markup) else joined  # noqa: S704 (only soft hyphens added)


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
