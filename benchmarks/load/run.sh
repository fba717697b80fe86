#!/usr/bin/env bash
# Load test: gunicorn (several workers) on PostgreSQL at province scale, driven by locust
# (benchmarks/load/locustfile.py) in steps of increasing users. For each step it prints
# requests/s, p50/p95/p99 and errors, and at the end the highest sustained requests/s
# with p99 < 500 ms and zero errors. Targets 127.0.0.1 only; stops by itself.
#
#   bash benchmarks/load/run.sh
#
# Environment (all optional):
#   ODR_LOAD_DATABASE_URL  PostgreSQL URL of a database it may create and fill
#                          (default postgresql+psycopg://postgres@127.0.0.1:5432/odr_load)
#   LOAD_PORT              gunicorn port on 127.0.0.1 (default 8099)
#   LOAD_WORKERS           gunicorn workers (default 4)
#   LOAD_STEPS             users per step (default "2 5 10 25 50 100")
#   LOAD_STEP_SECONDS      duration of each step (default 60)
#   LOAD_OUT               where CSVs and logs go (default benchmarks/out/load)
#   LOAD_RESET=1           drop the database first (e.g. after the migrations were rewritten)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
DB_URL="${ODR_LOAD_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/odr_load}"
PORT="${LOAD_PORT:-8099}"
WORKERS="${LOAD_WORKERS:-4}"
STEPS="${LOAD_STEPS:-2 5 10 25 50 100}"
STEP_SECONDS="${LOAD_STEP_SECONDS:-60}"
OUT="${LOAD_OUT:-$ROOT/benchmarks/out/load}"
mkdir -p "$OUT"

case "$DB_URL" in
  postgresql*) ;;
  *) echo "ODR_LOAD_DATABASE_URL must be PostgreSQL" >&2; exit 2 ;;
esac

export ODR_DATABASE_URL="$DB_URL"
export ODR_INSTANCE_PATH="${ODR_LOAD_INSTANCE:-$OUT/instance}"
export ODR_SECRET_KEY="${ODR_SECRET_KEY:-load-test-secret-key}"
export ODR_PUBLIC_URL="http://127.0.0.1:$PORT"
export ODR_SCHEDULER_ENABLED=0
# Every simulated user comes from 127.0.0.1: the per-client login limit would otherwise
# refuse all but the first ten logins a minute. The limiter itself stays on.
export ODR_LOGIN_RATE_LIMIT="${ODR_LOGIN_RATE_LIMIT:-100000 per minute}"
mkdir -p "$ODR_INSTANCE_PATH"

echo "== database $DB_URL"
.venv/bin/python - "$DB_URL" "${LOAD_RESET:-0}" <<'EOF'
import sys
from sqlalchemy import create_engine, text
url = sys.argv[1]
base, name = url.rsplit("/", 1)
engine = create_engine(base + "/postgres", isolation_level="AUTOCOMMIT")
with engine.connect() as conn:
    if sys.argv[2] == "1":
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        print(f"dropped database {name}")
    if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        print(f"created database {name}")
engine.dispose()
EOF
.venv/bin/flask --app wsgi db upgrade || {
  echo "migrating $DB_URL failed; if its revision is gone, run again with LOAD_RESET=1" >&2; exit 1; }
echo "== seeding (idempotent: a second run skips what is there)"
for scale in county province; do
  .venv/bin/flask --app wsgi odr seed-demo --scale "$scale" >"$OUT/seed-$scale.log"
  head -1 "$OUT/seed-$scale.log"
done

# What autovacuum does on a live server (this shared development server runs with it off):
# without statistics after a bulk load the planner picks sequential scans.
echo "== VACUUM ANALYZE"
.venv/bin/python - "$DB_URL" <<'EOF2'
import sys
from sqlalchemy import create_engine, text
engine = create_engine(sys.argv[1], isolation_level="AUTOCOMMIT")
with engine.connect() as conn:
    conn.execute(text("VACUUM ANALYZE"))
engine.dispose()
EOF2

echo "== gunicorn -w $WORKERS on 127.0.0.1:$PORT"
.venv/bin/gunicorn -w "$WORKERS" -b "127.0.0.1:$PORT" --timeout 60 --access-logfile /dev/null \
  --error-logfile "$OUT/gunicorn.log" wsgi:app &
GUNICORN=$!
trap 'kill "$GUNICORN" 2>/dev/null; wait "$GUNICORN" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  if .venv/bin/python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$PORT/healthz', timeout=2)" 2>/dev/null; then
    break
  fi
  sleep 0.5
done

# warm-up (not counted): every worker imports its lazy modules, compiles its templates
# and opens its database connections before the first measured step
.venv/bin/locust -f benchmarks/load/locustfile.py --headless --only-summary --host "http://127.0.0.1:$PORT" \
  -u 8 -r 4 --run-time "${LOAD_WARMUP_SECONDS:-30}s" --loglevel WARNING >"$OUT/warmup.log" 2>&1 || true

SUMMARY="$OUT/summary.txt"
echo "machine: $(nproc) CPUs; load average before the steps: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$SUMMARY"
printf "%-6s %9s %7s %7s %7s %9s %7s  %s\n" users "req/s" p50ms p95ms p99ms requests errors "loadavg(1m)" | tee -a "$SUMMARY"
for users in $STEPS; do
  prefix="$OUT/step_$users"
  .venv/bin/locust -f benchmarks/load/locustfile.py --headless --only-summary \
    --host "http://127.0.0.1:$PORT" -u "$users" -r "$users" --run-time "${STEP_SECONDS}s" \
    --stop-timeout 10 --csv "$prefix" --loglevel WARNING >"$prefix.log" 2>&1 || true
  line=$(.venv/bin/python - "$prefix" "$users" <<'EOF'
import csv, sys
prefix, users = sys.argv[1], sys.argv[2]
row = next(r for r in csv.DictReader(open(prefix + "_stats.csv")) if r["Name"] == "Aggregated")
load = open("/proc/loadavg").read().split()[0]
print(f'{users:<6} {float(row["Requests/s"]):9.1f} {row["50%"]:>7} {row["95%"]:>7} {row["99%"]:>7} '
      f'{row["Request Count"]:>9} {row["Failure Count"]:>7}  {load}')
EOF
)
  echo "$line" | tee -a "$SUMMARY"
  p99=$(echo "$line" | awk '{print $5}')
  if [ "${p99%.*}" -gt 3000 ]; then
    echo "p99 above 3 s: past saturation, stopping" | tee -a "$SUMMARY"
    break
  fi
done

echo "== highest sustained load with p99 < 500 ms and zero errors" | tee -a "$SUMMARY"
awk '$1 ~ /^[0-9]+$/ && $5 + 0 < 500 && $7 == 0 && $2 + 0 > best { best = $2 + 0; line = $0 }
     END { if (line) print line; else print "none of the steps met it" }' "$SUMMARY" | tee -a "$SUMMARY"
echo "CSVs and logs: $OUT"
