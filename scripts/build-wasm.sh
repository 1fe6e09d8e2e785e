#!/usr/bin/env bash
# Build the WebAssembly engine for the npm package: cargo (wasm32, profile wasm-release) →
# wasm-bindgen --target web (the CLI at exactly the crate's version) → wasm-opt (npm binaryen)
# → pkg/wasm/{hearth.js, hearth.d.ts, hearth_bg.wasm}.
set -euo pipefail
cd "$(dirname "$0")/.."
want=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  echo "installing wasm-bindgen-cli $want (have: ${have:-none})"
  cargo install wasm-bindgen-cli --version "$want"
fi
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true
cargo build --lib --locked --target wasm32-unknown-unknown --profile wasm-release
rm -rf pkg/wasm
wasm-bindgen --target web --out-dir pkg/wasm --out-name hearth target/wasm32-unknown-unknown/wasm-release/hearth.wasm
[ -x node_modules/.bin/wasm-opt ] || npm install --no-audit --no-fund
node_modules/.bin/wasm-opt -O3 --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
  pkg/wasm/hearth_bg.wasm -o pkg/wasm/hearth_bg.opt.wasm
mv pkg/wasm/hearth_bg.opt.wasm pkg/wasm/hearth_bg.wasm
ls -l pkg/wasm/hearth_bg.wasm | awk '{print "wasm: " $5 " bytes"}'
gzip -9 -c pkg/wasm/hearth_bg.wasm | wc -c | awk '{print "wasm gzipped: " $1 " bytes"}'
