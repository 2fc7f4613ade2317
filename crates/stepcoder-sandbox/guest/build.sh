#!/usr/bin/env bash
# Builds the sandbox guest: a WASI preview-2 component with a pre-initialized CPython running
# harness.py, then ships it zstd-compressed in ../assets with a hash of the sources it was built
# from (tests check that the shipped guest matches these sources).
#
# Tools are pinned: componentize-py (PyPI) in a private venv, zstd level 19.
# Usage: crates/stepcoder-sandbox/guest/build.sh   (needs python3 >= 3.9, pip, zstd)
set -euo pipefail
COMPONENTIZE_PY_VERSION=0.25.1
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
assets="$here/../assets"
venv="${STEPCODER_GUEST_VENV:-${TMPDIR:-/tmp}/stepcoder-guest-venv-$COMPONENTIZE_PY_VERSION}"
if [ ! -x "$venv/bin/componentize-py" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "componentize-py==$COMPONENTIZE_PY_VERSION"
fi
got="$("$venv/bin/componentize-py" --version)"
[ "$got" = "componentize-py $COMPONENTIZE_PY_VERSION" ] || { echo "wrong tool: $got" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/harness.py" "$here/sandbox_threading.py" "$work/"
( cd "$work" && "$venv/bin/componentize-py" -d "$here/wit" -w harness componentize harness -o guest.wasm )
mkdir -p "$assets"
zstd -q -19 -f "$work/guest.wasm" -o "$assets/guest.wasm.zst"
# The source hash: sha256 over "<path>\0<bytes>\0" for each source, in this order
# (the same computation as `guest_sources_sha256` in src/guest.rs).
sources_sha="$(cd "$here" && python3 - <<'PY'
import hashlib
h = hashlib.sha256()
for p in ("build.sh", "harness.py", "sandbox_threading.py", "wit/harness.wit"):
    h.update(p.encode() + b"\0" + open(p, "rb").read() + b"\0")
print(h.hexdigest())
PY
)"
wasm_sha="$(sha256sum "$work/guest.wasm" | cut -d' ' -f1)"
printf 'sources %s\nwasm %s\ncomponentize-py %s\n' "$sources_sha" "$wasm_sha" "$COMPONENTIZE_PY_VERSION" > "$assets/guest.sha256"
ls -l "$work/guest.wasm" "$assets/guest.wasm.zst"
cat "$assets/guest.sha256"
