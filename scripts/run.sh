#!/usr/bin/env bash
# Start the web server and a real Celery worker (with its scheduler, beat); Ctrl-C or SIGTERM stops
# both within a few seconds: a polite stop first, then a cold one for a worker still busy (its
# tasks are acknowledged late, so an interrupted one is delivered again on the next start).
set -uo pipefail
cd "$(dirname "$0")/.."
port="${1:-8000}"
bin=.venv/bin
grace="${LEADLOOP_STOP_GRACE:-5}"  # seconds a busy worker gets to finish before a cold stop
if ! [[ "$grace" =~ ^[0-9]+$ ]] || (( 10#$grace < 1 )); then
  echo "LEADLOOP_STOP_GRACE must be a whole number of seconds, 1 or more (got '$grace')" >&2
  exit 2
fi
grace=$((10#$grace))

# Two worker processes (a rescore's blocks are shared between them), below the web server's CPU
# priority so reps' pages stay quick while the model learns. In a process group of its own, so a
# stop reaches its pool and its beat too.
setsid nice -n 10 "$bin/celery" -A config worker -B --loglevel=WARNING --concurrency=2 \
  --schedule "${LEADLOOP_VAR_DIR:-var}/celerybeat-schedule" &
worker=$!
"$bin/python" manage.py runserver "127.0.0.1:${port}" --noreload &
web=$!

alive() { kill -0 "$1" 2>/dev/null; }

stop() {
  trap '' INT TERM
  echo
  echo "Stopping the web server and the worker…"
  exec 2>/dev/null  # no "Terminated"/"Quit" job notices from this shell (the two keep their own output)
  kill -TERM "$web" 2>/dev/null
  kill -TERM "$worker" 2>/dev/null  # warm shutdown: the worker finishes the task in hand, stops its pool and beat
  for _ in $(seq $((grace * 10))); do
    if ! alive "$worker" && ! alive "$web"; then break; fi
    sleep 0.1
  done
  if alive "$worker"; then
    echo "The worker has not stopped after ${grace} s: stopping it cold (a task it was running runs again on the next start)."
    kill -QUIT "$worker" 2>/dev/null
    for _ in $(seq 20); do alive "$worker" || break; sleep 0.1; done
  fi
  kill -KILL -- "-$worker" 2>/dev/null
  kill -KILL "$web" 2>/dev/null
  wait 2>/dev/null
  echo "Stopped."
  exit 0
}
trap stop INT TERM

echo
echo "Leadloop is running at http://127.0.0.1:${port}/"
echo "  database: ${DATABASE_URL:-SQLite file var/leadloop.sqlite3}"
echo "  broker:   ${CELERY_BROKER_URL:-filesystem broker in var/broker (no server needed)}"
echo "  logins:   riley / leadloop-rep (rep), morgan / leadloop-manager (manager), alex / leadloop-admin (admin)"
echo "Press Ctrl-C to stop the web server and the worker."
echo

# Either one ending (the port is taken, the worker cannot start) stops the other.
wait -n "$web" "$worker"
stop
