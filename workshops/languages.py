"""The language registry: which languages the app speaks and how.

Babel/CLDR has no locale data for Awajún (`agr`): `Locale.parse("agr")`
raises UnknownLocaleError. So each language keeps its *catalog code* (the
folder under translations/ and the gettext catalog we load) apart from its
*formatting locale* (what Babel formats numbers and dates with). Awajún
formats with es_PE, and month and day names come from glibc's agr_PE locale.

Adding a language (say Quechua `qu` or English `en`) is one `Language`
entry here (or in the LANGUAGES setting) plus its catalogs. Admins can edit
display names and plural forms in the database (`LanguageSetting`), because
the Awajún plural rule is Weblate's default and not yet confirmed by speakers.
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Callable
from dataclasses import dataclass, replace

from flask import current_app
from sqlalchemy import Boolean, CheckConstraint, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import Model, db

SOURCE_LANGUAGE = "es"
DEFAULT_PLURAL_FORMS = "nplurals=2; plural=n != 1;"


@dataclass(frozen=True)
class Language:
    code: str  # catalog code: translations/<code>/LC_MESSAGES
    native_name: str
    spanish_name: str
    locale: str = "es_PE"  # formatting locale known to Babel
    plural_forms: str = DEFAULT_PLURAL_FORMS
    direction: str = "ltr"
    is_source: bool = False
    # Only where CLDR has none: January first / Sunday first.
    month_names: tuple[str, ...] | None = None
    day_names: tuple[str, ...] | None = None
    # Where the words above come from, for the catalogs' translator comments.
    calendar_source: str | None = None
    review_mode: str = "direct"
    # Reviewers' choice: a saved translation is suggested to every entry with the same source.
    propagate: bool = False
    # Admins' choice: a module is ready to teach only when every text of it has an approved recording.
    require_recordings: bool = False

    @property
    def nplurals(self) -> int:
        return parse_plural_forms(self.plural_forms)[0]

    def plural_index(self, n: int) -> int:
        return parse_plural_forms(self.plural_forms)[1](n)


BUILTIN_LANGUAGES = (
    Language("es", "Español", "Español", is_source=True),
    Language(
        "agr",
        "Awajún",
        "Awajún (aguaruna)",
        month_names=(
            "Petsatin",
            "Kupitin",
            "Uyaitin",
            "Tayutin",
            "Kegketin",
            "Tegmatin",
            "Kuntutin",
            "Yagkujutin",
            "Daiktatin",
            "Ipamtatin",
            "Shinutin",
            "Sakamtin",
        ),
        day_names=("Tuntuamtin", "Achutin", "Kugkuktin", "Saketin", "Shimpitin", "Imaptin", "Bataetin"),
        calendar_source="glibc locale agr_PE, 'Awajún (agr) locale for Peru' (somosazucar.org)",
    ),
)


class LanguageSetting(Model):
    """Admin overrides of a registry entry: display names, plural forms, review and recording rules."""

    __tablename__ = "language_setting"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    native_name: Mapped[str | None] = mapped_column(String(80), nullable=True)
    spanish_name: Mapped[str | None] = mapped_column(String(80), nullable=True)
    plural_forms: Mapped[str | None] = mapped_column(Text, nullable=True)
    # "direct": translators' saves count at once; "suggest": a reviewer approves them.
    review_mode: Mapped[str] = mapped_column(String(16), nullable=False, default="direct")
    propagate: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    require_recordings: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )

    __table_args__ = (CheckConstraint("review_mode IN ('direct', 'suggest')", name="review_mode_known"),)


@functools.lru_cache(maxsize=64)
def parse_plural_forms(header: str) -> tuple[int, Callable[[int], int]]:
    """Return (nplurals, function) from a gettext Plural-Forms header; raise ValueError.

    Kept per header: a page or an import asks for the same language's rule many times.
    """
    parts: dict[str, str] = {}
    for piece in header.split(";"):
        if "=" in piece:
            name, _, value = piece.partition("=")
            parts[name.strip()] = value.strip()
    try:
        nplurals = int(parts["nplurals"])
        function = gettext.c2py(parts["plural"])
    except (KeyError, ValueError, SyntaxError) as error:
        raise ValueError(f"not a valid Plural-Forms header: {header!r}") from error
    if not 1 <= nplurals <= 6:
        raise ValueError(f"nplurals must be between 1 and 6: {header!r}")
    for n in range(0, 200):
        try:
            form = function(n)
        except ArithmeticError as error:  # "plural=n/0" divides by zero: a rule no catalog can use
            raise ValueError(f"the plural rule fails for n={n} ({error}): {header!r}") from error
        if not 0 <= form < nplurals:
            raise ValueError(f"the plural rule gives form {form} for n={n}: {header!r}")
    return nplurals, function


def _registered() -> dict[str, Language]:
    extra = tuple(current_app.config.get("LANGUAGES", ()))
    return {language.code: language for language in (*BUILTIN_LANGUAGES, *extra)}


def all_languages() -> list[Language]:
    """Return every language with the admins' overrides applied, source first."""
    overrides = {row.code: row for row in db.session.scalars(db.select(LanguageSetting))}
    result = []
    for code, language in _registered().items():
        row = overrides.get(code)
        if row is not None:
            language = replace(
                language,
                native_name=row.native_name or language.native_name,
                spanish_name=row.spanish_name or language.spanish_name,
                plural_forms=row.plural_forms or language.plural_forms,
                review_mode=row.review_mode or language.review_mode,
                propagate=bool(row.propagate),
                require_recordings=bool(row.require_recordings),
            )
        result.append(language)
    return sorted(result, key=lambda language: (not language.is_source, language.code))


def get_language(code: str) -> Language | None:
    """Return the language with this catalog code, or None."""
    return next((language for language in all_languages() if language.code == code), None)
