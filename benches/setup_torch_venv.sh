#!/usr/bin/env bash
# Create the PyTorch CPU venv used by benches/torch_model_bench.py, when missing, and print
# its python path. Location: $STEPCODER_TORCH_VENV, else <cache>/stepcoder/torch-venv.
#
# PyPI's Linux torch wheel declares the CUDA runtime wheels as dependencies and its shared
# libraries link against them, so `import torch` fails without them (the CPU-only builds
# live on a separate index that is not reachable here). The leanest route from PyPI alone:
# install the torch wheel itself and let pip add only what it declares, no extras, no cache
# (about 4 GB on disk); nothing else of the machine is touched.
set -euo pipefail
cache="${STEPCODER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stepcoder}"
venv="${STEPCODER_TORCH_VENV:-$cache/torch-venv}"
py="$venv/bin/python"
if [ -x "$py" ] && "$py" -c "import torch" >/dev/null 2>&1; then
    echo "$py"
    exit 0
fi
mkdir -p "$(dirname "$venv")"
python3 -m venv "$venv" >&2
"$py" -m pip install --quiet --no-cache-dir --disable-pip-version-check torch numpy >&2
"$py" -c "import torch; print('torch', torch.__version__, file=__import__('sys').stderr)" >&2
echo "$py"
