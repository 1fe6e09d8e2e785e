#!/usr/bin/env bash
# The main job: build the npm package and the demo page, then serve the demo with the local
# models (SmolLM2-135M-Instruct Q4_1 for chat/completion, all-MiniLM-L6-v2 for semantic search)
# at http://127.0.0.1:${PORT:-8080}/ — open it in a browser with WebGPU (Chrome/Edge 113+).
# HOST=0.0.0.0 serves other machines on the network (WebGPU then needs https or localhost).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build-package.sh
./scripts/build-demo.sh
cat > www/dist/models.json <<JSON
{ "text": "/models/SmolLM2-135M-Instruct.Q4_1.gguf", "embeddings": "/models/all-MiniLM-L6-v2/" }
JSON
exec node scripts/serve.mjs www/dist --port "${PORT:-8080}" --host "${HOST:-127.0.0.1}" --mount /models/=models
