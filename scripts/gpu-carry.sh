#!/usr/bin/env bash
# Prepares what scripts/gpu-check.sh needs on a GPU machine that cannot download anything,
# in pieces that fit the 64 MiB a call can carry (the working tree counts too):
#   .gpu-carry/bin/       the CUDA binary and the kernels' CUDA test binary, gzipped
#                         (from scripts/build-cuda.sh, ~16 MB + a few MB)
#   .gpu-carry/model-a/   the default model (SmolLM2-135M-Instruct GGUF, 98 MB) in parts of
#   .gpu-carry/model-b/   at most 40 MB, for the 3-step training check
#   ...
# .gpu-carry/ is ignored by git (.gitignore), so it travels only when a call carries it.
# Then, in calls that follow each other closely (the machine stays warm only briefly):
#   carry [".gpu-carry/model-a"]                      bash scripts/gpu-check.sh --stash
#   carry [".gpu-carry/model-b"]                      bash scripts/gpu-check.sh --stash
#   carry [".gpu-carry/bin", ".gpu-carry/model-c"]    bash scripts/gpu-check.sh
# (--stash keeps the parts in /tmp on that machine; the last call joins and checks them.)
# Without the model parts the check still runs everything else and reports the training
# section as skipped.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
T="${CARGO_TARGET_DIR:-$ROOT/target/cuda}/release"
C=.gpu-carry
rm -rf "$C"
mkdir -p "$C/bin"
for f in stepcoder-cuda.gz stepcoder-kernel-tests-cuda.gz; do
  if [ -f "$T/$f" ]; then
    cp "$T/$f" "$C/bin/"
  else
    echo "gpu-carry: $T/$f is missing: run scripts/build-cuda.sh first" >&2
    exit 1
  fi
done
GGUF="${STEPCODER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stepcoder}/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf"
if [ -f "$GGUF" ]; then
  tmp="$(mktemp -d)"
  split -b 40M -d -a 2 "$GGUF" "$tmp/$(basename "$GGUF").part-"
  i=0
  for p in "$tmp"/*.part-*; do
    d="$C/model-$(printf "\\x$(printf %x $((97 + i)))")"
    mkdir -p "$d"
    mv "$p" "$d/"
    i=$((i + 1))
  done
  rm -rf "$tmp"
else
  echo "gpu-carry: no default model in the cache ($GGUF); the training check will be skipped" >&2
fi
du -sh "$C"/* >&2
echo "gpu-carry: carry the model-* folders one per call with 'bash scripts/gpu-check.sh --stash'," >&2
echo "           then [.gpu-carry/bin, the last model-* folder] with 'bash scripts/gpu-check.sh'" >&2
