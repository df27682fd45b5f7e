"""Catalogs: shipped files, extraction, export/import round trips, bad files, msgfmt."""

import re
import shutil
import subprocess

import polib
import pytest
import sqlalchemy as sa

from workshops.catalog import store
from workshops.catalog.models import Translation
from workshops.curriculum.source import MODULES_DIR
from workshops.extensions import db
from workshops.languages import BUILTIN_LANGUAGES
from workshops.translate import catalog_import, catalogs, extract, merge

from .conftest import PROJECT_ROOT, tool_required

SHIPPED = sorted(catalogs.TRANSLATIONS_DIR.glob("*/LC_MESSAGES/*.po"))
AGR = BUILTIN_LANGUAGES[1]


def msgfmt(path):
    tool_required("msgfmt")
    result = subprocess.run(
        ["msgfmt", "-c", "--check-format", "-o", "/dev/null", str(path)], capture_output=True, text=True
    )
    return result.returncode, result.stderr


def keys(entries):
    return {(entry.msgctxt or "", entry.msgid) for entry in entries if not entry.obsolete}


def test_four_catalogs_are_shipped():
    assert [p.relative_to(catalogs.TRANSLATIONS_DIR).as_posix() for p in SHIPPED] == [
        "agr/LC_MESSAGES/curriculum.po",
        "agr/LC_MESSAGES/messages.po",
        "es/LC_MESSAGES/curriculum.po",
        "es/LC_MESSAGES/messages.po",
    ]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.relative_to(catalogs.TRANSLATIONS_DIR).as_posix())
def test_shipped_catalogs_pass_msgfmt_and_match_the_registry(path):
    code, errors = msgfmt(path)
    assert code == 0, errors
    po = polib.pofile(str(path))
    language = next(lang for lang in BUILTIN_LANGUAGES if lang.code == path.parts[-3])
    assert po.metadata["Plural-Forms"] == language.plural_forms
    assert po.metadata["Language"] == language.code
    template = polib.pofile(str(catalogs.catalog_path(None, path.stem, template=True)))
    assert keys(po) == keys(template)


def test_awajun_ships_untranslated_except_cited_words():
    for path in catalogs.TRANSLATIONS_DIR.glob("agr/LC_MESSAGES/*.po"):
        for entry in polib.pofile(str(path)):
            if entry.translated():
                assert entry.msgctxt == "month name", entry.msgid
                assert "glibc locale agr_PE" in entry.tcomment
                assert entry.msgstr in AGR.month_names


def test_templates_are_up_to_date_with_code_and_curriculum():
    for domain, make in extract.TEMPLATES.items():
        committed = polib.pofile(str(catalogs.catalog_path(None, domain, template=True)))
        extracted = {(entry.context, entry.msgid) for entry in make()}
        assert extracted == keys(committed), f"run `flask --app workshops translate extract` ({domain})"


def test_curriculum_entries_carry_context_comment_and_reference():
    entry = next(e for e in extract.curriculum_template() if e.context.endswith(".objectives.o1"))
    assert entry.comment.startswith("módulo ") and "objetivo" in entry.comment
    assert re.match(r"workshops/curriculum/modules/\d\d-[a-z-]+\.yaml:\d+$", entry.references[0])


def test_interface_strings_have_python_format_flags():
    entries = {entry.msgid: entry for entry in extract.messages_template()}
    assert "python-format" in entries["Se creó el usuario %(name)s."].flags


def test_export_after_edits_passes_msgfmt_and_reads_back(app, tmp_path):
    with app.app_context():
        entry = store.find_entry("messages", "", "Se creó el usuario %(name)s.")
        store.set_translation(entry, "agr", ["%(name)s usuario prueba."], "translated")
        fuzzy = store.find_entry("messages", "", "Términos clave")
        store.set_translation(fuzzy, "agr", ["prueba dudosa"], "fuzzy")
        db.session.commit()
        for domain in ("messages", "curriculum"):
            path = catalogs.export_catalog(domain, "agr", tmp_path / f"{domain}.po")
            code, errors = msgfmt(path)
            assert code == 0, errors
            po = polib.pofile(str(path))
            stored = {(e.context, e.msgid) for e in store.entries(domain)}
            assert keys(po) == stored
        po = polib.pofile(str(tmp_path / "messages.po"))
        assert po.find("Se creó el usuario %(name)s.").msgstr == "%(name)s usuario prueba."
        assert "fuzzy" in po.find("Términos clave").flags
        assert int(po.metadata["X-Catalog-Revision"]) >= 2


def test_changed_sentence_becomes_fuzzy_with_previous_msgid(app, tmp_path):
    modules = tmp_path / "modules"
    shutil.copytree(MODULES_DIR, modules)
    target = sorted(modules.glob("03-*.yaml"))[0]
    with app.app_context():
        template = extract.curriculum_template()
        segment = next(
            e
            for e in template
            if e.context.startswith("renovacion-de-cafetales.") and ".objectives." in e.context
        )
        entry = store.find_entry("curriculum", segment.context, segment.msgid)
        store.set_translation(entry, "agr", ["traducción de prueba"], "translated")
        db.session.commit()
        source = target.read_text(encoding="utf-8")
        first_words = segment.msgid.split()[0]
        changed_text = source.replace(f": {first_words} ", f": CAMBIADO {first_words} ", 1)
        assert changed_text != source
        target.write_text(changed_text, encoding="utf-8")
        before = {(e.context, e.msgid) for e in store.entries("curriculum")}
        added, changed, obsoleted = store.merge_template(
            "curriculum", extract.curriculum_template(modules), ["agr"]
        )
        db.session.commit()
        after = {(e.context, e.msgid) for e in store.entries("curriculum")}
        assert (added, changed, obsoleted) == (0, 1, 0)
        assert before - after == {(segment.context, segment.msgid)}
        assert len(after - before) == 1
        entry = db.session.get(type(entry), entry.id)
        assert entry.previous_msgid == segment.msgid and entry.msgid.startswith("CAMBIADO ")
        translation = store.translation_for(entry, "agr")
        assert translation.state == "fuzzy" and translation.forms == ["traducción de prueba"]
        path = catalogs.export_catalog("curriculum", "agr", tmp_path / "curriculum.po")
        assert msgfmt(path)[0] == 0
        text = path.read_text(encoding="utf-8")
        assert f'#| msgctxt "{segment.context}"' in text or "#| msgid" in text
        po_entry = polib.pofile(str(path)).find(entry.msgid, msgctxt=segment.context)
        assert po_entry.previous_msgid == segment.msgid and "fuzzy" in po_entry.flags
        # Put the store back as the session fixture loaded it.
        store.merge_template("curriculum", template, ["agr"])
        db.session.commit()


HEADER = 'msgid ""\nmsgstr ""\n"Language: agr\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Plural-Forms: nplurals=2; plural=n != 1;\\n"\n\n'
GOOD_ENTRY = 'msgid "Términos clave"\nmsgstr "prueba"\n'


@pytest.mark.parametrize(
    ("data", "line", "words"),
    [
        (b"Hola, esto no es un catalogo.\nNada que ver.\n", 1, "no es un catálogo .po válido"),
        (b"\x00\x01\x02binary", 1, "binarios"),
        ((HEADER + 'msgid "Módulos"\nmsgstr "Año"\n').encode("latin-1"), 7, "no es texto UTF-8"),
        ('msgid "Términos clave"\nmsgstr "x"\n'.encode(), 1, "falta la cabecera"),
        (HEADER.replace("Language: agr", "Language: qu") + GOOD_ENTRY, 1, "no de «agr»"),
        (
            HEADER.replace("nplurals=2; plural=n != 1;", "nplurals=3; plural=n%3;") + GOOD_ENTRY,
            1,
            "tiene 3 formas de plural",
        ),
        (
            HEADER
            + 'msgid "un día"\nmsgid_plural "%(num)s días"\nmsgstr[0] "a"\nmsgstr[1] "b"\nmsgstr[2] "c"\n',
            7,
            "3 formas de plural en vez de 2",
        ),
        (HEADER + GOOD_ENTRY + 'msgid "x"\nmsgstr "unterminated\n', 10, "no es un catálogo .po válido"),
    ],
)
def test_bad_catalogs_are_refused_whole(app, data, line, words):
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Translation))
        with pytest.raises(catalog_import.CatalogError) as caught:
            merge.import_file(data if isinstance(data, bytes) else data.encode(), "messages", "agr", "bad.po")
        db.session.rollback()
        assert caught.value.filename == "bad.po"
        assert caught.value.problems[0][0] == line, caught.value.problems
        assert words in str(caught.value.problems[0][1])
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Translation)) == before


def test_export_keeps_custom_headers_comments_and_flags(app, tmp_path):
    data = (
        "# Traducción de voluntarios, 2026.\n"
        + HEADER.replace('"Language: agr\\n"\n', '"Language: agr\\n"\n"X-Volunteer-Group: San Ignacio\\n"\n')
        + "# nota de la traductora\n"
        + GOOD_ENTRY
    )
    with app.app_context():
        merge.import_file(data.encode(), "messages", "agr", "ok.po")
        db.session.commit()
        path = catalogs.export_catalog("messages", "agr", tmp_path / "messages.po")
        po = polib.pofile(str(path))
        assert po.metadata["X-Volunteer-Group"] == "San Ignacio"
        assert po.header == "Traducción de voluntarios, 2026."
        entry = po.find("Términos clave")
        assert entry.tcomment == "nota de la traductora" and entry.msgstr == "prueba"
        assert "workshops/templates/_site_header.html" in [path for path, _line in entry.occurrences]
        # Put the shipped header back for the other tests.
        shipped = catalogs.catalog_path("agr", "messages")
        merge.import_file(shipped.read_bytes(), "messages", "agr", "shipped")
        db.session.commit()


def test_cli_import_reports_file_line_and_changes_nothing(runner, app, tmp_path):
    bad = tmp_path / "messages.po"
    bad.write_text(HEADER.replace("Language: agr", "Language: es") + GOOD_ENTRY, encoding="utf-8")
    result = runner.invoke(args=["translate", "import", str(bad), "--language", "agr"])
    assert result.exit_code == 1
    assert f"{bad}:1: este catálogo es del idioma «es», no de «agr»" in result.output
    assert "Nothing was imported." in result.output
    good = tmp_path / "agr" / "LC_MESSAGES" / "messages.po"
    good.parent.mkdir(parents=True)
    good.write_text(HEADER + GOOD_ENTRY + 'msgid "no existe"\nmsgstr "x"\n', encoding="utf-8")
    result = runner.invoke(args=["translate", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "1 applied" in result.output and "1 not in the catalog" in result.output
    with app.app_context():
        entry = store.find_entry("messages", "", "Términos clave")
        assert store.translation_for(entry, "agr").forms == ["prueba"]


def test_cli_export_stats_and_compile(runner, tmp_path, monkeypatch):
    result = runner.invoke(args=["translate", "export", "--to", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.po")) == [
        "agr/LC_MESSAGES/curriculum.po",
        "agr/LC_MESSAGES/messages.po",
        "es/LC_MESSAGES/curriculum.po",
        "es/LC_MESSAGES/messages.po",
    ]
    result = runner.invoke(args=["translate", "stats"])
    assert result.exit_code == 0
    row = next(line for line in result.output.splitlines() if line.startswith("messages    agr"))
    total, translated = (int(x) for x in row.split()[2:4])
    assert total == len(extract.messages_template()) and translated >= 12
    monkeypatch.setattr(catalogs, "TRANSLATIONS_DIR", tmp_path)
    result = runner.invoke(args=["translate", "compile"])
    assert result.exit_code == 0
    assert (tmp_path / "agr" / "LC_MESSAGES" / "messages.mo").stat().st_size > 0
    result = runner.invoke(args=["translate", "extract"])
    assert result.exit_code == 0
    assert "curriculum.pot:" in result.output and (tmp_path / "curriculum.pot").exists()


def test_export_is_atomic(app, tmp_path, monkeypatch):
    target = tmp_path / "messages.po"
    target.write_text("old content", encoding="utf-8")

    def broken_replace(*args):
        raise OSError("disk full")

    monkeypatch.setattr("workshops.translate.catalogs.os.replace", broken_replace)
    with app.app_context(), pytest.raises(OSError):
        catalogs.export_catalog("messages", "agr", target)
    assert target.read_text(encoding="utf-8") == "old content"
    assert [p.name for p in tmp_path.iterdir()] == ["messages.po"]


VISIBLE_TEXT = re.compile(r"[A-Za-zÁÉÍÓÚáéíóúÑñ]{2,}")


def test_templates_have_no_visible_text_outside_gettext():
    offenders = []
    for path in sorted((PROJECT_ROOT / "workshops" / "templates").rglob("*.html")):
        source = path.read_text(encoding="utf-8")
        source = re.sub(r"\{%-?\s*trans\b.*?endtrans\s*-?%\}", "", source, flags=re.S)
        source = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", "", source, flags=re.S)
        source = re.sub(r"<(script|style)\b.*?</\1>", "", source, flags=re.S)
        source = re.sub(r"<[^>]*>", "", source, flags=re.S)
        source = re.sub(r"&\w+;", "", source)
        for line in source.splitlines():
            if VISIBLE_TEXT.search(line):
                offenders.append(f"{path.relative_to(PROJECT_ROOT)}: {line.strip()}")
    assert offenders == []


def _unknown_entries(count):
    return "".join(f'msgid "desconocida {n}"\nmsgstr "x"\n\n' for n in range(count))


def test_cli_import_over_the_entry_limit_is_refused_before_reading_and_changes_nothing(runner, app, tmp_path):
    from workshops.translate import catalog_import

    def stored():
        with app.app_context():
            found = store.translation_for(store.find_entry("messages", "", "Términos clave"), "agr")
            return found.forms if found else None

    before = stored()
    big = tmp_path / "messages.po"
    big.write_text(
        HEADER + GOOD_ENTRY + "\n" + _unknown_entries(catalog_import.MAX_ENTRIES), encoding="utf-8"
    )
    result = runner.invoke(args=["translate", "import", str(big), "--language", "agr"])
    assert result.exit_code == 1
    assert f"más de {catalog_import.MAX_ENTRIES} entradas: divídalo" in result.output
    assert "Nothing was imported." in result.output
    assert stored() == before != ["prueba"]  # the good entry at the top was not applied either
    lines = tmp_path / "lines.po"  # no entries, only lines: refused before polib makes a list of them
    lines.write_text(HEADER + "#\n" * (20 * catalog_import.MAX_ENTRIES + 1), encoding="utf-8")
    result = runner.invoke(
        args=["translate", "import", str(lines), "--language", "agr", "--domain", "messages"]
    )
    assert result.exit_code == 1 and "entradas: divídalo" in result.output


def test_cli_import_names_the_first_unknown_entries_then_counts_the_rest(runner, tmp_path):
    from workshops.translate import catalog_import

    path = tmp_path / "messages.po"
    # One entry the catalog knows (left empty): a file of unknown entries only is refused whole.
    known = 'msgid "Sesiones"\nmsgstr ""\n\n'
    path.write_text(HEADER + known + _unknown_entries(catalog_import.SHOWN_ENTRIES + 7), encoding="utf-8")
    result = runner.invoke(args=["translate", "import", str(path), "--language", "agr"])
    assert result.exit_code == 0, result.output
    assert f"{catalog_import.SHOWN_ENTRIES + 7} not in the catalog" in result.output
    assert result.output.count("not in the catalog: ") == catalog_import.SHOWN_ENTRIES
    assert (
        "'desconocida 0'" in result.output
        and f"'desconocida {catalog_import.SHOWN_ENTRIES}'" not in result.output
    )
    assert "and 7 more" in result.output


def test_the_shipped_catalogs_are_well_inside_the_entry_limit():
    """The first start imports them through the same checks as an upload: they must never hit the limit."""

    for language in ("es", "agr"):
        for domain in ("messages", "curriculum"):
            path = catalogs.catalog_path(language, domain)
            entries = len(polib.pofile(str(path)))
            assert 0 < entries < catalog_import.MAX_ENTRIES / 2, (path, entries)
