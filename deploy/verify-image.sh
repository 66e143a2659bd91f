#!/usr/bin/env bash
# Verifies the nmo-cds image without `podman run` (not permitted on this machine): mounts the image's root
# filesystem (`podman image mount`), binds it read-only in a private mount namespace with /proc, /dev and a
# scratch directory as the /var/lib/nmo-cds volume, and runs the image's ENTRYPOINT there with chroot, as the
# image's USER and with the image's environment (listening on 127.0.0.1 and a free port instead), twice:
#   1. with its own CMD (production.json, JWT required): unsigned discovery and service calls from loopback get
#      401, /healthz and /readyz answer 200, the image's HEALTHCHECK command passes inside the root;
#   2. with the development configuration (serve --config /etc/nmo-cds/service.json, NMO_AUTH_MODE=development):
#      unsigned discovery from loopback lists the three services and a bundled order-select request gets its card.
# Each time SIGTERM must stop it with exit status 0.
#
#   deploy/verify-image.sh [IMAGE]      default: localhost/nmo-cds:latest. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

image="${1:-localhost/nmo-cds:latest}"
[ "$(id -u)" -eq 0 ] || { echo "verify-image: run as root (podman image mount, chroot)" >&2; exit 1; }
podman image exists "$image" || { echo "verify-image: no image $image (deploy/build-image.sh makes it)" >&2; exit 1; }

work="$(mktemp -d /var/tmp/nmo-verify.XXXXXX)"
chmod 0755 "$work"
mnt=""
runner=""
server=""
cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then kill -KILL "$server" 2>/dev/null || true; fi
  if [ -n "$runner" ]; then wait "$runner" 2>/dev/null || true; fi
  [ -z "$mnt" ] || podman image unmount "$image" >/dev/null || true
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
fail() { echo "verify-image: FAIL: $*" >&2; [ ! -s "$work/server.log" ] || sed 's/^/  server: /' "$work/server.log" >&2; exit 1; }
pass() { echo "verify-image: ok: $*"; }

inspect() { podman image inspect --format "$1" "$image"; }
mapfile -t image_env < <(inspect '{{range .Config.Env}}{{println .}}{{end}}' | sed '/^$/d')
mapfile -t entrypoint < <(inspect '{{range .Config.Entrypoint}}{{println .}}{{end}}' | sed '/^$/d')
mapfile -t cmd < <(inspect '{{range .Config.Cmd}}{{println .}}{{end}}' | sed '/^$/d')
mapfile -t health < <(inspect '{{if .HealthCheck}}{{range .HealthCheck.Test}}{{println .}}{{end}}{{end}}' | sed '/^$/d')
user="$(inspect '{{.Config.User}}')"
uid="${user%%:*}"
gid="${user#*:}"
[ "$gid" != "$user" ] || gid="$uid"
[[ "$uid" =~ ^[0-9]+$ && "$gid" =~ ^[0-9]+$ && "$uid" -ne 0 ]] || fail "image USER '$user' is not a numeric non-root uid:gid"
((${#entrypoint[@]})) || fail "image has no ENTRYPOINT"
((${#health[@]} > 1)) && [ "${health[0]}" = CMD ] || fail "image has no exec-form HEALTHCHECK (built without --format docker?)"
pass "USER $uid:$gid, ENTRYPOINT ${entrypoint[*]}, CMD ${cmd[*]}"

mnt="$(podman image mount "$image")"
[ -x "$mnt${entrypoint[0]}" ] || fail "${entrypoint[0]} is not an executable in the image"
mkdir -p "$work/root" "$work/volume"
chown "$uid:$gid" "$work/volume"

# Starts ENTRYPOINT + the given command in a private mount namespace: the image root read-only, /proc, /dev, the
# volume; as the image's user, with the image's environment, then this host's loopback and a free port, then
# any extra NAME=VALUE given before "--". Sets runner, server (pid), port; the log is $work/server.log.
start() {
  local extra=()
  while (($#)) && [ "$1" != -- ]; do extra+=("$1"); shift; done
  shift
  : >"$work/server.log"
  rm -f "$work/pid"
  server="" port=""
  unshare --mount --propagation private --fork -- bash -c '
    set -e
    mnt="$1" root="$2" volume="$3" pidfile="$4" user="$5"; shift 5
    mount --bind "$mnt" "$root"
    mount -o remount,bind,ro "$root"
    mount -t proc proc "$root/proc"
    mount --bind /dev "$root/dev"
    mount --bind "$volume" "$root/var/lib/nmo-cds"
    echo "$$" >"$pidfile"
    exec chroot --userspec="$user" --groups="${user#*:}" "$root" /usr/bin/env -i "$@"
  ' verify "$mnt" "$work/root" "$work/volume" "$work/pid" "$uid:$gid" \
    "${image_env[@]}" NMO_LISTEN_ADDRESS=127.0.0.1 NMO_LISTEN_PORT=0 "${extra[@]}" "${entrypoint[@]}" "$@" \
    >"$work/server.log" 2>&1 &
  runner=$!
  for _ in $(seq 1 200); do  # up to 20 s for the "listening" line
    [ -n "$server" ] || server="$(cat "$work/pid" 2>/dev/null || true)"
    port="$(grep -o '"event":"listening".*' "$work/server.log" 2>/dev/null | grep -o '"port":[0-9]*' | head -n1 | cut -d: -f2 || true)"
    [ -z "$port" ] || break
    kill -0 "$runner" 2>/dev/null || fail "the service exited before listening"
    sleep 0.1
  done
  [ -n "$port" ] || fail "no \"listening\" line within 20 s"
  [ "$(stat -c %u "/proc/$server")" = "$uid" ] || fail "the service does not run as uid $uid"
  base="http://127.0.0.1:$port"
}

stop() {  # SIGTERM → exit status 0 and a "stopping" line
  kill -TERM "$server"
  local status=0
  wait "$runner" || status=$?
  runner=""
  [ "$status" -eq 0 ] || fail "SIGTERM: exit status $status"
  grep -q '"event":"stopping"' "$work/server.log" || fail "no \"stopping\" line after SIGTERM"
}

call() {  # expected status, then curl arguments; the body is in $work/body
  local want="$1" status
  shift
  status="$(curl -sS -o "$work/body" -w '%{http_code}' --max-time 10 "$@")" || fail "curl $*"
  [ "$status" = "$want" ] || fail "$* answered $status, expected $want: $(head -c 300 "$work/body")"
}

# 1. The image as it ships: its own command (the production configuration, JWT required).
start -- "${cmd[@]}"
pass "${cmd[*]}: serving from the image's read-only root as uid $uid on 127.0.0.1:$port"
! grep -q '"event":"auth_development_mode"' "$work/server.log" || fail "the default configuration runs with development authentication"
call 401 "$base/cds-services"
grep -q '"code": *"login"' "$work/body" || fail "the 401 is not the login OperationOutcome"
call 401 -X POST -H 'Content-Type: application/json' \
  --data @tests/fixtures/stories/aqp4_positive_azathioprine_drafted.json "$base/cds-services/nmosd-order-select"
pass "unsigned discovery and service calls get 401 (auth.mode required), even from loopback"
call 200 "$base/healthz"
call 200 "$base/readyz"
pass "/healthz and /readyz answer 200 without a token"
# The image's HEALTHCHECK, run as the container would: inside the root, as its user, with its environment.
nsenter --target "$server" --mount --root --wd --setuid "$uid" --setgid "$gid" -- \
  /usr/bin/env -i "${image_env[@]}" NMO_LISTEN_PORT="$port" "${health[@]:1}" \
  || fail "the image's HEALTHCHECK command failed"
pass "HEALTHCHECK passes"
stop
pass "SIGTERM stops it with exit status 0"

# 2. The development configuration baked into the image (the public sandbox as issuer, its key under keys/):
#    unsigned calls from loopback are accepted, so the bundled knowledge can be exercised without a token.
dev_cmd=(serve --config /etc/nmo-cds/service.json)
start NMO_AUTH_MODE=development -- "${dev_cmd[@]}"
grep -q '"event":"auth_development_mode"' "$work/server.log" || fail "no auth_development_mode warning at start-up"
pass "${dev_cmd[*]} (development authentication): listening on 127.0.0.1:$port"
call 200 "$base/cds-services"
for id in nmosd-patient-view nmosd-order-select nmosd-order-sign; do
  grep -q "\"id\": *\"$id\"" "$work/body" || fail "discovery does not list $id"
done
pass "unsigned discovery from loopback lists nmosd-patient-view, nmosd-order-select, nmosd-order-sign"
call 200 -X POST -H 'Content-Type: application/json' \
  --data @tests/fixtures/stories/aqp4_positive_azathioprine_drafted.json "$base/cds-services/nmosd-order-select"
grep -q '"code": *"NMOSD-03"' "$work/body" || fail "the order-select call did not return the NMOSD-03 card"
pass "order-select on a bundled story returns its NMOSD-03 card (knowledge loaded from the image)"
stop
pass "SIGTERM stops it with exit status 0"
echo "verify-image: $image verified ($(podman image inspect --format '{{.Size}}' "$image") bytes)"
