"""The translation store: catalog entries, translations, revisions, history, and runtime gettext."""
