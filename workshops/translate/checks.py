"""Quality checks run on every save, from the web form and from uploads alike.

Blocking checks refuse the save (the text would break the page or lose
information); warnings are saved with the translation, shown, and can be
dismissed by a reviewer. There is no spell-checker: Awajún spelling varies
and no dictionary is agreed.
"""

import re
from collections import Counter
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ..catalog.models import fold

PYTHON_FORMAT = re.compile(r"%(?:\((?P<name>\w+)\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")
BRACE_FORMAT = re.compile(r"(?<!\{)\{(\w*)(?:![rsa])?(?::[^{}]*)?\}(?!\})")
TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9]*)([^>]*)>")
UNSAFE = re.compile(r"<\s*(script|style|iframe|object|embed|svg|img|a)\b|\bon\w+\s*=|javascript:", re.I)
END_PUNCTUATION = ".!?:;…"

MESSAGES = {
    "placeholders": _l(
        "Los marcadores de posición (por ejemplo los nombres entre llaves) deben ser los mismos que en el original."
    ),
    "markup": _l("Las etiquetas deben ser las mismas que en el original y estar bien cerradas."),
    "unsafe": _l("El texto contiene código no permitido (por ejemplo <script> o atributos on...)."),
    "plural_count": _l("El número de formas de plural no es el correcto para este idioma."),
    "unchanged": _l("La traducción es igual al original."),
    "whitespace": _l("Los espacios o saltos de línea al inicio o al final no coinciden con el original."),
    "double_space": _l("Hay dos espacios seguidos."),
    "punctuation": _l("El signo de puntuación final no coincide con el original."),
    "glossary": _l("Un término del glosario no se tradujo como se acordó."),
}
BLOCKING = ("placeholders", "markup", "unsafe", "plural_count")


@dataclass
class CheckResult:
    errors: list  # codes of blocking checks that failed
    warnings: list  # codes of warnings

    @staticmethod
    def messages(codes):
        return [str(MESSAGES[code]) for code in codes]


def placeholders(text):
    found = Counter(match.group(0) for match in PYTHON_FORMAT.finditer(text) if match.group(0) != "%%")
    found.update("{" + name + "}" for name in BRACE_FORMAT.findall(text))
    return found


def tags(text):
    return [(closing, name.lower()) for closing, name, _attrs in TAG.findall(text)]


def _balanced(tag_list):
    stack = []
    for closing, name in tag_list:
        if name == "br":
            continue
        if not closing:
            stack.append(name)
        elif not stack or stack.pop() != name:
            return False
    return not stack


def run_checks(source, source_plural, forms, nplurals, glossary=()):
    """Check translation forms against the source; return a CheckResult."""
    errors, warnings = [], []
    expected_forms = nplurals if source_plural else 1
    if len(forms) != expected_forms:
        errors.append("plural_count")
    filled = [form for form in forms if form]
    if not filled:
        return CheckResult(errors, warnings)
    wanted = set(placeholders(source)) | set(placeholders(source_plural or ""))
    for form in filled:
        got = set(placeholders(form))
        # A plural form may leave the number out ("one tree" for n == 1).
        optional = {p for p in wanted if "num" in p or "count" in p} if source_plural else set()
        if got - wanted or (wanted - optional) - got:
            errors.append("placeholders")
            break
    source_tags = Counter(tags(source))
    for form in filled:
        if UNSAFE.search(form):
            errors.append("unsafe")
            break
        form_tags = tags(form)
        if Counter(form_tags) != source_tags or not _balanced(form_tags):
            errors.append("markup")
            break
    first = filled[0]
    if fold(first) == fold(source) and re.search(r"[^\W\d_]", source):
        warnings.append("unchanged")
    if (first[:1].isspace(), first[-1:].isspace(), first.count("\n")) != (
        source[:1].isspace(),
        source[-1:].isspace(),
        source.count("\n"),
    ):
        warnings.append("whitespace")
    if "  " in first and "  " not in source:
        warnings.append("double_space")
    source_end = source.rstrip()[-1:] if source.rstrip()[-1:] in END_PUNCTUATION else ""
    first_end = first.rstrip()[-1:] if first.rstrip()[-1:] in END_PUNCTUATION else ""
    if source_end != first_end:
        warnings.append("punctuation")
    folded_source, folded_target = fold(source), fold(" ".join(filled))
    for term in glossary:
        if not term.target_term:
            continue
        in_source = re.search(rf"\b{re.escape(fold(term.source_term))}\b", folded_source)
        uses_target = fold(term.target_term) in folded_target
        if (term.status == "approved" and in_source and not uses_target) or (
            term.status == "forbidden" and uses_target
        ):
            warnings.append("glossary")
            break
    return CheckResult(errors, warnings)
