#!/usr/bin/env bash
# Build the browser extension (www/extension) with Vite against the built package, then pack
# it as www/extension/hearth-extension.zip (what the Chrome Web Store takes; load
# www/extension/dist unpacked for development).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f pkg/dist/index.js ] && [ -f pkg/wasm/hearth_bg.wasm ] || ./scripts/build-package.sh
[ -e node_modules/hearth-llm ] || npm install --no-audit --no-fund
node_modules/.bin/vite build --config www/extension/vite.config.js --logLevel warn
rm -f www/extension/hearth-extension.zip
python3 - <<'PY'
import os, zipfile
root = "www/extension/dist"
with zipfile.ZipFile("www/extension/hearth-extension.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for d, _, files in os.walk(root):
        for f in sorted(files):
            p = os.path.join(d, f)
            z.write(p, os.path.relpath(p, root))
PY
echo "extension built: www/extension/dist, $(stat -c %s www/extension/hearth-extension.zip) bytes zipped"
