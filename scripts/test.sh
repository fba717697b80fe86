#!/usr/bin/env bash
# Install everything (system packages, .venv with the test tools) and run the whole suite:
#   1. lint (ruff);
#   2. the suite on SQLite;
#   3. the WebRTC and browser tests inside a loopback-only network namespace
#      (no packet can leave the machine; see DESIGN.md "Video on one machine");
#   4. the suite again on PostgreSQL when ODR_TEST_DATABASE_URL is set.
# Extra arguments go to pytest (e.g. -x, -k name).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev || exit 1

status=0
run() { echo "== $*"; "$@"; rc=$?; if [ $rc -ne 0 ] && [ $rc -ne 5 ]; then status=1; fi; }

run .venv/bin/ruff check .
export ARTIFACTS_DIR="${ARTIFACTS_DIR:-$PWD/artifacts}"
mkdir -p "$ARTIFACTS_DIR"

PG_URL="${ODR_TEST_DATABASE_URL:-}"
echo "== pytest on SQLite"
env -u ODR_TEST_DATABASE_URL .venv/bin/python -m pytest -q "$@"
rc=$?; [ $rc -ne 0 ] && [ $rc -ne 5 ] && status=1

if command -v unshare >/dev/null && unshare -n true 2>/dev/null; then
  echo "== pytest -m netns inside a loopback-only network namespace"
  env -u ODR_TEST_DATABASE_URL unshare -n sh -c 'ip link set lo up && ODR_IN_NETNS=1 exec .venv/bin/python -m pytest -q -m netns "$@"' sh "$@"
  rc=$?; [ $rc -ne 0 ] && [ $rc -ne 5 ] && status=1
else
  echo "== cannot create a network namespace here (need root): WebRTC and browser tests skipped" >&2
fi

if [ -n "$PG_URL" ]; then
  echo "== pytest on PostgreSQL ($PG_URL)"
  ODR_TEST_DATABASE_URL="$PG_URL" .venv/bin/python -m pytest -q "$@"
  rc=$?; [ $rc -ne 0 ] && [ $rc -ne 5 ] && status=1
fi
echo "screenshots and other test artifacts: $ARTIFACTS_DIR"
exit $status
