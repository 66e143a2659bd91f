#!/usr/bin/env bash
# Installs what is missing, then builds and runs every test: the Beast transport (default) and the cpprestsdk
# transport, each with its unit tests, HTTP tests against the real binary, and the module-boundary check.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
# The test FHIR server (@medplum/fhir-router, exact versions from the committed lock file) for the fetch tests.
echo "=== npm ci: tests/fhir-server"
(cd tests/fhir-server && npm ci --no-audit --no-fund)
jobs="$(nproc)"
status=0

run_suite() {  # name, cmake args...
  local name="$1"; shift
  echo "=== build: $name"
  cmake -S . -B "build/$name" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
  cmake --build "build/$name" -j"$jobs"
  echo "=== test: $name"
  ctest --test-dir "build/$name" --output-on-failure --timeout 600 || status=1
}

run_suite beast -DNMO_TRANSPORT=beast
run_suite cpprest -DNMO_TRANSPORT=cpprest

exit "$status"
