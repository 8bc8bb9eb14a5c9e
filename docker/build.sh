#!/usr/bin/env bash
# Build every image a deployment runs, offline (no container registry: debootstrap, Debian's packages and PyPI or
# a local mirror), each tagged by a hash of its definition and reused while unchanged; then write their tags to
# docker/images.env for `docker compose --env-file docker/images.env`.
#
#   docker/build.sh          # application, PostgreSQL, Redis and CPU sandbox images
#   docker/build.sh --gpu    # also the GPU sandbox image (for docker compose --profile gpu)
#   docker/build.sh --print  # only print what images.env would hold (nothing built)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
gpu=false; print=false
for arg in "$@"; do
  case "$arg" in
    --gpu) gpu=true ;;
    --print) print=true ;;
    *) echo "usage: docker/build.sh [--gpu] [--print]" >&2; exit 2 ;;
  esac
done
if $print; then
  app=$("$here/app/build.sh" --tag); services=$("$here/services/build.sh" --tag); sandbox=$("$here/sandbox/build.sh" --tag)
else
  docker info >/dev/null 2>&1 || { echo "no Docker engine answers: start dockerd (docs/deploy.md)" >&2; exit 2; }
  echo "== sandbox image" >&2; sandbox=$("$here/sandbox/build.sh")
  echo "== PostgreSQL and Redis images" >&2; services=$("$here/services/build.sh")
  echo "== application image" >&2; app=$("$here/app/build.sh")
fi
gpu_image=""
$gpu && gpu_image=$("$here/sandbox/build.sh" --gpu)
socket=${SANDBOX_DOCKER_SOCKET:-/var/run/docker.sock}
out=$(cat <<END
# Written by docker/build.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ): the images' tags, for docker compose --env-file.
APP_IMAGE=$app
$services
SANDBOX_IMAGE=$sandbox
SANDBOX_GPU_IMAGE=$gpu_image
# The group that may use the sandbox engine's socket (the workers join it).
SANDBOX_DOCKER_SOCKET=$socket
DOCKER_GID=$(stat -c %g "$socket" 2>/dev/null || echo 999)
END
)
if $print; then echo "$out"; else echo "$out" >"${IMAGES_ENV:-$here/images.env}"; echo "$out"; fi
