#!/usr/bin/env bash
# The whole test suite, from a fresh machine: setup, native tests on lavapipe (kernel triads,
# GGUF hostile headers, golden SmolLM2 sweep with and without shader-f16, CLI contract), and
# the browser-target build of the library.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
cargo build --release --locked
cargo test --release --locked --no-fail-fast -- --test-threads=1 --nocapture
cargo build --release --locked --lib --target wasm32-unknown-unknown
echo "all tests passed"
