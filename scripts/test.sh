#!/usr/bin/env bash
# Installs what is missing, then builds and runs every test: the Beast transport (default) and the cpprestsdk
# transport, each with its unit tests, HTTP tests against the real binary, and the module-boundary check.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
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

# Deployment files (deploy/): Containerfile and scripts statically; both kustomize overlays rendered and checked
# when kubectl is installed (Debian 12 does not package it: the check says when it skips them).
echo "=== check: deploy"
./deploy/check-deploy.py || status=1
# The container image itself (debootstrap bases, podman build, then run from its own root with chroot) takes
# minutes and root; opt in with NMO_TEST_IMAGE=1 (see README, Deployment).
if [ "${NMO_TEST_IMAGE:-0}" = 1 ]; then
  echo "=== check: container image"
  { ./deploy/build-image.sh && ./deploy/verify-image.sh; } || status=1
fi

exit "$status"
