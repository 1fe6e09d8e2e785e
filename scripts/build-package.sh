#!/usr/bin/env bash
# Build the npm package in pkg/: the wasm engine (scripts/build-wasm.sh) and the TypeScript API
# (pkg/src → pkg/dist with declarations). `npm pack` in pkg/ then makes the tarball.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x node_modules/.bin/tsc ] || npm install --no-audit --no-fund
./scripts/build-wasm.sh
rm -rf pkg/dist
node_modules/.bin/tsc -p pkg/tsconfig.json
echo "pkg/ built: $(ls pkg/dist | wc -l) files in dist/, $(stat -c %s pkg/wasm/hearth_bg.wasm) bytes of wasm"
