"""Simplified Chinese is the default: every English string in the code has a translation,
with the same placeholders, and the catalog compiles."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "odr/translations/zh_Hans_CN/LC_MESSAGES/messages.po"
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}


def _source_msgids() -> set[str]:
    found: set[str] = set()
    method_map = [("odr/**.py", "python"), ("templates/**.html", "jinja2")]
    for _file, _line, message, _comments, _ctx in extract_from_dir(str(ROOT), method_map, keywords=KEYWORDS):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_string_has_a_chinese_translation() -> None:
    catalog = read_po(PO.open("rb"), locale="zh_Hans_CN")
    translated = {(m.id[0] if isinstance(m.id, tuple) else m.id):
                  (all(m.string) if isinstance(m.string, tuple) else m.string) for m in catalog if m.id}
    missing = sorted(m for m in _source_msgids() if not translated.get(m))
    assert not missing, f"{len(missing)} strings lack a Chinese translation (run scripts/i18n.sh and translate): {missing[:20]}"


def test_placeholders_survive_translation() -> None:
    catalog = read_po(PO.open("rb"), locale="zh_Hans_CN")
    for message in catalog:
        if not message.id or not message.string:
            continue
        if isinstance(message.id, tuple):
            wanted_plural = sorted(re.findall(r"%\(\w+\)[sd]", message.id[0]))
            for form in message.string:
                assert sorted(re.findall(r"%\(\w+\)[sd]", form)) == wanted_plural, message.id
            continue
        wanted = sorted(re.findall(r"%\(\w+\)[sd]", message.id))
        assert sorted(re.findall(r"%\(\w+\)[sd]", message.string)) == wanted, message.id
