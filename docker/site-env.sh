#!/usr/bin/env bash
# Write docker/site.env once, with fresh secrets: the settings every container of docker/compose.yaml reads.
# Then edit the host names in it (DJANGO_ALLOWED_HOSTS, DJANGO_CSRF_TRUSTED_ORIGINS) and the mail settings.
#
#   docker/site-env.sh [host name]     # default host: localhost; refuses to overwrite an existing site.env
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${SITE_ENV:-$here/site.env}
host=${1:-localhost}
if [ -e "$out" ]; then echo "$out exists: edit it, or remove it to start over (its secrets guard your data)" >&2; exit 1; fi
secret() { python3 -c "import secrets; print(secrets.token_urlsafe($1))"; }
pg_password=$(secret 24)
hosts=$host
[ "$host" = localhost ] || hosts="$host,localhost"  # localhost: the containers' health checks and your own curl
hosts="$hosts,127.0.0.1"
umask 077
cat >"$out" <<END
# Interview Track's settings for docker/compose.yaml (README "Configuration" lists every variable).
# Keep this file secret: it holds the keys to the database and to every session.
DJANGO_SECRET_KEY=$(secret 50)
DJANGO_ALLOWED_HOSTS=$hosts
DJANGO_CSRF_TRUSTED_ORIGINS=https://$host
# TLS ends at your reverse proxy: it must send X-Forwarded-Proto and be listed in TRUSTED_PROXIES (its address
# as the web container sees it, e.g. the compose network's gateway).
DJANGO_BEHIND_TLS_PROXY=true
TRUSTED_PROXIES=
# PostgreSQL (the postgres service initialises itself from these on first start) and Redis. To use the site's
# own servers instead, point these URLs at them.
POSTGRES_USER=interview_track
POSTGRES_DB=interview_track
POSTGRES_PASSWORD=$pg_password
DATABASE_URL=postgres://interview_track:$pg_password@postgres:5432/interview_track
CELERY_BROKER_URL=redis://redis:6379/0
CACHE_URL=redis://redis:6379/1
# /metrics answers private networks, or anyone presenting this token (Authorization: Bearer ...).
METRICS_TOKEN=$(secret 24)
LOG_FORMAT=json
# Mail (invitations, alarms): Django's SMTP backend.
DJANGO_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend
EMAIL_HOST=localhost
EMAIL_PORT=25
DEFAULT_FROM_EMAIL=interview-track@$host
DJANGO_ADMINS=
END
echo "wrote $out (mode 600): set your host names and mail server in it" >&2
