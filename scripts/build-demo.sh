#!/usr/bin/env bash
# Build the demo (www/) to plain static files in www/dist with Vite, against the built package
# (pkg/, linked as the npm dependency "hearth-llm"). Any static host can serve www/dist; set
# the model URLs in www/dist/models.json or let it default to the Hugging Face copies.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f pkg/dist/index.js ] && [ -f pkg/wasm/hearth_bg.wasm ] || ./scripts/build-package.sh
[ -e node_modules/hearth-llm ] || npm install --no-audit --no-fund
node_modules/.bin/vite build www --logLevel warn
echo "demo built: www/dist ($(du -sh www/dist | cut -f1))"
