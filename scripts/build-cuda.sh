#!/usr/bin/env bash
# Builds stepcoder with CUDA on a machine without a GPU (as ../shared/DESIGN.md describes):
# CUDA 13.0 from pinned PyPI wheels (scripts/cuda-env.sh), unversioned .so symlinks, a
# generated libcuda stub to link against (every cu* symbol cudarc binds, each returning
# CUDA_ERROR_NO_DEVICE; the real libcuda.so.1 of the GPU machine is used at run time),
# CUDA_ROOT and CUDA_COMPUTE_CAP=90 (H100/H200). Cold build: about 20 min on 2 cores.
#
# Usage: scripts/build-cuda.sh            kernel tests and the `stepcoder` binary with
#                                         `--features cuda`, release profile
#        scripts/build-cuda.sh ARGS...    `cargo build ARGS...` with the CUDA environment
# Output (in $CARGO_TARGET_DIR, default target/cuda: a CUDA build never replaces the plain
# target/release/stepcoder, which starts without libcuda.so.1): release/stepcoder-cuda.gz
# (stripped and gzipped: the raw binary is over the 64 MiB that can be carried) and
# release/stepcoder-kernel-tests-cuda.gz (the kernels' test binary, CUDA against the CPU
# reference); scripts/gpu-check.sh uses both.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
. "$ROOT/scripts/cuda-env.sh"
set -euo pipefail
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target/cuda}"
T="$CARGO_TARGET_DIR/release"

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

# The kernels' integration-test binary (`tests/all`), found in cargo's JSON messages.
mkdir -p "$T"
cargo test --release -p stepcoder-kernels --features cuda --no-run --message-format=json |
  python3 -c '
import json, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-message":
        sys.stderr.write(m["message"].get("rendered") or "")
    if (m.get("reason") == "compiler-artifact" and m.get("executable")
            and "stepcoder-kernels" in m["package_id"] and m["target"]["name"] == "all"):
        print(m["executable"])
' >"$CARGO_TARGET_DIR/cuda-kernel-tests.txt"
KT="$(tail -1 "$CARGO_TARGET_DIR/cuda-kernel-tests.txt")"
[ -x "$KT" ] || { echo "build-cuda: no kernel test binary found" >&2; exit 1; }
strip -o "$T/stepcoder-kernel-tests-cuda" "$KT"
gzip -9 -f -k "$T/stepcoder-kernel-tests-cuda"
echo "build-cuda: kernel tests: $KT" >&2

cargo build --release -p stepcoder-cli --features cuda
strip -o "$T/stepcoder-cuda" "$T/stepcoder"
gzip -9 -f -k "$T/stepcoder-cuda"
ls -la "$T/stepcoder-cuda" "$T/stepcoder-cuda.gz" "$T/stepcoder-kernel-tests-cuda.gz" >&2
