#!/usr/bin/env bash
# Regenerate the single initial migration from the models (only while nothing is deployed),
# then append the PostgreSQL-only append-only trigger for the audit table.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f migrations/versions/*.py
ODR_INSTANCE_PATH="$tmp" .venv/bin/flask --app wsgi db migrate -m "initial schema" >/dev/null
file=$(ls migrations/versions/*.py)
.venv/bin/python - "$file" <<'PY'
import re, sys
path = sys.argv[1]
src = open(path).read()
trigger_up = '''
    if op.get_bind().dialect.name == "postgresql":
        # The audit trail is append-only: UPDATE and DELETE are refused by the database itself.
        op.execute("""
            CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit_event is append-only';
            END $$;
        """)
        op.execute("CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
                   "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()")
'''
trigger_down = '''
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
'''
up_end = src.index("\ndef downgrade")
src = src[:up_end].rstrip() + "\n" + trigger_up + "\n" + src[up_end:]
src = src.replace("def downgrade():\n", "def downgrade():\n" + trigger_down, 1)
open(path, "w").write(src)
PY
rm -rf "$tmp"
echo "wrote $file"
