"""The Simplified Chinese catalogue is complete, and every template string is in it."""

from __future__ import annotations

import re

import polib

from tests.conftest import ROOT

PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
# {% translate "..." %} / {% trans "..." %} with a literal, single- or double-quoted.
TAG = re.compile(r"""\{%\s*(?:translate|trans)\s+(["'])(.+?)\1""")


def test_every_catalogue_entry_is_translated_and_none_is_fuzzy():
    po = polib.pofile(str(PO))
    missing = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not missing, f"untranslated: {missing[:10]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:10]}"


def test_every_translate_tag_in_the_templates_has_a_catalogue_entry():
    known = {e.msgid for e in polib.pofile(str(PO))}
    absent, tags = set(), 0
    for template in ROOT.glob("**/templates/**/*.html"):
        if ".venv" in template.parts:
            continue
        for _, text in TAG.findall(template.read_text(encoding="utf-8")):
            tags += 1
            if text not in known:
                absent.add(f"{template.relative_to(ROOT)}: {text}")
    assert tags > 100, "the templates were not found"
    assert not absent, "run makemessages and translate: " + "; ".join(sorted(absent)[:10])
