#!/usr/bin/env bash
# Installs what nmo-cds needs to build and test, from Debian 12's apt, if it is missing. Run as root (or with sudo).
# Usage: scripts/install-deps.sh [--bench]
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates curl
  libboost-dev libboost-test-dev rapidjson-dev libssl-dev libcpprest-dev libbenchmark-dev
  libsqlite3-dev libpq-dev libmimalloc-dev
  clang-14 libclang-rt-14-dev  # tests only: the sanitizer and libFuzzer build
  postgresql prometheus  # tests only: a private PostgreSQL cluster for the feedback store; promtool for /metrics
  chromium fonts-dejavu-core  # tests only: the governance pages rendered in headless Chromium
  python3 python3-yaml openssl  # deploy/check-deploy.py; test keys and certificates
)
# --bench: also what the load benchmark (tests/bench/load.sh) drives, compares against and plots with.
if [ "${1:-}" = "--bench" ]; then
  packages+=(wrk nginx gnuplot-nox)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all build dependencies present"
fi

# Node.js (>= 20) and npm run the test FHIR server (tests/fhir-server); installed from apt only when missing.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "install-deps: installing nodejs npm"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends nodejs npm
fi
