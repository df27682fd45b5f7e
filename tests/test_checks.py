"""The translation checks: each blocking check and each warning."""

import pytest

from workshops.catalog.models import GlossaryTerm
from workshops.translate.checks import run_checks


def codes(source, forms, plural=None, nplurals=2, glossary=()):
    result = run_checks(source, plural, forms, nplurals, glossary)
    return result.errors, result.warnings


@pytest.mark.parametrize(
    ("source", "translation"),
    [
        ("Se creó el usuario %(name)s.", "Usuario creado."),
        ("Se creó el usuario %(name)s.", "Usuario %(nombre)s."),
        ("Hola {name}.", "Hola {nombre}."),
        ("Total: %s", "Total"),
    ],
)
def test_placeholders_must_match(source, translation):
    assert "placeholders" in codes(source, [translation])[0]


def test_matching_placeholders_pass():
    assert codes("Se creó el usuario %(name)s.", ["%(name)s usuario."])[0] == []
    assert codes("Hola {name}.", ["Hola {name}."])[0] == []


def test_plural_form_may_leave_out_the_number():
    errors, _ = codes("%(num)s día", ["UNO-PRUEBA", "%(num)s VARIOS-PRUEBA"], plural="%(num)s días")
    assert errors == []


@pytest.mark.parametrize(
    ("source", "translation", "code"),
    [
        ("Texto <b>fuerte</b>.", "Texto <b>fuerte.", "markup"),
        ("Texto <b>fuerte</b>.", "Texto <i>fuerte</i>.", "markup"),
        ("Texto simple.", "Texto <b>nuevo</b>.", "markup"),
        ("Texto.", "Texto<script>alert(1)</script>.", "unsafe"),
        ("Texto.", 'Texto"><img src=x onerror=alert(1)>.', "unsafe"),
    ],
)
def test_markup_must_be_balanced_and_safe(source, translation, code):
    assert code in codes(source, [translation])[0]


def test_wrong_number_of_plural_forms():
    assert "plural_count" in codes("un árbol", ["a"], plural="%(num)s árboles")[0]
    assert "plural_count" in codes("árbol", ["a", "b"])[0]


@pytest.mark.parametrize(
    ("source", "translation", "code"),
    [
        ("Módulos", "módulos", "unchanged"),
        ("Guardar", " Guardar2", "whitespace"),
        ("Línea uno", "Línea\nuno", "whitespace"),
        ("Una frase.", "Una  frase.", "double_space"),
        ("¿Qué es?", "PRUEBA", "punctuation"),
        ("Fin.", "Fin", "punctuation"),
    ],
)
def test_warnings(source, translation, code):
    errors, warnings = codes(source, [translation])
    assert errors == [] and code in warnings


def test_glossary_consistency_is_a_warning():
    approved = GlossaryTerm(source_term="café", target_term="termino-prueba", status="approved")
    forbidden = GlossaryTerm(source_term="cafetal", target_term="prohibido-prueba", status="forbidden")
    assert "glossary" in codes("El café maduro.", ["Otra cosa."], glossary=[approved])[1]
    assert "glossary" not in codes("El CAFE maduro.", ["TÉRMINO-PRUEBA otra cosa."], glossary=[approved])[1]
    assert "glossary" in codes("El cafetal.", ["prohibido-prueba."], glossary=[forbidden])[1]


def test_a_clean_translation_has_no_findings():
    assert codes("Guardar los cambios.", ["TEXTO DE PRUEBA."]) == ([], [])
