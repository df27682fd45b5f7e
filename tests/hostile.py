"""Hostile values for the generated input test: Hypothesis strategies and the fields each route reads.

The fields of a route are found three ways, so that one the page does not show today is still sent:
the forms the GET pages render (input, select, textarea names, with the values they offer), the
WTForms classes a view names, and the request.form / request.args / request.files keys its source reads.
"""

import inspect
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from hypothesis import strategies as st
from wtforms.fields.core import UnboundField

# Values that broke web apps before: sizes, control characters, NUL (PostgreSQL refuses it in text),
# numbers past every integer type, dates at the ends of the calendar, markup and SQL.
HOSTILE_TEXTS = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n",
    "x\r\nSet-Cookie: a=b",
    "\t\x0b\x0c\x1b\x7f",
    "\u202e\u200b\ufeff",
    "\ud7ff\ue000\uffff",
    "\U0001f600" * 40,
    "e\u0301" * 30,
    "x" * 300,
    "á" * 5000,
    "-1",
    "0",
    "-0",
    "1e309",
    "NaN",
    "inf",
    "1.5",
    str(10**30),
    str(-(10**30)),
    str(2**63),
    str(2**63 - 1),
    str(-(2**63) - 1),
    str(2**31),
    "9999-12-31",
    "0001-01-01",
    "0000-00-00",
    "2026-02-30",
    "10000-01-01",
    "9999-12-31T23:59:59",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%s%(x)s{0}",
    "../../etc/passwd",
    "//evil.example/",
    "javascript:alert(1)",
)

HOSTILE_NUMBERS = (0, -1, 1, 2**31, 2**63, -(2**63) - 1, 10**30, -(10**30))


def text_values():
    """One hostile string: a known one, or one Hypothesis makes (any code point but surrogates)."""
    return st.one_of(
        st.sampled_from(HOSTILE_TEXTS),
        st.text(max_size=40),
        st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=10),
        st.integers(min_value=-(10**40), max_value=10**40).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.dates().map(lambda day: day.isoformat()),
    )


def field_value(offered):
    """A value for one form field: hostile, or one the page offers (so that the others get through)."""
    choices = [text_values(), st.lists(text_values(), min_size=2, max_size=3)]
    if offered:
        choices.append(st.sampled_from(sorted(offered)))
    return st.one_of(*choices)


def json_values():
    """Any JSON value, hostile scalars at the leaves and nesting up to a few levels."""
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.sampled_from(HOSTILE_NUMBERS),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        text_values(),
    )
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)
        ),
        max_leaves=8,
    )


# --- Which fields each route reads -------------------------------------------------------------


@dataclass
class Form:
    method: str
    path: str
    # name -> the values the page offers (select options, prefilled values, checkbox values)
    fields: dict = field(default_factory=dict)
    files: set = field(default_factory=set)


class FormParser(HTMLParser):
    """Collect every form of a page with its field names and the values the page offers."""

    def __init__(self, page_path):
        super().__init__(convert_charrefs=True)
        self.page_path = page_path
        self.forms = []
        self.current = None
        self.select = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            action = urlsplit(attributes.get("action") or self.page_path).path or self.page_path
            self.current = Form((attributes.get("method") or "get").upper(), action)
            self.forms.append(self.current)
            return
        owner = self.current
        if owner is None:
            return
        if tag == "option" and self.select is not None:
            owner.fields[self.select].add(attributes.get("value", ""))
            return
        name = attributes.get("name")
        if tag == "button" and attributes.get("formaction"):
            # A button that posts its form elsewhere: that route reads the same fields.
            owner = Form(owner.method, urlsplit(attributes["formaction"]).path, owner.fields)
            self.forms.append(owner)
        if not name or tag not in ("input", "select", "textarea", "button"):
            return
        if attributes.get("type") == "file":
            owner.files.add(name)
            return
        owner.fields.setdefault(name, set())
        if tag == "select":
            self.select = name
        elif attributes.get("value") is not None:
            owner.fields[name].add(attributes["value"])

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None


def page_forms(path, html):
    parser = FormParser(path)
    parser.feed(html)
    return parser.forms


SOURCE_KEY = re.compile(
    r"request\.(form|args|files)\.(?:get|getlist)\(\s*\"([^\"]+)\"|request\.(form|args|files)\[\"([^\"]+)\"\]"
)
FORM_CLASS = re.compile(r"\b([A-Z]\w*Form)\(")


def source_fields(view):
    """Field names a view and its module read from the request, and its WTForms classes' fields."""
    module = inspect.getmodule(view)
    source = inspect.getsource(view)
    found = {"form": set(), "args": set(), "files": set()}
    for match in SOURCE_KEY.finditer(source):
        kind, name = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
        found[kind].add(name)
    for class_name in FORM_CLASS.findall(source):
        form_class = getattr(module, class_name, None)
        if form_class is None:
            continue
        for klass in inspect.getmro(form_class):
            for name, value in vars(klass).items():
                if isinstance(value, UnboundField) and name != "csrf_token":
                    found["files" if "File" in value.field_class.__name__ else "form"].add(name)
    return found
