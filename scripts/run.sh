#!/usr/bin/env bash
# Start the web server and a real Celery worker (with its scheduler); Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
port="${1:-8000}"
bin=.venv/bin

# Two worker processes (a rescore's blocks are shared between them), below the web server's CPU
# priority so reps' pages stay quick while the model learns.
nice -n 10 "$bin/celery" -A config worker -B --loglevel=WARNING --concurrency=2 \
  --schedule var/celerybeat-schedule &
worker=$!
trap 'kill "$worker" 2>/dev/null; wait "$worker" 2>/dev/null; exit 0' INT TERM EXIT

echo
echo "Leadloop is running at http://127.0.0.1:${port}/"
echo "  database: ${DATABASE_URL:-SQLite file var/leadloop.sqlite3}"
echo "  broker:   ${CELERY_BROKER_URL:-filesystem broker in var/broker (no server needed)}"
echo "  logins:   riley / leadloop-rep (rep), morgan / leadloop-manager (manager), alex / leadloop-admin (admin)"
echo "Press Ctrl-C to stop the web server and the worker."
echo
"$bin/python" manage.py runserver "127.0.0.1:${port}" --noreload
