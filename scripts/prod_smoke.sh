#!/usr/bin/env bash
# Start the production shape once and ask it for an answer: collectstatic with the production
# settings (manifest storage), then gunicorn with oms/gunicorn.conf.py, a Celery worker and beat,
# against the PostgreSQL and Redis in DATABASE_URL / REDIS_URL (a migrated database). Checks
# /healthz (database and broker), a page with its static files, and a task run by the worker.
# Stops everything it started, by process id, whatever happens.
set -euo pipefail
[ -n "${PROD_SMOKE_DEBUG:-}" ] && set -x
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL to a migrated database}" "${REDIS_URL:?set REDIS_URL}"

work="$(mktemp -d /tmp/oms-prod-XXXX)"
port="${PROD_SMOKE_PORT:-8765}"
export DJANGO_ENV=production
export SECRET_KEY="$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(64))')"
export ALLOWED_HOSTS=127.0.0.1,localhost EMAIL_HOST=smtp.invalid SITE_URL="http://127.0.0.1:$port"
export STATIC_ROOT="$work/static" OMS_VAR_DIR="$work/var" GUNICORN_BIND="127.0.0.1:$port" GUNICORN_WORKERS=2
mkdir -p "$OMS_VAR_DIR"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

echo "-- collectstatic (production settings)"
.venv/bin/python manage.py collectstatic --noinput -v 0
echo "-- gunicorn, worker, beat"
.venv/bin/gunicorn oms.wsgi:application --config oms/gunicorn.conf.py >"$work/web.log" 2>&1 &
pids+=($!)
.venv/bin/celery -A oms worker --loglevel=INFO --concurrency=1 --hostname "smoke@%h" >"$work/worker.log" 2>&1 &
pids+=($!)
.venv/bin/celery -A oms beat --loglevel=INFO --schedule="$work/var/celerybeat-schedule" >"$work/beat.log" 2>&1 &
pids+=($!)

fail() { echo "production smoke: $1"; tail -n 40 "$work"/*.log; exit 1; }
for _ in $(seq 60); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 1
done
health="$(curl -sS "http://127.0.0.1:$port/healthz")" || fail "/healthz did not answer"
echo "/healthz: $health"
[ "$health" = '{"status": "ok", "checks": {"database": "ok", "broker": "ok"}}' ] || fail "/healthz is not ok"
# Behind the TLS proxy: X-Forwarded-Proto says https, so no redirect to https.
page="$(curl -fsS -H 'X-Forwarded-Proto: https' "http://127.0.0.1:$port/accounts/login/")" || fail "log-in page"
css="$(printf '%s' "$page" | grep -o '/static/vendor/bootstrap/bootstrap\.min\.[0-9a-f]*\.css' | head -n 1 || true)"
[ -n "$css" ] || fail "the page names no hashed (manifest) static file"
curl -fsS -o /dev/null -H 'X-Forwarded-Proto: https' "http://127.0.0.1:$port$css" || fail "static file $css"
echo "log-in page and $css served"
for _ in $(seq 60); do
  .venv/bin/celery -A oms inspect ping -d "smoke@$(hostname)" --timeout 2 >/dev/null 2>&1 && break
  sleep 1
done
.venv/bin/celery -A oms inspect ping -d "smoke@$(hostname)" --timeout 5 >/dev/null || fail "the worker does not answer"
echo "worker answers"
kill -0 "${pids[2]}" 2>/dev/null || fail "beat stopped"
echo "beat is running"
echo "production smoke passed"
