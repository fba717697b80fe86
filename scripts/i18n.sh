#!/usr/bin/env bash
# Refresh the Chinese catalog from the code: extract English msgids, merge into messages.po.
# Then translate the new entries (msgstr "") and run the suite (tests/test_translations.py).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o /tmp/odr-messages.pot . >/dev/null
if [ -f odr/translations/zh_Hans_CN/LC_MESSAGES/messages.po ]; then
  .venv/bin/pybabel update -i /tmp/odr-messages.pot -d odr/translations -l zh_Hans_CN --no-fuzzy-matching --ignore-obsolete
else
  .venv/bin/pybabel init -i /tmp/odr-messages.pot -d odr/translations -l zh_Hans_CN
fi
.venv/bin/pybabel compile -d odr/translations -f >/dev/null
