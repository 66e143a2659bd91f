#!/usr/bin/env bash
# Builds the nmo-cds container image without any container registry:
#   1. two Debian 12 (bookworm) base images made with debootstrap from the Debian mirror apt uses here, then
#      `podman import`ed: localhost/nmo-cds-base/runtime (a bookworm-slim equivalent: minbase, no docs, man
#      pages or locales, security updates applied, plus deploy/packages-runtime.txt) and
#      localhost/nmo-cds-base/build (the same plus deploy/packages-build.txt);
#   2. the image itself from deploy/Containerfile with `podman build` (multi-stage: compile, then runtime).
# Base images are reused when present (--rebuild-base makes them again). Run as root (debootstrap, podman).
#
#   deploy/build-image.sh [--rebuild-base] [--tag IMAGE]      default tag: localhost/nmo-cds:latest
#
# Environment: NMO_DEBIAN_MIRROR, NMO_DEBIAN_SECURITY_MIRROR (default: the URIs in /etc/apt/sources.list*).
# With a registry at hand, the same Containerfile builds on the official image instead:
#   podman build --format docker --build-arg BUILD_BASE=docker.io/library/debian:bookworm \
#     --build-arg RUNTIME_BASE=docker.io/library/debian:bookworm-slim -f deploy/Containerfile .
set -euo pipefail
cd "$(dirname "$0")/.."

tag="localhost/nmo-cds:latest"
rebuild_base=0
while (($#)); do
  case "$1" in
    --rebuild-base) rebuild_base=1 ;;
    --tag) tag="$2"; shift ;;
    *) echo "usage: $0 [--rebuild-base] [--tag IMAGE]" >&2; exit 2 ;;
  esac
  shift
done

runtime_base="localhost/nmo-cds-base/runtime:bookworm"
build_base="localhost/nmo-cds-base/build:bookworm"
suite="bookworm"

[ "$(id -u)" -eq 0 ] || { echo "build-image: run as root (debootstrap and podman need it)" >&2; exit 1; }
for tool in debootstrap podman; do
  command -v "$tool" >/dev/null || { echo "build-image: $tool missing: apt-get install debootstrap podman" >&2; exit 1; }
done

# The mirror apt uses on this machine (deb822 .sources or one-line .list), unless given.
apt_uri() {  # $1: suite to look for → first URI serving it
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    awk -v s="$1" '
      /^URIs:/ { uri = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s && uri != "") { print uri; exit } }
      /^deb[ \t]/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($(i + 1) == s) { print $i; exit } } }
    ' "$f"
  done | head -n1
}
mirror="${NMO_DEBIAN_MIRROR:-$(apt_uri "$suite")}"
security_mirror="${NMO_DEBIAN_SECURITY_MIRROR:-$(apt_uri "$suite-security")}"
mirror="${mirror:-http://deb.debian.org/debian}"
security_mirror="${security_mirror:-http://deb.debian.org/debian-security}"

root=""
cleanup() {
  [ -n "$root" ] || return 0
  umount "$root/proc" 2>/dev/null || true
  rm -rf --one-file-system "$root" "$root.log"
  root=""
}
trap cleanup EXIT

packages() { grep -v '^\s*\(#\|$\)' "$1" | paste -sd, -; }

# debootstrap + trim + import. $1 image name, $2 comma-separated extra packages.
make_base() {
  local image="$1" include="$2"
  root="$(mktemp -d /var/tmp/nmo-rootfs.XXXXXX)"
  chmod 0755 "$root"  # mktemp's 0700 would become the image's / and lock every non-root user out
  echo "build-image: debootstrap $suite from $mirror → $image"
  debootstrap --variant=minbase --include="$include" "$suite" "$root" "$mirror" >"$root.log" 2>&1 \
    || { tail -n 30 "$root.log" >&2; return 1; }
  cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security_mirror $suite-security main
EOF
  # As the official slim images: keep no documentation, manual pages or translations, now or later.
  cat >"$root/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
EOF
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  mount -t proc proc "$root/proc"
  chroot "$root" sh -ec 'export DEBIAN_FRONTEND=noninteractive
    apt-get update -q && apt-get -y -q upgrade && apt-get clean' >>"$root.log" 2>&1 \
    || { tail -n 30 "$root.log" >&2; echo "build-image: security updates failed in $image" >&2; return 1; }
  umount "$root/proc"
  find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  rm -rf "$root"/usr/share/{man,groff,info,lintian,locale}/* "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* \
    "$root"/var/log/* "$root"/tmp/* "$root/etc/resolv.conf"
  : >"$root/etc/resolv.conf"
  tar --numeric-owner --xattrs -C "$root" -c . \
    | podman import --change 'CMD ["/bin/bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      - "$image" >/dev/null
  cleanup
}

start=$SECONDS
runtime_pkgs="$(packages deploy/packages-runtime.txt)"
build_pkgs="$runtime_pkgs,$(packages deploy/packages-build.txt)"
for pair in "$runtime_base|$runtime_pkgs" "$build_base|$build_pkgs"; do
  image="${pair%%|*}"
  if ((rebuild_base)) || ! podman image exists "$image"; then
    make_base "$image" "${pair#*|}"
    echo "build-image: $image made ($((SECONDS - start)) s so far)"
  else
    echo "build-image: reusing $image (--rebuild-base to make it again)"
  fi
done

echo "build-image: podman build → $tag"
# --isolation chroot: RUN steps need no OCI runtime (crun refuses this host's hybrid cgroup layout) and
# nothing more than the build stage's compiler.
podman build --format docker --pull=never --isolation "${NMO_BUILD_ISOLATION:-chroot}" \
  --build-arg BUILD_BASE="$build_base" --build-arg RUNTIME_BASE="$runtime_base" \
  -f deploy/Containerfile -t "$tag" .
echo "build-image: $tag built in $((SECONDS - start)) s, $(podman image inspect --format '{{.Size}}' "$tag") bytes"
