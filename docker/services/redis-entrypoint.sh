#!/bin/sh
# Redis with persistence: the append-only file on the data volume (the broker's queues and unacknowledged grading
# jobs survive a restart), run as the redis user in the foreground. REDIS_PASSWORD, when set, is required of clients.
set -eu
if [ "$(id -u)" = 0 ]; then
  mkdir -p /data
  chown -R redis:redis /data
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi
set -- --appendonly yes --appendfsync everysec --dir /data --bind 0.0.0.0 --port 6379 --protected-mode no \
  --save "" "$@"
[ -n "${REDIS_PASSWORD:-}" ] && set -- "$@" --requirepass "$REDIS_PASSWORD"
exec redis-server "$@"
