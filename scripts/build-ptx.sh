#!/usr/bin/env bash
# Regenerates crates/stepcoder-kernels/ptx/*.ptx from crates/stepcoder-kernels/kernels/*.cu
# with the pinned nvcc 13.0 (PTX ISA 9.0), for sm_${CUDA_COMPUTE_CAP:-90}. The PTX is
# checked in, so building with `--features cuda` needs no extra nvcc step of ours.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/scripts/cuda-env.sh"
set -euo pipefail
K="$ROOT/crates/stepcoder-kernels"
mkdir -p "$K/ptx"
for cu in "$K"/kernels/*.cu; do
  name="$(basename "$cu" .cu)"
  nvcc --ptx -O3 -std=c++17 -arch="compute_${CUDA_COMPUTE_CAP}" -I "$K/kernels" \
    -o "$K/ptx/$name.ptx" "$cu"
  echo "build-ptx: $name.ptx ($(grep -c '^.visible .entry' "$K/ptx/$name.ptx") entries, $(grep -m1 '^.version' "$K/ptx/$name.ptx"))"
done
