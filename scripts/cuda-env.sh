#!/usr/bin/env bash
# Installs the pinned CUDA 13.0 toolchain from PyPI wheels (no system CUDA needed) and
# exports CUDA_ROOT, PATH, LIBRARY_PATH and CUDA_COMPUTE_CAP for candle's `cuda` feature.
# Source it:  . scripts/cuda-env.sh
# CUDA 13.0 is pinned on purpose: the GPU machines' driver (580) accepts PTX ISA up to 9.0,
# and nvcc 13.0 emits 9.0 (13.5 emits 9.5, which that driver rejects).
# STEPCODER_CUDA_PREFIX (default ~/.cache/stepcoder/cuda13) is where it goes.
set -euo pipefail

CUDA_PREFIX="${STEPCODER_CUDA_PREFIX:-$HOME/.cache/stepcoder/cuda13}"
SITE="$CUDA_PREFIX/site"
CU="$SITE/nvidia/cu13"

if [ ! -x "$CU/bin/nvcc" ] || [ ! -e "$CU/lib/libcublas.so.13" ]; then
  echo "cuda-env: installing CUDA 13.0 wheels into $SITE" >&2
  # pip --target does not merge into an existing folder: install all wheels at once, then swap.
  rm -rf "$SITE.tmp"
  python3 -m pip install --quiet --no-deps --target "$SITE.tmp" \
    nvidia-cuda-nvcc==13.0.88 nvidia-cuda-runtime==13.0.96 nvidia-cuda-crt==13.0.88 \
    nvidia-nvvm==13.0.88 nvidia-cuda-cccl==13.0.85 nvidia-cublas==13.0.2.14 \
    nvidia-curand==10.4.0.35 nvidia-cuda-nvrtc==13.0.88
  rm -rf "$SITE"
  mv "$SITE.tmp" "$SITE"
fi

# Unversioned .so names for the linker (the wheels ship only libfoo.so.N).
for lib in "$CU"/lib/lib*.so.*; do
  [ -e "$lib" ] || continue
  base="${lib%%.so.*}.so"
  [ -e "$base" ] || ln -s "$(basename "$lib")" "$base"
done

export CUDA_ROOT="$CU"
export CUDA_PATH="$CU"
export PATH="$CU/bin:$PATH"
export LIBRARY_PATH="$CU/lib:$CUDA_PREFIX/stub${LIBRARY_PATH:+:$LIBRARY_PATH}"
export CUDA_COMPUTE_CAP="${CUDA_COMPUTE_CAP:-90}"
set +euo pipefail
