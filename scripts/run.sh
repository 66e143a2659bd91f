#!/usr/bin/env bash
# Installs what is missing, builds a release, and serves on http://127.0.0.1:8080 with the bundled
# configuration (config/service.json) and knowledge (config/knowledge/). Stop with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DNMO_BUILD_TESTS=OFF
cmake --build build/release -j"$(nproc)" --target nmo-cds
exec build/release/service/nmo-cds serve --config config/service.json "$@"
