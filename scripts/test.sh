#!/usr/bin/env bash
# The whole test suite, from a fresh machine: setup, native tests on lavapipe (kernel triads,
# GGUF hostile headers, golden SmolLM2 and MiniLM sweeps, generation, CLI contract), then the
# npm package (TypeScript unit tests, the browser tests in Chromium, the packed tarball).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
cargo build --release --locked
cargo test --release --locked --no-fail-fast -- --test-threads=1 --nocapture
# The npm package: wasm engine (wasm-bindgen + wasm-opt), TypeScript → pkg/dist, unit tests of
# the TypeScript layer, then the package in headless Chromium (WebGPU on SwiftShader) and as a
# packed tarball (plain page + Vite build).
./scripts/build-package.sh
node --test pkg/test/
node --test --test-concurrency=1 tests/browser/
echo "all tests passed"
