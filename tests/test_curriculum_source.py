"""The curriculum source files and their validator."""

import shutil
import textwrap

import pytest

from workshops.curriculum.source import (
    AREAS,
    MIN_SECTIONS,
    MODULES_DIR,
    CurriculumError,
    load_curriculum,
    parse_module,
)


@pytest.fixture(scope="module")
def modules():
    return load_curriculum()


def test_twelve_modules_numbered_one_to_twelve(modules):
    assert [m.number for m in modules] == list(range(1, 13))
    assert len({m.slug for m in modules}) == 12


def test_every_area_has_modules(modules):
    assert {m.area for m in modules} == set(AREAS)


def test_each_module_is_complete(modules):
    for module in modules:
        assert len(module.sections) >= MIN_SECTIONS, module.slug
        kinds = {s.kind for s in module.sections}
        assert {"key_messages", "activity", "discussion", "facilitator_note"} <= kinds, module.slug
        assert module.objectives and module.materials and module.key_terms, module.slug
        assert all(s.minutes for s in module.sections if s.kind == "activity"), module.slug


def test_segment_ids_are_unique_and_stable(modules):
    uids = [seg.uid for module in modules for seg in module.segments()]
    assert len(uids) == len(set(uids))
    assert all(uid.split(".")[0] in {m.slug for m in modules} for uid in uids)


def test_no_percent_or_braces_in_text(modules):
    # Such characters would be taken for format placeholders in the catalogs.
    for module in modules:
        for seg in module.segments():
            assert "%" not in seg.text and "{" not in seg.text and "<" not in seg.text, seg.uid


def test_buits_cafetero_is_left_to_the_community(modules):
    sections = [
        (module, section)
        for module in modules
        for section in module.sections
        if "buits" in section.title.text.lower()
    ]
    assert sections, "the buits cafetero topic is missing"
    for module, section in sections:
        assert module.area == "agronomy"
        assert section.needs_community_input
        assert section.kind == "facilitator_note"


GOOD = textwrap.dedent(
    """\
    number: 3
    slug: prueba
    area: finance
    practices:
      - financial
    title: Prueba
    duration_minutes: 60
    summary: Un resumen.
    objectives:
      o1: Aprender.
    materials:
      m1: Papel.
    sections:
    {sections}
    key_terms:
      ahorro:
        term: Ahorro
        definition: Dinero guardado.
    """
)
SECTION = "  - id: s{n}\n    kind: explanation\n    title: Parte {n}\n    paragraphs:\n      p1: Texto {n}.\n"


def write(tmp_path, text, name="03-prueba.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def good_text(count=MIN_SECTIONS):
    return GOOD.replace("{sections}\n", "".join(SECTION.format(n=n) for n in range(count)))


def test_a_minimal_valid_module_parses(tmp_path):
    module = parse_module(write(tmp_path, good_text()))
    assert module.number == 3
    assert module.sections[0].texts[0].uid == "prueba.s0.p1"
    assert module.sections[0].texts[0].line == 18


@pytest.mark.parametrize(
    ("change", "line", "words"),
    [
        (lambda t: t.replace("number: 3", "number: 13"), 1, "between 1 and 12"),
        (lambda t: t.replace("area: finance", "area: music"), 3, "area must be one of"),
        (lambda t: t.replace("- financial", "- dancing"), 5, "practice must be one of"),
        (lambda t: t.replace("- financial", "- financial\n  - financial"), 6, "each once"),
        (lambda t: t.replace("slug: prueba\n", ""), 1, "missing 'slug'"),
        (lambda t: t.replace("  o1: Aprender.", "  o1: Aprender.\n  o1: Otra vez."), 11, "appears twice"),
        (lambda t: t.replace("kind: explanation", "kind: poem", 1), 15, "kind must be one of"),
        (lambda t: t.replace("      p1: Texto 0.", "      p1: ''"), 18, "is empty"),
        (lambda t: t.replace("title: Prueba", "title: [Prueba"), 7, "YAML syntax"),
        (lambda t: t.replace("duration_minutes: 60", "duration_minutes: sesenta"), 7, "whole number"),
        (lambda t: t + "colour: green\n", 58, "unknown field 'colour'"),
    ],
)
def test_malformed_module_names_file_line_and_problem(tmp_path, change, line, words):
    path = write(tmp_path, change(good_text()))
    with pytest.raises(CurriculumError) as caught:
        parse_module(path)
    assert caught.value.path == str(path)
    assert caught.value.line == line, caught.value
    assert words in caught.value.problem


def test_too_few_sections_is_refused(tmp_path):
    with pytest.raises(CurriculumError, match="at least 8 sections"):
        parse_module(write(tmp_path, good_text(MIN_SECTIONS - 1)))


def test_not_utf8_is_refused(tmp_path):
    path = tmp_path / "03-prueba.yaml"
    path.write_bytes(good_text().replace("Un resumen.", "Añadido.").encode("latin-1"))
    with pytest.raises(CurriculumError, match="not UTF-8") as caught:
        parse_module(path)
    assert caught.value.line == 8


def test_activity_without_steps_is_refused(tmp_path):
    text = good_text().replace("kind: explanation", "kind: activity", 1)
    with pytest.raises(CurriculumError, match="needs steps"):
        parse_module(write(tmp_path, text))


def test_duplicate_numbers_across_files(tmp_path):
    for name in ("03-a.yaml", "04-b.yaml"):
        write(tmp_path, good_text().replace("slug: prueba", f"slug: {name[3]}"), name)
    with pytest.raises(CurriculumError, match="also used by 03-a.yaml"):
        load_curriculum(tmp_path, require_all=False)


def test_missing_modules_are_reported(tmp_path):
    write(tmp_path, good_text())
    with pytest.raises(CurriculumError, match="modules missing: 1, 2, 4"):
        load_curriculum(tmp_path)


def test_check_command_accepts_the_shipped_curriculum(runner):
    result = runner.invoke(args=["curriculum", "check"])
    assert result.exit_code == 0, result.output
    assert "OK: 12 modules." in result.output


def test_check_command_reports_file_and_line(runner, tmp_path):
    broken = tmp_path / "modules"
    shutil.copytree(MODULES_DIR, broken)
    target = sorted(broken.glob("05-*.yaml"))[0]
    lines = target.read_text(encoding="utf-8").splitlines()
    number_line = next(i for i, line in enumerate(lines) if line.startswith("number:"))
    lines[number_line] = "number: cinco"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(args=["curriculum", "check", str(broken)])
    assert result.exit_code == 1
    assert f"{target}:{number_line + 1}: number must be a whole number" in result.output
