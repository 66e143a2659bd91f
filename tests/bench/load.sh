#!/usr/bin/env bash
# Load benchmark (issue #7), one command: builds release binaries of both transports, then drives a static nginx
# baseline, the Beast build and the cpprestsdk build, one after the other on 127.0.0.1, with wrk and the bundled
# patient-view and order-select requests. Per target: peak requests/s with p50/p99 latency, p99 at half of its
# own peak (paced, see load.lua), a latency-vs-offered-load curve, and peak RSS (VmHWM); every figure also as a
# ratio to nginx measured in the same run. Writes results.tsv, summary.md and latency.png to the output dir.
#
# The baseline: nginx from Debian, own temporary config, serving as a static file the very response the service
# gives for the same request (same path, same size), request bodies read and discarded, access log on (the
# service logs each request too), worker_processes = cores (the service runs one worker thread per core).
#
# Extra targets (Beast build, each after the three above, patient-view only: warm-up, peak, half of peak):
#   --jwt rs384|es384  auth.mode required with JWTs: tests/bench/make_tokens makes a key pair, its JWK Set, an
#                      issuers file and enough tokens (fresh jti each, aud = the exact URL wrk calls, iss, kid,
#                      iat/exp valid for the run) in a temporary dir before the run; the service runs a temporary
#                      copy of config/production.json trusting that issuer (public_base_url = the URL wrk calls,
#                      replay cache sized to the tokens); load.lua sends a different token per request. ES384 is
#                      also reported against the machine's P-384 verify bound: `openssl speed -seconds 3
#                      ecdsap384` verify/s × cores. May be given twice.
#   --jwt unsigned     the control for rs384/es384 (issue 14): the same production copy in auth.mode development,
#                      the same RS384 tokens sent by the same load.lua path, but in an X-Bench-Token header the
#                      service ignores, so the call is unsigned (loopback). wrk's per-request work and the bytes
#                      on the wire are those of the JWT runs: their ratio to this run is the cost of verification.
#   --fetch            the same patient-view call without prefetch (fhirServer + fhirAuthorization only): the
#                      service fetches the 6 prefetch keys from tests/fhir-server (Node, @medplum/fhir-router in
#                      memory, 127.0.0.1, page size 50: one GET per key), allowlisted with fhir.allowed_servers.
#   --all              --jwt rs384 --jwt es384 --fetch
#
# Usage: tests/bench/load.sh [--duration SECONDS] [--soak] [--no-build] [--out DIR] [--jwt ALG|unsigned]... [--fetch] [--all]
#   --duration  seconds per measurement (default 10)
#   --soak      also 5 minutes of the Beast build at half its peak, RSS sampled every 10 s (growth reported)
#   --no-build  reuse the release builds in $BUILD_ROOT
# Environment: BASE_TARGETS (default "nginx beast cpprest"; the extra targets need beast), BUILD_ROOT (default build: build/bench-beast, build/bench-cpprest), CONNS (wrk connections, 32),
# WRK_THREADS (2). Needs root for the apt step only if wrk, nginx or gnuplot is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

duration=10 soak=0 build=1 out="" extra=()
while (($#)); do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --soak) soak=1; shift ;;
    --no-build) build=0; shift ;;
    --out) out="$2"; shift 2 ;;
    --jwt)
      case "${2:-}" in rs384|es384|unsigned) extra+=("$2") ;; *) echo "load.sh: --jwt rs384|es384|unsigned" >&2; exit 2 ;; esac
      shift 2 ;;
    --fetch) extra+=(fetch); shift ;;
    --all) extra+=(rs384 es384 fetch); shift ;;
    *) echo "usage: $0 [--duration SECONDS] [--soak] [--no-build] [--out DIR] [--jwt rs384|es384|unsigned]... [--fetch] [--all]" >&2
       exit 2 ;;
  esac
done
build_root="${BUILD_ROOT:-build}"
conns="${CONNS:-32}"
export WRK_THREADS="${WRK_THREADS:-2}"
out="${out:-$build_root/bench-results/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"
out=$(cd "$out" && pwd)

missing=0
for tool in wrk nginx gnuplot; do command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || missing=1; done
((missing == 0)) || ./scripts/install-deps.sh --bench
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

if ((build)); then
  for t in beast cpprest; do
    echo "=== build: release, $t transport ($build_root/bench-$t)"
    # The Beast tree also builds make_tokens (tests/bench, so with NMO_BUILD_BENCH).
    bench=OFF targets=(nmo-cds)
    if [ "$t" = beast ]; then bench=ON targets+=(make_tokens); fi
    cmake -S . -B "$build_root/bench-$t" -DCMAKE_BUILD_TYPE=Release -DNMO_BUILD_TESTS=OFF -DNMO_BUILD_BENCH=$bench \
      -DNMO_TRANSPORT="$t" >/dev/null
    cmake --build "$build_root/bench-$t" -j"$(nproc)" --target "${targets[@]}" >/dev/null
  done
fi

tmp=$(mktemp -d)
chmod 755 "$tmp"  # nginx workers run as an unprivileged user and must read www/
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

declare -A body=(
  [pv]=tests/fixtures/stories/aqp4_positive_on_azathioprine.json
  [os]=tests/fixtures/stories/aqp4_positive_azathioprine_drafted.json
)
declare -A path=([pv]=/cds-services/nmosd-patient-view [os]=/cds-services/nmosd-order-select)

# The baseline's documents: the service's own answers to the same requests.
mkdir -p "$tmp/www/cds-services"
for k in pv os; do
  "$build_root/bench-beast/service/nmo-cds" evaluate "${body[$k]}" --config config/service.json \
    >"$tmp/www${path[$k]}"
done
chmod -R a+rX "$tmp/www"

machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(. /etc/os-release && echo "$PRETTY_NAME")"
load_avg() { cut -d' ' -f1 /proc/loadavg; }

# VmHWM (peak resident set) of a process and its children, in KiB.
peak_rss_kib() {
  local total=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    total=$((total + $(awk '/VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

start_nginx() {
  cat >"$tmp/nginx.conf" <<CONF
worker_processes $(nproc);
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log warn;
events { worker_connections 1024; }
http {
  default_type application/json;
  access_log $tmp/nginx-access.log;
  keepalive_requests 100000;
  client_body_temp_path $tmp/body;
  server {
    listen 127.0.0.1:0;
    root $tmp/www;
    # Static files answer GET; a POST gets 405, which error_page turns into the file with status 200.
    location /cds-services/ { error_page 405 =200 \$uri; }
  }
}
CONF
  # nginx cannot pick an ephemeral port itself: find a free one.
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  sed -i "s/listen 127.0.0.1:0;/listen 127.0.0.1:$port;/" "$tmp/nginx.conf"
  "$nginx_bin" -c "$tmp/nginx.conf" -p "$tmp" -e "$tmp/nginx-error.log" &
  pid=$!
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_service() {  # transport [config [port [VAR=value ...]]]
  local transport=$1 config=${2:-config/service.json} listen=${3:-0}
  shift $(($# < 3 ? $# : 3))
  # A free admin port and a feedback database in the run's directory (not config/feedback.db in the tree).
  env NMO_LISTEN_PORT="$listen" NMO_ADMIN_PORT=0 NMO_FEEDBACK_SQLITE_PATH="$tmp/$target-feedback.db" NMO_LOG_LEVEL=info \
    "$@" "$build_root/bench-$transport/service/nmo-cds" serve --config "$config" >"$tmp/$target.log" 2>&1 &
  pid=$!
  port=""
  for _ in $(seq 100); do
    port=$(grep -o '"port":[0-9]*' "$tmp/$target.log" | head -1 | cut -d: -f2 || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
}

wait_ready() {
  for _ in $(seq 100); do
    curl -s -o /dev/null -X POST --data-binary "@${body[pv]}" -H 'Content-Type: application/json' \
      "http://127.0.0.1:$port${path[pv]}" && return 0
    sleep 0.1
  done
  echo "load.sh: $target did not start" >&2
  exit 1
}

# One wrk run; prints the RESULT line's fields. kind: pv | os | fetch; rate: empty for as fast as possible.
# With $tokens set (a JWT target), each request carries the next unused token of that file; $tmp/token_offset
# counts the lines earlier runs used.
tokens="" token_header=Authorization
drive() {  # kind rate seconds
  local res offset=0
  [ -n "$tokens" ] && offset=$(cat "$tmp/token_offset" 2>/dev/null || echo 0)
  res=$(BODY="${body[$1]}" WRK_PATH="${path[$1]}" RATE="$2" TOKENS="$tokens" TOKEN_OFFSET="$offset" TOKEN_HEADER="$token_header" \
    wrk -t"$WRK_THREADS" -c"$conns" -d"${3}s" -s tests/bench/load.lua "http://127.0.0.1:$port" | grep '^RESULT')
  [ -n "$tokens" ] && echo $((offset + $(field "$res" tokens_used))) >"$tmp/token_offset"
  case "$res" in *" errors=0 "*) ;; *) echo "load.sh: $target answered with errors: $res" >&2 ;; esac
  echo "${res#RESULT }"
}
field() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k {print $2}'; }

printf 'target\tkind\toffered\trps\tp50_us\tp90_us\tp99_us\tmax_us\terrors\tloadavg\n' >"$out/results.tsv"
record() {  # target kind result
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$(field "$3" offered)" "$(field "$3" rps)" \
    "$(field "$3" p50_us)" "$(field "$3" p90_us)" "$(field "$3" p99_us)" "$(field "$3" max_us)" \
    "$(field "$3" errors)" "$(load_avg)" >>"$out/results.tsv"
}

# The service's own CPU time (user + system, all its threads) per request of a peak run, in µs, and its minor
# page faults per request: unlike req/s they do not move much with what else the machine runs (wrk, other jobs).
# Written to cpu.tsv (target, kind, µs, faults).
printf 'target\tkind\tcpu_us_per_request\tminor_faults_per_request\n' >"$out/cpu.tsv"
cpu_ticks() { awk '{ print $14 + $15, $10 }' "/proc/$1/stat"; }  # CPU ticks and minor faults
measure_cpu() {  # kind "ticks faults" before, result
  local after
  after=$(cpu_ticks "$pid")
  awk -v t="$target" -v k="$1" -v b="$2" -v a="$after" -v hz="$(getconf CLK_TCK)" -v rps="$(field "$3" rps)" \
    -v s="$duration" 'BEGIN { split(b, x, " "); split(a, y, " "); n = rps * s
      printf "%s\t%s\t%.0f\t%.1f\n", t, k, (y[1] - x[1]) / hz * 1e6 / n, (y[2] - x[2]) / n }' >>"$out/cpu.tsv"
}
cpu_of() { awk -F'\t' -v t="$1" -v k="$2" '$1 == t && $2 == k { print $3 }' "$out/cpu.tsv"; }
faults_of() { awk -F'\t' -v t="$1" -v k="$2" '$1 == t && $2 == k { print $4 }' "$out/cpu.tsv"; }

declare -A rss peak
for target in ${BASE_TARGETS:-nginx beast cpprest}; do
  echo "=== $target (load average $(load_avg))"
  if [ "$target" = nginx ]; then start_nginx; else start_service "$target"; fi
  pids+=("$pid")
  wait_ready
  drive pv "" 2 >/dev/null  # warm-up
  for k in pv os; do
    t0=""
    [ "$target" = nginx ] || t0=$(cpu_ticks "$pid")
    r=$(drive "$k" "" "$duration"); record "$target" "$k" "$r"
    [ "$target" = nginx ] || measure_cpu "$k" "$t0" "$r"
    peak[$target-$k]=$(field "$r" rps)
    echo "  $k peak: $r${t0:+ service_cpu_us_per_request=$(cpu_of "$target" "$k") minor_faults_per_request=$(faults_of "$target" "$k")}"
  done
  # Latency against offered load, as fractions of this target's own patient-view peak; 0.5 is the target's
  # "p99 at half of peak load".
  for frac in 0.1 0.25 0.5 0.75 0.9; do
    rate=$(awk -v p="${peak[$target-pv]}" -v f="$frac" 'BEGIN { printf "%d", p * f }')
    r=$(drive pv "$rate" "$duration"); record "$target" pv-paced "$r"
    echo "  pv at $frac of peak: $r"
  done
  rate=$(awk -v p="${peak[$target-os]}" 'BEGIN { printf "%d", p * 0.5 }')
  r=$(drive os "$rate" "$duration"); record "$target" os-paced "$r"
  echo "  os at 0.5 of peak: $r"
  rss[$target]=$(peak_rss_kib "$pid")
  echo "  peak RSS ${rss[$target]} KiB"

  if ((soak)) && [ "$target" = beast ]; then
    rate=$(awk -v p="${peak[beast-pv]}" 'BEGIN { printf "%d", p * 0.5 }')
    echo "  soak: 300 s at $rate req/s"
    BODY="${body[pv]}" WRK_PATH="${path[pv]}" RATE="$rate" \
      wrk -t"$WRK_THREADS" -c"$conns" -d300s -s tests/bench/load.lua "http://127.0.0.1:$port" >"$tmp/soak.txt" &
    wrk_pid=$!
    printf 'seconds\tvmrss_kib\n' >"$out/soak.tsv"
    for s in $(seq 0 10 290); do
      printf '%s\t%s\n' "$s" "$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")" >>"$out/soak.tsv"
      sleep 10
    done
    wait "$wrk_pid"
    grep '^RESULT' "$tmp/soak.txt" | sed 's/^/  soak: /'
  fi

  kill -TERM "$pid"; wait "$pid" || true
  pids=("${pids[@]/$pid}")
done

# The extra targets: Beast build, patient-view call, warm-up, peak and half of peak.
p384_bound=""
for x in "${extra[@]}"; do
  target="beast-$x"
  echo "=== $target (load average $(load_avg))"
  tokens="" token_header=Authorization
  rm -f "$tmp/token_offset"
  if [ "$x" = fetch ]; then
    if [ ! -d tests/fhir-server/node_modules/@medplum/fhir-router ]; then
      (cd tests/fhir-server && npm ci --no-audit --no-fund >/dev/null)
    fi
    fhir_token=bench-fhir-token
    (cd tests/fhir-server && exec node server.js --stories "$root/tests/fixtures/stories" --port 0 --page-size 50 \
      --token "$fhir_token") >"$tmp/fhir-server.log" 2>&1 &
    fhir_pid=$!
    pids+=("$fhir_pid")
    fhir_port=""
    for _ in $(seq 300); do
      fhir_port=$(grep -o '^listening [0-9]*' "$tmp/fhir-server.log" | cut -d' ' -f2 || true)
      [ -n "$fhir_port" ] && break
      sleep 0.1
    done
    [ -n "$fhir_port" ] || { echo "load.sh: the FHIR server did not start" >&2; cat "$tmp/fhir-server.log" >&2; exit 1; }
    story=$(basename "${body[pv]}" .json)
    fhir_base="http://127.0.0.1:$fhir_port/$story"
    # The same request without prefetch: only fhirServer and fhirAuthorization.
    python3 - "${body[pv]}" "$fhir_base" "$fhir_token" >"$tmp/fetch-body.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc.pop("prefetch", None)
doc["fhirServer"] = sys.argv[2]
doc["fhirAuthorization"] = {"access_token": sys.argv[3], "token_type": "Bearer", "expires_in": 300,
                            "scope": "patient/*.read", "subject": "nmo-cds"}
json.dump(doc, sys.stdout)
PY
    body[fetch]=$tmp/fetch-body.json path[fetch]=${path[pv]}
    kind=fetch
    start_service beast config/service.json 0 NMO_FHIR_ALLOWED_SERVERS="$fhir_base"
  else
    alg=${x^^}  # RS384 | ES384; the unsigned control sends RS384 tokens in a header the service ignores
    mode=required
    if [ "$x" = unsigned ]; then alg=RS384 mode=development token_header=X-Bench-Token; fi
    jdir="$tmp/jwt-$x"
    mkdir -p "$jdir"
    listen=$(free_port)
    aud="http://127.0.0.1:$listen${path[pv]}"
    # Enough tokens for warm-up, peak and half peak: the Beast build's unauthenticated peak (for ES384 at most
    # 1.2 x the P-384 verify bound) x (1.6 x duration + 3 s).
    est=${peak[beast-pv]%.*}
    if [ "$x" = es384 ]; then
      if [ -z "$p384_bound" ]; then
        verify=$(openssl speed -seconds 3 ecdsap384 2>/dev/null | awk '/nistp384/ { v = $NF } END { print v }')
        p384_bound=$(awk -v v="$verify" -v c="$(nproc)" 'BEGIN { printf "%d", v * c }')
        echo "  openssl speed ecdsap384: $verify verify/s per core, bound $p384_bound/s on $(nproc) cores"
      fi
      est=$(awk -v e="$est" -v b="$p384_bound" 'BEGIN { b *= 1.2; printf "%d", (e < b ? e : b) }')
    fi
    count=$(awk -v e="$est" -v d="$duration" 'BEGIN { printf "%d", e * (1.6 * d + 3) + 1000 }')
    echo "  make_tokens: $count $alg tokens"
    "$build_root/bench-beast/tests/bench/make_tokens" --alg "$alg" --dir "$jdir" --aud "$aud" --count "$count" \
      --lifetime 1800
    # A copy of the production configuration trusting only that issuer; knowledge from the source tree.
    python3 - "$root/config/production.json" "$root/config/knowledge" "$listen" "$count" "$mode" \
      >"$jdir/service.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["knowledge_dir"] = sys.argv[2]
c["listen"]["port"] = int(sys.argv[3])
c["public_base_url"] = "http://127.0.0.1:" + sys.argv[3]
c["auth"]["mode"] = sys.argv[5]
c["auth"]["issuers_file"] = "issuers.json"
c["auth"]["replay_cache_entries"] = int(sys.argv[4]) + 10000
json.dump(c, sys.stdout, indent=1)
PY
    tokens="$jdir/tokens.txt"
    kind=pv
    start_service beast "$jdir/service.json" "$listen"
  fi
  pids+=("$pid")
  wait_ready
  drive "$kind" "" 2 >/dev/null  # warm-up
  t0=$(cpu_ticks "$pid")
  r=$(drive "$kind" "" "$duration"); record "$target" "$kind" "$r"
  measure_cpu "$kind" "$t0" "$r"
  peak[$target]=$(field "$r" rps)
  echo "  peak: $r service_cpu_us_per_request=$(cpu_of "$target" "$kind") minor_faults_per_request=$(faults_of "$target" "$kind")"
  rate=$(awk -v p="${peak[$target]}" 'BEGIN { printf "%d", p * 0.5 }')
  r=$(drive "$kind" "$rate" "$duration"); record "$target" "$kind-paced" "$r"
  echo "  at 0.5 of peak: $r"
  rss[$target]=$(peak_rss_kib "$pid")
  if [ -n "$tokens" ]; then
    echo "  401s by reason: $(grep -o '"reason":"[a-z_]*"' "$tmp/$target.log" | sort | uniq -c | tr -s ' \n' ' ')"
  fi
  kill -TERM "$pid"; wait "$pid" || true
  pids=("${pids[@]/$pid}")
  if [ "$x" = fetch ]; then
    kill -TERM "$fhir_pid"; wait "$fhir_pid" || true
    pids=("${pids[@]/$fhir_pid}")
  fi
done
tokens=""

# Summary: each figure and its ratio to nginx.
{
  echo "Load benchmark, $(date -u +%Y-%m-%d) on $machine; wrk -t$WRK_THREADS -c$conns, ${duration} s per point,"
  echo "load generator on the same machine. Load average at each point is in results.tsv."
  echo
  echo "| target | patient-view req/s | p50 / p99 at peak (ms) | order-select req/s | p99 at half peak, pv / os (ms) | peak RSS (MB) |"
  echo "|---|---|---|---|---|---|"
  for t in ${BASE_TARGETS:-nginx beast cpprest}; do
    awk -F'\t' -v t="$t" -v rss="${rss[$t]:-0}" '
      $1 == t && $2 == "pv" { pv = $4; p50 = $5; p99 = $7 }
      $1 == t && $2 == "os" { os = $4 }
      $1 == t && $2 == "pv-paced" && ++n == 3 { hp = $7 }
      $1 == t && $2 == "os-paced" { ho = $7 }
      END { printf "| %s | %.0f | %.2f / %.2f | %.0f | %.2f / %.2f | %.1f |\n", t, pv, p50 / 1000, p99 / 1000, os,
            hp / 1000, ho / 1000, rss / 1024 }' "$out/results.tsv"
  done
  echo
  echo "Ratios to nginx (throughput: higher is better; latency and RSS: lower is better):"
  echo
  echo "| transport | patient-view req/s | order-select req/s | p50 at peak | p99 at peak | p99 at half peak (pv) | peak RSS |"
  echo "|---|---|---|---|---|---|---|"
  for t in beast cpprest; do
    ran=" ${BASE_TARGETS:-nginx beast cpprest} "
    [[ "$ran" == *" nginx "* && "$ran" == *" $t "* ]] || continue
    awk -F'\t' -v t="$t" -v r="${rss[$t]:-0}" -v rn="${rss[nginx]:-1}" '
      { k = $1 SUBSEP $2 }
      $2 == "pv" { pv[$1] = $4; p50[$1] = $5; p99[$1] = $7 }
      $2 == "os" { os[$1] = $4 }
      $2 == "pv-paced" && ++n[$1] == 3 { hp[$1] = $7 }
      END { printf "| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n", t, pv[t] / pv["nginx"], os[t] / os["nginx"],
            p50[t] / p50["nginx"], p99[t] / p99["nginx"], hp[t] / hp["nginx"], r / rn }' "$out/results.tsv"
  done
  if ((${#extra[@]})); then
    echo
    echo "Beast build, patient-view call, with JWT authentication (auth.mode required, a fresh token per request) or"
    echo "fetching everything from the local FHIR server instead of prefetch (ratios: to nginx and to Beast without"
    echo "authentication with prefetch, and to the unsigned control run when there is one; same run):"
    echo
    echo "| run | req/s | / nginx | / Beast | / unsigned | p50 / p99 at peak (ms) | p99 at half peak (ms) | errors | service CPU µs/request at peak (unsigned / this) |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for x in "${extra[@]}"; do
      awk -F'\t' -v t="beast-$x" -v c="$(cpu_of "beast-$x" "$([ "$x" = fetch ] && echo fetch || echo pv)")" -v cu="$(cpu_of beast-unsigned pv)" '
        $1 == "nginx" && $2 == "pv" { n = $4 }
        $1 == "beast" && $2 == "pv" { b = $4 }
        $1 == "beast-unsigned" && $2 == "pv" { u = $4 }
        $1 == t && $2 !~ /paced/ { r = $4; p50 = $5; p99 = $7; e = $9 }
        $1 == t && $2 ~ /paced/ { hp = $7; e += $9 }
        END { printf "| %s | %.0f | %.2f | %.2f | %.2f | %.2f / %.2f | %.2f | %d | %s (%s) |\n", t, r, (n ? r / n : 0),
              (b ? r / b : 0), (u ? r / u : 0), p50 / 1000, p99 / 1000, hp / 1000, e, c,
              (c && cu ? sprintf("%.2f", cu / c) : "-") }' "$out/results.tsv"
    done
    if [ -n "$p384_bound" ]; then
      echo
      awk -F'\t' -v b="$p384_bound" -v c="$(nproc)" '$1 == "beast-es384" && $2 == "pv" {
        printf "ES384: %.0f req/s against a P-384 verify bound of %d/s (openssl speed -seconds 3 ecdsap384, verify/s x %d cores): %.2f of the bound.\n", $4, b, c, $4 / b }' "$out/results.tsv"
    fi
  fi
  if [ -f "$out/soak.tsv" ]; then
    echo
    awk -F'\t' 'NR == 2 { first = $2 } NR == 8 { minute = $2 } NR > 1 { last = $2 }
      END { printf "Soak (Beast, 300 s at half peak): VmRSS %.1f MB at start, %.1f MB after 1 min, %.1f MB at the end.\n",
            first / 1024, minute / 1024, last / 1024 }' "$out/soak.tsv"
  fi
} | tee "$out/summary.md"

# Plot: p50 and p99 against the achieved load (paced runs), one colour per target.
if [ "${BASE_TARGETS:-nginx beast cpprest}" != "nginx beast cpprest" ]; then
  echo "results: $out (results.tsv, summary.md; no plot without all three base targets)"
  exit 0
fi
for t in nginx beast cpprest; do
  awk -F'\t' -v t="$t" '$1 == t && $2 == "pv-paced" { print $4, $5 / 1000, $7 / 1000 }' "$out/results.tsv" \
    >"$out/curve-$t.dat"
done
gnuplot <<PLOT
set terminal pngcairo size 800,480 font ",10"
set output "$out/latency.png"
set title "Latency against offered load, patient-view call ($(date -u +%Y-%m-%d), $(nproc) cores, wrk on the same machine)"
set xlabel "achieved load (requests/s), paced at 10, 25, 50, 75, 90 % of each target's peak"
set ylabel "latency (ms)"
set logscale y
set grid
set key top left
plot "$out/curve-nginx.dat" using 1:3 with linespoints lc rgb "#555555" pt 7 title "nginx static p99", \
     "$out/curve-nginx.dat" using 1:2 with linespoints lc rgb "#555555" dt 2 pt 6 title "nginx static p50", \
     "$out/curve-beast.dat" using 1:3 with linespoints lc rgb "#1f77b4" pt 7 title "nmo-cds Beast p99", \
     "$out/curve-beast.dat" using 1:2 with linespoints lc rgb "#1f77b4" dt 2 pt 6 title "nmo-cds Beast p50", \
     "$out/curve-cpprest.dat" using 1:3 with linespoints lc rgb "#d62728" pt 7 title "nmo-cds cpprestsdk p99", \
     "$out/curve-cpprest.dat" using 1:2 with linespoints lc rgb "#d62728" dt 2 pt 6 title "nmo-cds cpprestsdk p50"
PLOT
echo "results: $out (results.tsv, summary.md, latency.png)"
