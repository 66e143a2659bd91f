#!/usr/bin/env bash
# Verifies the nmo-cds image without `podman run` (not permitted on this machine): mounts the image's root
# filesystem (`podman image mount`), binds it read-only in a private mount namespace with /proc, /dev and a
# scratch directory as the /var/lib/nmo-cds volume, and runs the image's own ENTRYPOINT + CMD there with chroot,
# as the image's USER and with the image's environment (listening on 127.0.0.1 and a free port instead). Then:
# discovery lists the three services, /healthz and /readyz answer 200, a bundled order-select request gets its
# card, the image's HEALTHCHECK command passes inside the root, and SIGTERM stops it with exit status 0.
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

# The image's environment, then this host's loopback and a free port; development authentication when the
# binary knows the key (issue #5), so the hook call below needs no token.
run_env=("${image_env[@]}" NMO_LISTEN_ADDRESS=127.0.0.1 NMO_LISTEN_PORT=0)
if chroot "$mnt" "${entrypoint[0]}" --help 2>/dev/null | grep -q 'auth\.mode'; then run_env+=(NMO_AUTH_MODE=development); fi

# In a private mount namespace: the image root read-only, /proc, /dev, the volume; then the image's command.
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
  "${run_env[@]}" "${entrypoint[@]}" "${cmd[@]}" >"$work/server.log" 2>&1 &
runner=$!

port=""
for _ in $(seq 1 200); do  # up to 20 s for the "listening" line
  [ -n "$server" ] || server="$(cat "$work/pid" 2>/dev/null || true)"
  port="$(grep -o '"event":"listening".*' "$work/server.log" 2>/dev/null | grep -o '"port":[0-9]*' | head -n1 | cut -d: -f2 || true)"
  [ -z "$port" ] || break
  kill -0 "$runner" 2>/dev/null || fail "the service exited before listening"
  sleep 0.1
done
[ -n "$port" ] || fail "no \"listening\" line within 20 s"
[ "$(stat -c %u "/proc/$server")" = "$uid" ] || fail "the service does not run as uid $uid"
pass "serving from the image's read-only root as uid $uid on 127.0.0.1:$port"

base="http://127.0.0.1:$port"
get() {  # path → body; fails unless 200
  local status
  status="$(curl -sS -o "$work/body" -w '%{http_code}' --max-time 10 "$@")" || fail "curl $*"
  [ "$status" = 200 ] || fail "$* answered $status: $(head -c 300 "$work/body")"
}
get "$base/cds-services"
for id in nmosd-patient-view nmosd-order-select nmosd-order-sign; do
  grep -q "\"id\": *\"$id\"" "$work/body" || fail "discovery does not list $id"
done
pass "discovery lists nmosd-patient-view, nmosd-order-select, nmosd-order-sign"
get "$base/healthz"
get "$base/readyz"
pass "/healthz and /readyz answer 200"
get -X POST -H 'Content-Type: application/json' \
  --data @tests/fixtures/stories/aqp4_positive_azathioprine_drafted.json "$base/cds-services/nmosd-order-select"
grep -q '"code": *"NMOSD-03"' "$work/body" || fail "the order-select call did not return the NMOSD-03 card"
pass "order-select on a bundled story returns its NMOSD-03 card (knowledge loaded from the image)"

# The image's HEALTHCHECK, run as the container would: inside the root, as its user, with its environment.
nsenter --target "$server" --mount --root --wd --setuid "$uid" --setgid "$gid" -- \
  /usr/bin/env -i "${image_env[@]}" NMO_LISTEN_PORT="$port" "${health[@]:1}" \
  || fail "the image's HEALTHCHECK command failed"
pass "HEALTHCHECK passes"

kill -TERM "$server"
status=0
wait "$runner" || status=$?
runner=""
[ "$status" -eq 0 ] || fail "SIGTERM: exit status $status"
grep -q '"event":"stopping"' "$work/server.log" || fail "no \"stopping\" line after SIGTERM"
pass "SIGTERM stops it with exit status 0"
echo "verify-image: $image verified ($(podman image inspect --format '{{.Size}}' "$image") bytes)"
