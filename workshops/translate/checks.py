"""Quality checks run on every save, from the web form and from uploads alike.

Blocking checks refuse the save (the text would break the page or lose
information); warnings are saved with the translation, shown, and can be
dismissed by a reviewer. There is no spell-checker: Awajún spelling varies
and no dictionary is agreed.
"""

import re
from collections import Counter
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from ..catalog.models import fold
from ..catalog.safety import (
    BRACE_FORMAT,
    PYTHON_FORMAT,
    length_limit,
    missing_placeholders,
    placeholders,
    render_problem,
    unknown_placeholders,
)

TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9]*)([^>]*)>")
UNSAFE = re.compile(r"<\s*(script|style|iframe|object|embed|svg|img|a)\b|\bon\w+\s*=|javascript:", re.I)
END_PUNCTUATION = ".!?:;…"

MESSAGES = {
    "placeholders": _l(
        "Los marcadores de posición deben ser los mismos que en el original; cópielos tal como están."
    ),
    "too_long": _l("La traducción es demasiado larga para este texto."),
    "markup": _l("Las etiquetas deben ser las mismas que en el original y estar bien cerradas."),
    "unsafe": _l("El texto contiene código no permitido (por ejemplo <script> o atributos on...)."),
    "plural_count": _l("El número de formas de plural no es el correcto para este idioma."),
    "unchanged": _l("La traducción es igual al original."),
    "whitespace": _l("Los espacios o saltos de línea al inicio o al final no coinciden con el original."),
    "double_space": _l("Hay dos espacios seguidos."),
    "punctuation": _l("El signo de puntuación final no coincide con el original."),
    "glossary": _l("Un término del glosario no se tradujo como se acordó."),
}
BLOCKING = ("placeholders", "markup", "unsafe", "plural_count", "too_long")
__all__ = ["BRACE_FORMAT", "PYTHON_FORMAT", "CheckResult", "placeholders", "run_checks"]


@dataclass
class CheckResult:
    errors: list  # codes of blocking checks that failed
    warnings: list  # codes of warnings
    details: dict = field(default_factory=dict)  # code -> what exactly failed, shown after the message

    @staticmethod
    def messages(codes, details=None):
        """Return the message of each code, followed by its detail when there is one."""
        details = details or {}
        return [" ".join(filter(None, (str(MESSAGES[code]), str(details.get(code, ""))))) for code in codes]

    def error_messages(self):
        return self.messages(self.errors, self.details)


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
    details = {}
    _check_placeholders(source, source_plural, filled, errors, details)
    limit = length_limit(max(source, source_plural or "", key=len))
    if any(len(form) > limit for form in filled):
        errors.append("too_long")
        details["too_long"] = str(_l("Máximo: %(limit)s caracteres.", limit=limit))
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
    return CheckResult(errors, warnings, details)


def _check_placeholders(source, source_plural, filled, errors, details):
    """Add the placeholders error, naming what is missing or unknown, when a form does not match."""
    wanted = set(placeholders(source)) | set(placeholders(source_plural or ""))
    # A plural form may leave the number out ("one tree" for n == 1).
    optional = {p for p in wanted if "num" in p or "count" in p} if source_plural else set()
    for form in filled:
        missing = missing_placeholders(source, source_plural, form, optional)
        unknown = unknown_placeholders(source, source_plural, form)
        if missing or unknown or render_problem(source, source_plural, [form]) not in (None, "too long"):
            errors.append("placeholders")
            parts = []
            if missing:
                parts.append(_l("Falta: %(names)s.", names=", ".join(missing)))
            if unknown:
                parts.append(_l("No está en el original: %(names)s.", names=", ".join(unknown)))
            details["placeholders"] = " ".join(str(part) for part in parts)
            return
