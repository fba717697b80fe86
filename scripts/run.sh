#!/usr/bin/env bash
# Install everything and run the service on its embedded default:
# SQLite and files under instance/, migrations applied, demo data on first start,
# the scheduler inside the app process and the media server as a child process.
# Serves http://127.0.0.1:5000 until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export ODR_SCHEDULER_ENABLED="${ODR_SCHEDULER_ENABLED:-1}"
.venv/bin/flask --app wsgi db upgrade
exec .venv/bin/python -m odr.serve "$@"
