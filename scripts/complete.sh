#!/usr/bin/env bash
# The main job on the default model: complete a prompt with SmolLM2-135M-Instruct on the GPU
# (lavapipe here), streaming the text. Usage: scripts/complete.sh ["prompt"] [extra hearth flags]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh >/dev/null
cargo build --release --locked --quiet
PROMPT="${1:-<|im_start|>user
What is the capital of France?<|im_end|>
<|im_start|>assistant
}"
shift || true
exec ./target/release/hearth complete --model models/SmolLM2-135M-Instruct.Q4_1.gguf --prompt "$PROMPT" --max-tokens 64 "$@"
