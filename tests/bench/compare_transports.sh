#!/usr/bin/env bash
# Side-by-side throughput of the two HTTP transports, measured in one run on this machine: builds a release of
# each, starts it on 127.0.0.1, and drives it with wrk (loopback only, bounded duration). Prints requests/s for
# a patient-view call (engine included) and for GET /healthz (transport only), and cpprest as a ratio to Beast.
# Usage: tests/bench/compare_transports.sh [seconds]   (needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-10}"
command -v wrk >/dev/null || { echo "compare_transports: wrk is not installed (apt-get install wrk)" >&2; exit 2; }

for t in beast cpprest; do
  cmake -S . -B "build/bench-$t" -DCMAKE_BUILD_TYPE=Release -DNMO_BUILD_TESTS=OFF -DNMO_TRANSPORT="$t" >/dev/null
  cmake --build "build/bench-$t" -j"$(nproc)" --target nmo-cds >/dev/null
done

body=tests/fixtures/stories/aqp4_positive_on_azathioprine.json
declare -A rps
for t in beast cpprest; do
  log=$(mktemp)
  NMO_LISTEN_PORT=0 NMO_LOG_LEVEL=warn "build/bench-$t/service/nmo-cds" serve --config config/service.json >"$log" &
  pid=$!
  port=""
  for _ in $(seq 100); do
    port=$(grep -o '"port":[0-9]*' "$log" | head -1 | cut -d: -f2 || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "$t did not start" >&2; kill "$pid"; exit 1; }
  for kind in hook healthz; do
    if [ "$kind" = hook ]; then
      out=$(BODY="$body" WRK_PATH=/cds-services/nmosd-patient-view wrk -t2 -c32 -d"${secs}s" \
            -s tests/bench/post.lua "http://127.0.0.1:$port")
    else
      out=$(wrk -t2 -c32 -d"${secs}s" "http://127.0.0.1:$port/healthz")
    fi
    rps[$t-$kind]=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
    [ -z "$non2xx" ] || echo "warning: $t $kind had $non2xx non-2xx responses" >&2
  done
  kill -TERM "$pid"; wait "$pid" || true
  rm -f "$log"
done

printf '%-10s %14s %14s\n' transport "patient-view/s" "healthz/s"
for t in beast cpprest; do printf '%-10s %14s %14s\n' "$t" "${rps[$t-hook]}" "${rps[$t-healthz]}"; done
awk -v a="${rps[cpprest-hook]}" -v b="${rps[beast-hook]}" -v c="${rps[cpprest-healthz]}" -v d="${rps[beast-healthz]}" \
  'BEGIN { printf "cpprest / beast: patient-view %.2f, healthz %.2f\n", a / b, c / d }'
