#!/usr/bin/env bash
# Build the PostgreSQL and Redis images with no container registry: one Debian root from debootstrap with
# Debian's postgresql-15 and redis-server, imported twice (the same layer, stored once) with each server's
# entrypoint. Tags are content hashes: an unchanged definition is built once and reused.
# A site that runs its own PostgreSQL and Redis skips these and names them by URL (docs/deploy.md).
#
#   docker/services/build.sh          # build (or reuse); prints POSTGRES_IMAGE=... and REDIS_IMAGE=... lines
#   docker/services/build.sh --tag    # only print them
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
suite=${SERVICES_SUITE:-bookworm}
mirror=${SERVICES_MIRROR:-${SANDBOX_MIRROR:-http://deb.debian.org/debian}}
packages=postgresql-15,redis-server,redis-tools
hash=$(printf '%s\n%s\n' "$suite" "$packages" | cat - "$here/build.sh" "$here/../debootstrap.sh" \
  "$here/postgres-entrypoint.sh" "$here/redis-entrypoint.sh" | sha256sum | cut -c1-12)
pg_tag="interview-track-postgres:15-$hash"
redis_tag="interview-track-redis:7-$hash"
say() { printf 'POSTGRES_IMAGE=%s\nREDIS_IMAGE=%s\n' "$pg_tag" "$redis_tag"; }
if [ "${1:-}" = "--tag" ]; then say; exit 0; fi
if docker image inspect "$pg_tag" >/dev/null 2>&1 && docker image inspect "$redis_tag" >/dev/null 2>&1; then
  say; exit 0
fi
# shellcheck source=../debootstrap.sh
. "$here/../debootstrap.sh"
debootstrap_root services "$packages" "$suite" "$mirror"
# The cluster Debian's package makes at install time is not used: the entrypoint initialises the data volume.
rm -rf "$rootfs"/var/lib/postgresql/15/main "$rootfs"/etc/postgresql/15/main
install -m 0755 "$here/postgres-entrypoint.sh" "$rootfs/usr/local/bin/postgres-entrypoint"
install -m 0755 "$here/redis-entrypoint.sh" "$rootfs/usr/local/bin/redis-entrypoint"
mkdir -p "$rootfs/var/lib/postgresql/data" "$rootfs/data"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc \
  "$rootfs"/usr/share/man "$rootfs"/usr/share/locale
tar -C "$rootfs" -c . >"$work/rootfs.tar"
docker import --change 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8' \
  --change 'ENV PGDATA=/var/lib/postgresql/data' --change 'EXPOSE 5432' \
  --change 'ENTRYPOINT ["/usr/local/bin/postgres-entrypoint"]' \
  --message "interview-track PostgreSQL 15 ($hash)" "$work/rootfs.tar" "$pg_tag" >/dev/null
docker import --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8' --change 'EXPOSE 6379' \
  --change 'ENTRYPOINT ["/usr/local/bin/redis-entrypoint"]' \
  --message "interview-track Redis 7 ($hash)" "$work/rootfs.tar" "$redis_tag" >/dev/null
say
