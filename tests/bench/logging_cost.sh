#!/usr/bin/env bash
# What logging costs (issue 14), measured as ratios in one run: the development configuration
# (config/service.json, unsigned loopback calls) at log level info and at log level error, and nginx serving the
# same answer as a static file (access log off), all started once on 127.0.0.1 and driven in alternation, round
# after round, with wrk -t2 -c32 and the patient-view call with full prefetch (load.lua). With BASE_BIN set to
# another nmo-cds binary (e.g. the previous release), it is measured the same way beside this one. Besides req/s,
# each run reports the server's CPU time per request (user + system, from /proc, the process and its children):
# on a machine shared with other work that figure is far steadier than req/s, and its ratios are the cost ratios.
#
# Usage: tests/bench/logging_cost.sh [--rounds N] [--duration SECONDS] [--bin PATH]
#   --rounds    alternations (default 3); the ratios reported are the medians over the rounds
#   --duration  seconds per wrk run (default 5)
#   --bin       the nmo-cds binary (default build/beast/service/nmo-cds)
# Environment: BASE_BIN (optional second binary), CONNS (32), WRK_THREADS (2).
set -euo pipefail
cd "$(dirname "$0")/../.."

rounds=3 duration=5 bin=build/beast/service/nmo-cds
while (($#)); do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    *) echo "usage: $0 [--rounds N] [--duration SECONDS] [--bin PATH]" >&2; exit 2 ;;
  esac
done
conns="${CONNS:-32}"
export WRK_THREADS="${WRK_THREADS:-2}"
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
for tool in wrk "$nginx_bin"; do command -v "$tool" >/dev/null || { echo "$0: needs $tool (scripts/install-deps.sh --bench)" >&2; exit 1; }; done

body=tests/fixtures/stories/aqp4_positive_on_azathioprine.json
path=/cds-services/nmosd-patient-view
tmp=$(mktemp -d)
chmod 755 "$tmp"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

mkdir -p "$tmp/www/cds-services"
"$bin" evaluate "$body" --config config/service.json >"$tmp/www$path"
chmod -R a+rX "$tmp/www"

declare -A port pid_of
targets=()
nginx_port=$(free_port)
cat >"$tmp/nginx.conf" <<CONF
worker_processes $(nproc);
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log warn;
events { worker_connections 1024; }
http {
  default_type application/json;
  access_log off;
  keepalive_requests 100000;
  client_body_temp_path $tmp/body;
  server {
    listen 127.0.0.1:$nginx_port;
    root $tmp/www;
    location /cds-services/ { error_page 405 =200 \$uri; }
  }
}
CONF
"$nginx_bin" -c "$tmp/nginx.conf" -p "$tmp" -e "$tmp/nginx-error.log" &
pids+=($!)
pid_of[nginx]=$!
port[nginx]=$nginx_port
targets+=(nginx)

start() {  # name binary level
  local p
  p=$(free_port)
  # Each instance its own admin listener (a free port) and its own feedback database in the run's directory:
  # the shipped defaults (admin port 9090, config/feedback.db) would make the second instance fail or share.
  env NMO_LISTEN_PORT="$p" NMO_ADMIN_PORT=0 NMO_FEEDBACK_SQLITE_PATH="$tmp/$1-feedback.db" NMO_LOG_LEVEL="$3" \
    "$2" serve --config config/service.json >"$tmp/$1.log" 2>&1 &
  pids+=($!)
  pid_of[$1]=$!
  port[$1]=$p
  targets+=("$1")
}
start info "$bin" info
start error "$bin" error
if [ -n "${BASE_BIN:-}" ]; then
  start base-info "$BASE_BIN" info
  start base-error "$BASE_BIN" error
fi
for t in "${targets[@]}"; do
  for _ in $(seq 100); do
    curl -s -o /dev/null -X POST --data-binary "@$body" -H 'Content-Type: application/json' \
      "http://127.0.0.1:${port[$t]}$path" && break
    sleep 0.1
  done
done

# CPU time (clock ticks) of a process and its children (nginx: master and workers).
cpu_ticks() {
  local total=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

drive() {  # target seconds → "req/s cpu_us_per_request"
  local res before after rps
  before=$(cpu_ticks "${pid_of[$1]}")
  res=$(BODY="$body" WRK_PATH="$path" RATE="" TOKENS="" TOKEN_OFFSET=0 \
    wrk -t"$WRK_THREADS" -c"$conns" -d"${2}s" -s tests/bench/load.lua "http://127.0.0.1:${port[$1]}" | grep '^RESULT')
  after=$(cpu_ticks "${pid_of[$1]}")
  case "$res" in *" errors=0 "*) ;; *) echo "$0: $1 answered with errors: $res" >&2 ;; esac
  rps=$(echo "$res" | tr ' ' '\n' | awk -F= '$1 == "rps" {print $2}')
  awk -v r="$rps" -v t=$((after - before)) -v s="$2" -v hz="$(getconf CLK_TCK)" \
    'BEGIN {printf "%s %.1f\n", r, t / hz * 1e6 / (r * s)}'
}

for t in "${targets[@]}"; do drive "$t" 1 >/dev/null; done  # warm-up
declare -A rps cpu
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "req/s and (CPU µs per request) of each target, round by round:"
printf 'round'; printf '\t%s' "${targets[@]}"; printf '\n'
for r in $(seq "$rounds"); do
  printf '%s' "$r"
  for t in "${targets[@]}"; do
    read -r rps[$t-$r] cpu[$t-$r] < <(drive "$t" "$duration")
    printf '\t%s (%s)' "${rps[$t-$r]}" "${cpu[$t-$r]}"
  done
  printf '\n'
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
ratio() {  # a b: medians over rounds of a/b in req/s and of b/a in CPU per request (each pair back to back)
  local q c
  q=$(for r in $(seq "$rounds"); do awk -v a="${rps[$1-$r]}" -v b="${rps[$2-$r]}" 'BEGIN {printf "%.3f\n", a / b}'; done | median)
  c=$(for r in $(seq "$rounds"); do awk -v a="${cpu[$1-$r]}" -v b="${cpu[$2-$r]}" 'BEGIN {printf "%.3f\n", b / a}'; done | median)
  echo "req/s ratio $q, CPU-per-request ratio $c"
}
echo "info / error: $(ratio info error)"
echo "info / nginx: $(ratio info nginx)"
echo "error / nginx: $(ratio error nginx)"
if [ -n "${BASE_BIN:-}" ]; then
  echo "base info / base error: $(ratio base-info base-error)"
  echo "base info / nginx: $(ratio base-info nginx)"
  echo "info / base info: $(ratio info base-info)"
fi
for t in info error; do
  echo "$t: log lines $(wc -l <"$tmp/$t.log"), dropped $(curl -s "http://127.0.0.1:${port[$t]}/metrics" | awk '/^nmo_log_dropped_total/ {print $2}')"
done
