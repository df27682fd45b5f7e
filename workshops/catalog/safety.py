"""What makes a translation safe to render: its placeholders and its length.

The translator checks (translate/checks.py) refuse such a text at every save,
and the runtime (catalog/runtime.py) skips any that reached the store anyway
(an old row, a direct database edit), so a bad translation never breaks a page.
"""

import re
from collections import Counter

PYTHON_FORMAT = re.compile(r"%(?:\((?P<name>\w+)\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")
BRACE_FORMAT = re.compile(r"(?<!\{)\{(\w*)(?:![rsa])?(?::[^{}]*)?\}(?!\})")

# A translation may be several times longer than its source (Awajún words are
# long), but never without bound: a 7 MB "translation" of one word made every page huge.
LENGTH_FACTOR = 5
LENGTH_MARGIN = 200
LENGTH_CAP = 20_000


def placeholders(text: str) -> Counter[str]:
    """Return the placeholders of a text ("%(name)s", "%d", "{name}") with their counts."""
    found = Counter(match.group(0) for match in PYTHON_FORMAT.finditer(text) if match.group(0) != "%%")
    found.update("{" + name + "}" for name in BRACE_FORMAT.findall(text))
    return found


def placeholder_names(text: str) -> list[str]:
    """Return the distinct placeholders of a text in the order they first appear."""
    return list(dict.fromkeys(placeholders(text)))


def length_limit(source: str) -> int:
    """Return the longest translation accepted for a source text."""
    return min(LENGTH_CAP, LENGTH_FACTOR * len(source) + LENGTH_MARGIN)


def _stray_percent(text: str) -> bool:
    """Tell whether a % is left that is no placeholder (formatting would raise on it)."""
    return "%" in PYTHON_FORMAT.sub("", text)


def missing_placeholders(source: str, source_plural: str | None, form: str, optional: set[str]) -> list[str]:
    """Return the source's placeholders a translation form leaves out (but the optional ones)."""
    wanted = placeholders(source) | placeholders(source_plural or "")
    got = placeholders(form)
    return [name for name in dict.fromkeys(wanted) if name not in got and name not in optional]


def unknown_placeholders(source: str, source_plural: str | None, form: str) -> list[str]:
    """Return the placeholders of a translation form that the source does not have."""
    wanted = placeholders(source) | placeholders(source_plural or "")
    return [name for name in dict.fromkeys(placeholders(form)) if name not in wanted]


def render_problem(source: str, source_plural: str | None, forms: list[str]) -> str | None:
    """Return why these forms would break or bloat a page, or None when they are safe to render."""
    limit = length_limit(max(source, source_plural or "", key=len))
    source_stray = _stray_percent(source) or _stray_percent(source_plural or "")
    positional = [name for name in placeholders(source) if "(" not in name and not name.startswith("{")]
    for form in forms:
        if len(form) > limit:
            return "too long"
        if unknown_placeholders(source, source_plural, form):
            return "unknown placeholder"
        if _stray_percent(form) and not source_stray:
            return "stray percent sign"
        # Positional values are passed as a tuple: every one must be used, in number.
        if positional and Counter(p for p in placeholders(form) if p in positional) != Counter(
            p for p in placeholders(source) if p in positional
        ):
            return "positional placeholders differ"
    return None
