# Sourced by the image build scripts (docker/app/build.sh, docker/services/build.sh): a minimal Debian root from
# debootstrap in a fresh work folder that is removed when the script exits. Part of each image's hash.
#
#   debootstrap_root NAME PACKAGES SUITE MIRROR    # sets $work (the folder) and $rootfs (the root inside it)
debootstrap_root() {
  command -v debootstrap >/dev/null || { echo "debootstrap is needed: apt-get install debootstrap" >&2; exit 2; }
  work=$(mktemp -d "/var/tmp/$1-build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  rootfs="$work/rootfs"
  echo "debootstrap $3 from $4 ($1)" >&2
  debootstrap --variant=minbase --include="$2" "$3" "$rootfs" "$4" >"$work/debootstrap.log" 2>&1 \
    || { tail -30 "$work/debootstrap.log" >&2; exit 1; }
}
