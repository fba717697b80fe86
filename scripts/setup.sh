#!/usr/bin/env bash
# Install what the project needs on a Debian machine (as root) and into .venv.
#   scripts/setup.sh          runtime: system libraries for WeasyPrint, CJK fonts, Python packages
#   scripts/setup.sh --dev    also what the tests need: poppler-utils, Chromium, iproute2, dev packages
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

DEV=0
[ "${1:-}" = "--dev" ] && DEV=1

SYSTEM_PKGS=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fontconfig fonts-noto-cjk)
[ "$DEV" = 1 ] && SYSTEM_PKGS+=(poppler-utils chromium chromium-driver iproute2 util-linux)
python3 -m venv --help >/dev/null 2>&1 || SYSTEM_PKGS+=(python3-venv python3-pip)

missing=()
for pkg in "${SYSTEM_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "setup: please install these Debian packages as root: ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing system packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi
REQ=requirements.txt
[ "$DEV" = 1 ] && REQ=requirements-dev.txt
stamp=".venv/.installed-$(sha256sum "$REQ" requirements.txt | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "setup: installing Python packages from $REQ"
  .venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v "is ignored" || true
  .venv/bin/python -m pip install -q -r "$REQ" 2>&1 | grep -v "is ignored" || true
  .venv/bin/python -c "import flask, weasyprint, aiortc" || { echo "setup: Python packages failed to install" >&2; exit 1; }
  touch "$stamp"
fi

# Translations are compiled from the committed .po catalogs (the .mo files are build output).
.venv/bin/pybabel compile -q -d odr/translations -f 2>/dev/null || .venv/bin/pybabel compile -d odr/translations -f

# Document fonts: a subset of the system Noto Serif CJK SC, built once (see the script).
[ -f odr/static/fonts/OdrSerifSC-Bold.ttf ] || .venv/bin/python scripts/build_fonts.py
