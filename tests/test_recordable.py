"""Which curriculum texts can be recorded, under which stable id, with which Spanish text (curriculum.recordable).

The rule is the curriculum catalog itself: every text a translator translates can
be recorded, under its msgctxt, and read in the order of the module file.
"""

import sqlalchemy as sa

from workshops.curriculum import recordable
from workshops.curriculum.models import Module
from workshops.extensions import db
from workshops.translate import extract


def catalog_by_module():
    """Return {module slug: [(context, Spanish text)]} of the curriculum catalog, in its order."""
    found: dict[str, list[tuple[str, str]]] = {}
    for entry in extract.curriculum_template():
        found.setdefault(entry.context.split(".", 1)[0], []).append((entry.context, entry.msgid))
    return found


def test_every_recordable_text_is_a_curriculum_catalog_text_in_document_order(app):
    catalog = catalog_by_module()
    with app.app_context():
        modules = db.session.scalars(sa.select(Module).order_by(Module.number)).all()
        assert {module.slug for module in modules} == set(catalog)
        for module in modules:
            texts = recordable.module_texts(module)
            assert list(texts.items()) == catalog[module.slug], module.slug
            kinds = {context.removeprefix(module.slug + ".").split(".")[-1] for context in texts}
            assert {"title", "summary", "term", "definition"} <= kinds  # titles, section titles, key terms
            assert any(context.count(".") == 2 and context.endswith(".title") for context in texts)


def test_the_texts_of_every_module_are_read_in_four_queries(app, count_queries):
    with app.app_context():
        lazily = {
            module.slug: recordable.module_texts(module)
            for module in db.session.scalars(sa.select(Module).order_by(Module.number))
        }
        db.session.expunge_all()
        with count_queries() as statements:
            texts = recordable.texts_by_module()
        assert len(statements) == 4
        assert list(texts) == list(lazily) and texts == lazily
        with count_queries() as statements:
            some = recordable.texts_by_module([next(iter(lazily)), "no-such-module"])
        assert len(statements) == 4 and some == {next(iter(lazily)): lazily[next(iter(lazily))]}
