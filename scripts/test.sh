#!/usr/bin/env bash
# The whole test suite, from a fresh machine: setup, native tests on lavapipe (kernel triads,
# GGUF hostile headers, golden SmolLM2 and MiniLM sweeps, generation, CLI contract), then the
# npm package, demo and extension (TypeScript unit tests, browser tests in Chromium, each file
# under a time limit: scripts/browser-tests.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
cargo build --release --locked
cargo test --release --locked --no-fail-fast -- --test-threads=1 --nocapture
# The npm package: wasm engine (wasm-bindgen + wasm-opt), TypeScript → pkg/dist; the demo and
# the extension built against it; unit tests of the TypeScript layer; then, in headless Chromium
# (WebGPU on SwiftShader): the package, the packed tarball (plain page + Vite build), the demo
# page end to end and the extension.
./scripts/build-package.sh
./scripts/build-demo.sh
./scripts/build-extension.sh
node --test pkg/test/
./scripts/browser-tests.sh
echo "all tests passed"
