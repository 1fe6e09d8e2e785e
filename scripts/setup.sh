#!/usr/bin/env bash
# Idempotent setup of a fresh machine: Vulkan on the CPU (Mesa lavapipe), Chromium (WebGPU on
# SwiftShader for the browser tests), the wasm target, the npm tools, and the test/demo models. Runs as root (CI) or through sudo.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
need=()
ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 || need+=(mesa-vulkan-drivers)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v node >/dev/null && command -v npm >/dev/null || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
  rustup target add wasm32-unknown-unknown
fi
# Build and test tools (typescript, binaryen's wasm-opt, playwright-core, vite), pinned by
# package.json + package-lock.json. `npm install`, not `npm ci`: this npm leaves rollup's
# other-platform optional packages out of the lock, which `npm ci` then rejects as out of sync.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund
fi
./scripts/fetch-models.sh
