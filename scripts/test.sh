#!/usr/bin/env bash
# Installs what is missing, then builds and runs every test, in three build trees:
#   build/beast     the default Boost.Beast transport: unit tests, HTTP tests against the real binary, boundaries
#   build/cpprest   the same suite on the optional cpprestsdk transport
#   build/sanitize  clang with AddressSanitizer + UndefinedBehaviorSanitizer: the whole suite again, plus each
#                   libFuzzer target for NMO_FUZZ_SECONDS (default 30) seeded from the test fixtures
# NMO_TEST_SUITES="beast" (a subset, space-separated) runs fewer trees.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
# install-deps.sh installed PostgreSQL: its tests (a private cluster per test process) must run, not skip.
export NMO_TEST_REQUIRE_POSTGRES=1
# The test FHIR server (@medplum/fhir-router, exact versions from the committed lock file) for the fetch tests.
echo "=== npm ci: tests/fhir-server"
(cd tests/fhir-server && npm ci --no-audit --no-fund)
jobs="$(nproc)"
suites="${NMO_TEST_SUITES:-beast cpprest sanitize}"
fuzz_seconds="${NMO_FUZZ_SECONDS:-30}"
failed=()

run_suite() {  # name, cmake args...
  local name="$1"; shift
  echo "=== build: $name"
  cmake -S . -B "build/$name" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
  cmake --build "build/$name" -j"$jobs"
  echo "=== test: $name"
  ctest --test-dir "build/$name" --output-on-failure --timeout 900 || failed+=("$name")
}

# The public conformance corpus (../shared/conformance/real-requests: CDS Hooks requests from the specification,
# EHR vendors and peer projects, each with its expected answer) against the real binary of a build tree, started
# in its development configuration on 127.0.0.1 and a free port, stopped by pid. The corpus folder is read-only
# in CI: it is copied into the build tree for `npm ci`.
# A FAIL is accepted only for a case listed in tests/conformance_conflicts.txt, answered with exactly the status and
# OperationOutcome expression listed there (a published expectation that conflicts with a safety rule).
conformance_conflicts_only() {  # report.json
  python3 - "$1" tests/conformance_conflicts.txt <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
allowed = {}
for line in open(sys.argv[2]):
    if line.strip() and not line.startswith('#'):
        case, status, path = line.split()[:3]
        allowed[case] = (int(status), path)
bad = []
for r in report['results']:
    if r['verdict'] != 'FAIL':
        continue
    want = allowed.get(r['id'])
    body = r.get('response') or {}
    paths = [e for i in (body.get('issue') or []) if isinstance(body, dict) for e in (i.get('expression') or [])]
    if not want or r.get('status') != want[0] or not any(p.startswith(want[1]) for p in paths):
        bad.append(r['id'])
    else:
        print(f"conformance: {r['id']} answered {want[0]} at {want[1]}: a listed conflict (tests/conformance_conflicts.txt)")
for case in bad:
    print(f"conformance: {case} FAILED")
sys.exit(1 if bad else 0)
PY
}

run_conformance() {  # build tree name
  local name="$1" corpus=../shared/conformance/real-requests
  local dir="build/$name/conformance" rc=0
  echo "=== conformance corpus: $name"
  if [ ! -f "$corpus/run.mjs" ]; then
    echo "test.sh: the conformance corpus is not at $corpus (shared/ beside the clone)" >&2
    return 1
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  cp -R "$corpus/." "$dir/"
  (cd "$dir" && npm ci --no-audit --no-fund) || return 1
  local port
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  # nmo-cds refuses NMO_* variables it does not know, such as this script's NMO_TEST_REQUIRE_POSTGRES.
  local unset_nmo=()
  while read -r var; do unset_nmo+=(-u "$var"); done < <(compgen -e | grep '^NMO_' || true)
  env "${unset_nmo[@]}" NMO_LISTEN_ADDRESS=127.0.0.1 NMO_LISTEN_PORT="$port" NMO_ADMIN_PORT=0 \
    NMO_PUBLIC_BASE_URL="http://127.0.0.1:$port" \
    NMO_FEEDBACK_SQLITE_PATH="$PWD/$dir/feedback.db" \
    "build/$name/service/nmo-cds" serve --config config/service.json >"$dir/server.log" 2>&1 &
  local pid=$!
  local up=0
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then up=1; break; fi
    sleep 0.1
  done
  if [ "$up" = 1 ]; then
    (cd "$dir" && node run.mjs --service "http://127.0.0.1:$port" --verbose --json "$PWD/report.json") >"$dir/run.log" 2>&1 ||
      conformance_conflicts_only "$dir/report.json" || rc=1
    awk '/^PASS /{show=0} /^(FAIL|WARN) /{show=1} / passed/{show=1} show' "$dir/run.log"
  else
    echo "test.sh: nmo-cds did not start for the conformance corpus:" >&2
    cat "$dir/server.log" >&2
    rc=1
  fi
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  return "$rc"
}

for suite in $suites; do
  case "$suite" in
    beast)
      run_suite beast -DNMO_TRANSPORT=beast
      run_conformance beast || failed+=(conformance)
      ;;
    cpprest) run_suite cpprest -DNMO_TRANSPORT=cpprest ;;
    sanitize)
      export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1"
      export UBSAN_OPTIONS="print_stacktrace=1"
      run_suite sanitize -DNMO_TRANSPORT=beast -DCMAKE_CXX_COMPILER=clang++-14 \
        -DNMO_SANITIZE=address,undefined -DNMO_BUILD_FUZZERS=ON -DNMO_FUZZ_SECONDS="$fuzz_seconds"
      ;;
    *) echo "test.sh: unknown suite $suite" >&2; exit 2 ;;
  esac
done

# Deployment files (deploy/): Containerfile and scripts statically; both kustomize overlays rendered and checked
# when kubectl is installed (Debian 12 does not package it: the check says when it skips them).
echo "=== check: deploy"
./deploy/check-deploy.py || failed+=(deploy)
# The container image itself (debootstrap bases, podman build, then run from its own root with chroot) takes
# minutes and root; opt in with NMO_TEST_IMAGE=1 (see README, Deployment).
if [ "${NMO_TEST_IMAGE:-0}" = 1 ]; then
  echo "=== check: container image"
  { ./deploy/build-image.sh && ./deploy/verify-image.sh; } || failed+=(image)
fi

if ((${#failed[@]})); then
  echo "FAILED suites: ${failed[*]}"
  exit 1
fi
echo "all suites passed: $suites"
