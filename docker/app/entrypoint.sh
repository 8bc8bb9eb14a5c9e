#!/usr/bin/env bash
# The application image's commands (docker/compose.yaml and docker/kubernetes/ name them):
#   web      gunicorn (webapp/gunicorn.conf.py): the pages, the API, /healthz, /readyz, /metrics
#   worker   a Celery worker on CELERY_QUEUES (default: default,grading-cpu,grading-visible; GPU hosts: grading-gpu)
#   beat     the one Celery beat of the deployment (sweeps, reconciliation, retention, webhooks)
#   init     once per deploy, before the rest start: migrate, load the content, rebuild the roles
#   manage   any manage.py command (backup, restore, createsuperuser, sync_content --check...)
set -euo pipefail
cd /app
cmd=${1:-web}
[ $# -gt 0 ] && shift
# Prometheus' multiprocess files: the container's main process (web, worker, beat) starts with an empty folder, so
# they describe this container's life only. Anything else (`exec ... manage shell`, `init`) counts in a folder of its
# own: emptying or writing the server's would corrupt what /metrics reports.
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
  case "$cmd" in
    web|worker|beat) rm -rf "${PROMETHEUS_MULTIPROC_DIR:?}"/* 2>/dev/null || true ;;
    *) PROMETHEUS_MULTIPROC_DIR=$(mktemp -d /tmp/metrics-oneoff.XXXXXX); export PROMETHEUS_MULTIPROC_DIR ;;
  esac
  mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
fi
case "$cmd" in
  web)
    exec gunicorn -c webapp/gunicorn.conf.py webapp.wsgi "$@" ;;
  worker)
    # The node name carries the host's name, so the operations page and `celery inspect` tell hosts apart.
    exec celery -A webapp worker -Q "${CELERY_QUEUES:-default,grading-cpu,grading-visible}" \
      -n "celery@${WORKER_HOSTNAME:-$(hostname)}" --concurrency "${CELERY_CONCURRENCY:-2}" \
      -l "${LOG_LEVEL:-INFO}" "$@" ;;
  beat)
    exec celery -A webapp beat -l "${LOG_LEVEL:-INFO}" \
      -s "${INTERVIEW_TRACK_VAR_DIR:-/var/lib/interview-track}/celerybeat-schedule" "$@" ;;
  init)
    python manage.py migrate --noinput
    python manage.py sync_content
    python manage.py check --deploy --fail-level ERROR
    echo "init: database migrated and content loaded" ;;
  manage)
    exec python manage.py "$@" ;;
  *)
    exec "$cmd" "$@" ;;
esac
