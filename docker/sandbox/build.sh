#!/usr/bin/env bash
# Build the sandbox image with no container registry at all, as an air-gapped site would:
# a Debian base from debootstrap, imported with `docker import`, plus Python packages installed
# from PyPI (or local wheels via PIP_FIND_LINKS). The tag is a hash of the definition, so an
# unchanged one is built once and reused.
#
#   docker/sandbox/build.sh            # the CPU image; prints its tag
#   docker/sandbox/build.sh --gpu      # the GPU variant (set SANDBOX_GPU_IMAGE to the tag it prints)
#   docker/sandbox/build.sh --tag      # only print the CPU image's tag (built or not)
#   SANDBOX_MIRROR=http://deb.debian.org/debian docker/sandbox/build.sh
#
# The GPU variant's CUDA comes with the packages rather than a CUDA base image (which would need a
# registry): PyPI's Linux torch build depends on NVIDIA's wheels (CUDA runtime, cuBLAS, cuDNN, NCCL),
# and the host's NVIDIA container toolkit supplies the driver when a job requests the GPU.
# SANDBOX_PIP_INDEX_URL names the index those wheels come from (a local mirror on an air-gapped site).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
variant=cpu
[ "${1:-}" = "--gpu" ] && variant=gpu
only_tag=false
[ "${1:-}" = "--tag" ] && only_tag=true
requirements="$here/requirements.txt"
[ "$variant" = gpu ] && requirements="$here/requirements-gpu.txt"
suite=${SANDBOX_SUITE:-bookworm}
mirror=${SANDBOX_MIRROR:-http://deb.debian.org/debian}
hash=$(cat "$here/build.sh" "$requirements" | sha256sum | cut -c1-12)
tag="interview-track-sandbox:$variant-$hash"
if $only_tag; then echo "$tag"; exit 0; fi
pip_source=()
# --isolated: a CPU torch wheel that pip's configuration offers locally (find-links) must not win.
[ "$variant" = gpu ] && pip_source=(--isolated --index-url "${SANDBOX_PIP_INDEX_URL:-https://pypi.org/simple}")

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
python3 -m pip install "${pip_source[@]}" --quiet --no-compile --only-binary=:all: --python-version "$pyver" \
  --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 --target "$site" -r "$requirements"
# Unprivileged users for candidate (65534 exists as nobody) and reference (65533) processes.
echo "reference:x:65533:65533:reference:/nonexistent:/usr/sbin/nologin" >>"$rootfs/etc/passwd"
echo "reference:x:65533:" >>"$rootfs/etc/group"
mkdir -p "$rootfs/sandbox"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc "$rootfs"/usr/share/man
# Byte-compile everything now: the root is read-only at run time, so without .pyc files every job
# would recompile pytest, numpy and torch's Python from source.
chroot "$rootfs" python3 -m compileall -q -j 0 /usr/lib/python3 "/usr/lib/python$pyver" \
  "/usr/local/lib/python$pyver/dist-packages" >/dev/null || true
check='import torch, numpy, pytest, jiwer, pocketsphinx'
# No GPU at build time: check that this torch was built with CUDA, not that a device answers.
[ "$variant" = gpu ] && check="$check; assert torch.version.cuda, 'torch is a CPU build'"
chroot "$rootfs" python3 -c "$check" || { echo "image self-check failed" >&2; exit 1; }
tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin PYTHONDONTWRITEBYTECODE=1 LANG=C.UTF-8' \
  --change 'WORKDIR /sandbox' --message "interview-track sandbox ($variant, $hash)" - "$tag" >/dev/null
echo "$tag"
