#!/bin/sh
# A longer schemathesis run against the live app, authenticated as each role.
# Usage: scripts/schemathesis.sh [examples per operation, default 50]
# (ODR_TEST_DATABASE_URL=postgresql://... to run it on PostgreSQL.)
set -eu
cd "$(dirname "$0")/.."
ODR_SCHEMATHESIS_EXAMPLES="${1:-50}" exec .venv/bin/python -m pytest -q \
  tests/api/test_schemathesis_live.py -p no:cacheprovider
