#!/usr/bin/env bash
# Builds stepcoder with CUDA on a machine without a GPU (as ../shared/DESIGN.md describes):
# CUDA 13.0 from pinned PyPI wheels (scripts/cuda-env.sh), unversioned .so symlinks, a
# generated libcuda stub to link against (every cu* symbol cudarc binds, each returning
# CUDA_ERROR_NO_DEVICE; the real libcuda.so.1 of the GPU machine is used at run time),
# CUDA_ROOT and CUDA_COMPUTE_CAP=90 (H100/H200). Cold build: about 20 min on 2 cores.
#
# Usage: scripts/build-cuda.sh            kernel tests (+ the `stepcoder` binary if the CLI
#                                         has a `cuda` feature), release profile
#        scripts/build-cuda.sh ARGS...    `cargo build ARGS...` with the CUDA environment
# Output: the test binary path is printed; the binary is stripped and gzipped to
# target/release/stepcoder-cuda.gz (the raw one is over the 64 MiB that can be carried).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
. "$ROOT/scripts/cuda-env.sh"
set -euo pipefail

# libcuda stub: the symbol names come from the cudarc sources cargo resolved.
cargo fetch --quiet
CUDARC="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/cudarc-0.19.* | sort -V | tail -1)"
STUB="$CUDA_PREFIX/stub"
mkdir -p "$STUB"
grep -oE '^ +fn cu[A-Za-z0-9_]+\(' "$CUDARC/src/driver/sys/mod.rs" | sed -E 's/ *fn //; s/\(//' |
  sort -u | awk '{ print "int " $1 "(void) { return 100; }" }' >"$STUB/libcuda_stub.c"
cc -shared -fPIC -O1 -Wl,-soname,libcuda.so.1 -o "$STUB/libcuda.so.1" "$STUB/libcuda_stub.c"
ln -sf libcuda.so.1 "$STUB/libcuda.so"
echo "build-cuda: libcuda stub with $(grep -c '^int' "$STUB/libcuda_stub.c") symbols in $STUB" >&2

if [ "$#" -gt 0 ]; then
  exec cargo build "$@"
fi

cargo test --release -p stepcoder-kernels --features cuda --no-run 2>&1 | tee /dev/stderr |
  grep -oE 'target/release/deps/all-[0-9a-f]+' | tail -1 >"$ROOT/target/cuda-kernel-tests.txt" || true
echo "build-cuda: kernel tests: $(cat "$ROOT/target/cuda-kernel-tests.txt")" >&2

if grep -qE '^cuda *=' crates/stepcoder-cli/Cargo.toml 2>/dev/null; then
  cargo build --release -p stepcoder-cli --features cuda
  strip -o target/release/stepcoder-cuda target/release/stepcoder
  gzip -9 -f -k target/release/stepcoder-cuda
  ls -la target/release/stepcoder-cuda target/release/stepcoder-cuda.gz >&2
else
  echo "build-cuda: crates/stepcoder-cli has no \`cuda\` feature yet; built the kernel tests only" >&2
fi
