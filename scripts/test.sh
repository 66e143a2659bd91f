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

for suite in $suites; do
  case "$suite" in
    beast) run_suite beast -DNMO_TRANSPORT=beast ;;
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
