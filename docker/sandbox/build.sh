#!/usr/bin/env bash
# Build the CPU sandbox image with no container registry at all, as an air-gapped site would:
# a Debian base from debootstrap, imported with `docker import`, plus Python packages installed
# from PyPI (or local wheels via PIP_FIND_LINKS). The tag is a hash of this folder, so an
# unchanged definition is built once and reused.
#
#   docker/sandbox/build.sh            # prints the image tag
#   SANDBOX_MIRROR=http://deb.debian.org/debian docker/sandbox/build.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
suite=${SANDBOX_SUITE:-bookworm}
mirror=${SANDBOX_MIRROR:-http://deb.debian.org/debian}
hash=$(cat "$here/build.sh" "$here/requirements.txt" | sha256sum | cut -c1-12)
tag="interview-track-sandbox:cpu-$hash"

if docker image inspect "$tag" >/dev/null 2>&1; then echo "$tag"; exit 0; fi
command -v debootstrap >/dev/null || { echo "debootstrap is needed: apt-get install debootstrap" >&2; exit 2; }

work=$(mktemp -d /var/tmp/sandbox-build.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
echo "debootstrap $suite from $mirror" >&2
debootstrap --variant=minbase --include=python3,python3-distutils,libgomp1,ca-certificates \
  "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || { tail -30 "$work/debootstrap.log" >&2; exit 1; }
pyver=$(chroot "$rootfs" python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
site="$rootfs/usr/local/lib/python$pyver/dist-packages"
mkdir -p "$site"
# The host's pip installs for the image's Python (same minor version, manylinux wheels only).
python3 -m pip install --quiet --no-compile --only-binary=:all: --python-version "$pyver" \
  --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 --target "$site" -r "$here/requirements.txt"
# Unprivileged users for candidate (65534 exists as nobody) and reference (65533) processes.
echo "reference:x:65533:65533:reference:/nonexistent:/usr/sbin/nologin" >>"$rootfs/etc/passwd"
echo "reference:x:65533:" >>"$rootfs/etc/group"
mkdir -p "$rootfs/sandbox"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc "$rootfs"/usr/share/man
# Byte-compile everything now: the root is read-only at run time, so without .pyc files every job
# would recompile pytest, numpy and torch's Python from source.
chroot "$rootfs" python3 -m compileall -q -j 0 /usr/lib/python3 "/usr/lib/python$pyver" \
  "/usr/local/lib/python$pyver/dist-packages" >/dev/null || true
chroot "$rootfs" python3 -c 'import torch, numpy, pytest, jiwer, pocketsphinx' || { echo "image self-check failed" >&2; exit 1; }
tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin PYTHONDONTWRITEBYTECODE=1 LANG=C.UTF-8' \
  --change 'WORKDIR /sandbox' --message "interview-track sandbox ($hash)" - "$tag" >/dev/null
echo "$tag"
