#!/usr/bin/env bash
# Build the application image (one image for web, workers, beat and the one-off commands) with no container
# registry, as docker/sandbox/build.sh builds the sandbox: a Debian base from debootstrap with the system
# libraries and the Python packages (PyPI, or a local mirror through PIP_INDEX_URL / PIP_FIND_LINKS), imported
# with `docker import`; then the application's files on top (`docker build` FROM that local image: nothing is
# pulled). Both tags are content hashes, so an unchanged base or application is built once and reused.
#
#   docker/app/build.sh          # build (or reuse) and print the application image's tag
#   docker/app/build.sh --tag    # only print the tag it would have
#   APP_MIRROR=http://deb.debian.org/debian docker/app/build.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"
suite=${APP_SUITE:-bookworm}
mirror=${APP_MIRROR:-${SANDBOX_MIRROR:-http://deb.debian.org/debian}}
# Debian's packages the app needs at run time: Python 3.11, Pango for WeasyPrint's PDFs, pg_dump/pg_restore for
# `manage.py backup`/`restore` (PostgreSQL 15: the same major version as the server image), tini as PID 1.
packages=python3,python3-venv,ca-certificates,libpango-1.0-0,libpangoft2-1.0-0,fonts-dejavu-core,postgresql-client-15,tini

requirements=$(python3 "$here/requirements.py" pyproject.toml)
base_hash=$(printf '%s\n%s\n%s\n' "$suite" "$packages" "$requirements" \
  | cat - "$here/build.sh" "$here/../debootstrap.sh" | sha256sum | cut -c1-12)
base_tag="interview-track-app-base:$base_hash"

# The application's files: what git tracks or would track (not ignored), less what the image never runs.
files() {
  git ls-files -co --exclude-standard | grep -Ev '^(tests|bench|\.ci)/' | while IFS= read -r f; do
    [ -f "$f" ] && printf '%s\n' "$f"; done | LC_ALL=C sort
}
app_hash=$( { echo "$base_tag"; files | tr '\n' '\0' | xargs -0 sha256sum; } | sha256sum | cut -c1-12)
tag="interview-track-app:$app_hash"
if [ "${1:-}" = "--tag" ]; then echo "$tag"; exit 0; fi
if docker image inspect "$tag" >/dev/null 2>&1; then echo "$tag"; exit 0; fi

if ! docker image inspect "$base_tag" >/dev/null 2>&1; then
  # shellcheck source=../debootstrap.sh
  . "$here/../debootstrap.sh"
  debootstrap_root app-base "$packages" "$suite" "$mirror"  # once per dependency set
  printf '%s\n' "$requirements" >"$rootfs/tmp/requirements.txt"
  cp /etc/resolv.conf "$rootfs/etc/resolv.conf"  # pip inside the chroot reaches the package index by name
  # The host's CA bundle, for this build only: a site whose egress goes through an intercepting proxy trusts its
  # CA on the host, not in a fresh Debian.
  cp -L /etc/ssl/certs/ca-certificates.crt "$rootfs/tmp/host-ca.crt"
  chroot "$rootfs" python3 -m venv /opt/venv
  # PIP_* from the environment (an index mirror on an air-gapped site) reach pip through chroot's inherited env.
  # (requests prefers REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE to pip's own --cert when they are set: all of them.)
  PIP_CERT=/tmp/host-ca.crt REQUESTS_CA_BUNDLE=/tmp/host-ca.crt CURL_CA_BUNDLE=/tmp/host-ca.crt \
  SSL_CERT_FILE=/tmp/host-ca.crt PIP_FIND_LINKS="" chroot "$rootfs" /opt/venv/bin/pip install --quiet --no-cache-dir \
    --disable-pip-version-check --only-binary=:all: -r /tmp/requirements.txt
  chroot "$rootfs" /opt/venv/bin/python -c 'import django, celery, weasyprint, psycopg, xmlsec, numpy' \
    || { echo "application base self-check failed" >&2; exit 1; }
  # The unprivileged user every process of the app runs as; its data folder (a volume in compose).
  echo "app:x:10001:10001:interview-track:/var/lib/interview-track:/usr/sbin/nologin" >>"$rootfs/etc/passwd"
  echo "app:x:10001:" >>"$rootfs/etc/group"
  mkdir -p "$rootfs/var/lib/interview-track" "$rootfs/app"
  chown 10001:10001 "$rootfs/var/lib/interview-track"
  : >"$rootfs/etc/resolv.conf"
  rm -rf "$rootfs/tmp/requirements.txt" "$rootfs/tmp/host-ca.crt" "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/usr/share/doc "$rootfs"/usr/share/man
  chroot "$rootfs" /opt/venv/bin/python -m compileall -q -j 0 /opt/venv/lib >/dev/null || true
  tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/opt/venv/bin:/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8' \
    --message "interview-track application base ($base_hash)" - "$base_tag" >/dev/null
  echo "built $base_tag" >&2
fi

commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
# The application layer: the files above as the build context (a tar on stdin, so nothing else is sent).
# DOCKER_BUILDKIT=0: the classic builder ships with every engine; BuildKit needs the buildx plugin.
files | tar -c -T - -f - --owner=0 --group=0 \
  | DOCKER_BUILDKIT=0 docker build -q -f docker/app/Dockerfile --build-arg "BASE=$base_tag" \
      --build-arg "GIT_COMMIT=$commit" --label "org.opencontainers.image.revision=$commit" -t "$tag" - >&2
# Older builds: keep the newest few of each (a rollback needs the previous one); an image a container still uses is
# not removed (docker refuses), whatever its age.
prune() {  # $1: repository, $2: how many to keep
  docker images "$1" --format '{{.Repository}}:{{.Tag}}' | tail -n +"$(($2 + 1))" \
    | xargs -r docker rmi >/dev/null 2>&1 || true
}
prune interview-track-app "${APP_IMAGES_KEPT:-3}"
prune interview-track-app-base 2
echo "$tag"
