#!/usr/bin/env bash
# Checks stepcoder on a GPU machine in one run (at most GPU_CHECK_TIMEOUT_S, default 480 s,
# including any build) and writes one JSON report, $OUT/gpu-check.json (./gpu-check.json when
# OUT is unset):
#   kernel_tests  every CUDA kernel test against its CPU reference, forward and backward, on
#                 the shapes the trainer uses (the kernels' test binary)
#   ppo_step      one PPO step (batched sampling, then the training pass) of a random
#                 Qwen2.5-0.5B-shaped model on CUDA against the same step in PyTorch eager in
#                 the same run (`stepcoder bench ppo-step`, benches/torch_ppo_step.py);
#                 goal: at least PyTorch eager's speed
#   logprob       the fused log-prob kernel against candle's unfused ops (forward + backward,
#                 the trainer's logits shape); goal: at least 3x
#   train         a 3-step `stepcoder train --device cuda` on the default model
#   cpu_fallback  `--device cuda` where no GPU is usable: the warning and the CPU run
# Each section says ran / failed / skipped, why, its figures, and how long it took.
#
# Usage (from the repository root):
#   bash scripts/gpu-check.sh             on the GPU machine
#   bash scripts/gpu-check.sh --dry-run   anywhere: what runs without a GPU (the binaries
#                                         start, the CPU references, the PyTorch CPU leg, the
#                                         CPU fallback); GPU sections say they were skipped
#   bash scripts/gpu-check.sh --stash     only keep carried model parts (.gpu-carry/model-*)
#                                         in /tmp for a later call (see scripts/gpu-carry.sh)
#   --build                               build with scripts/build-cuda.sh when no CUDA
#                                         binary is found (cold: ~20 min on 2 cores, too long
#                                         for the time cap; warm: minutes)
#
# The binaries: $STEPCODER_CUDA_BIN, else target/cuda/release/stepcoder-cuda(.gz) (what
# scripts/build-cuda.sh makes; carry the .gz files), else .gpu-carry/bin/; the kernel tests
# likewise (stepcoder-kernel-tests-cuda.gz). The CUDA libraries are looked up in PyTorch's
# nvidia wheels, /usr/local/cuda and scripts/cuda-env.sh's prefix; libcuda.so.1 comes from
# the driver (on a machine without one, the stub of build-cuda.sh lets the binary start).
# The default model cannot be fetched offline: $STEPCODER_MODEL, the user cache, or parts
# joined from .gpu-carry/model-*/ and /tmp/stepcoder-gpu-carry/ (scripts/gpu-carry.sh).
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

MODE=gpu
BUILD=0
for arg in "$@"; do
  case "$arg" in
    --dry-run) MODE=dry-run ;;
    --build) BUILD=1 ;;
    --stash) MODE=stash ;;
    -h | --help)
      sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "gpu-check: unknown argument $arg (--dry-run, --build, --stash)" >&2
      exit 2
      ;;
  esac
done

REPORT_DIR="${OUT:-$PWD}"
mkdir -p "$REPORT_DIR"
REPORT="$REPORT_DIR/gpu-check.json"
WORK="$(mktemp -d /tmp/gpu-check.XXXXXX)"
STASH=/tmp/stepcoder-gpu-carry
GGUF_NAME=SmolLM2-135M-Instruct.Q4_1.gguf
GGUF_SHA=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
CAP="${GPU_CHECK_TIMEOUT_S:-480}"
T0=$(date +%s)
DEADLINE=$((T0 + CAP))
log() { echo "gpu-check: $*" >&2; }

if [ "$MODE" = stash ]; then
  mkdir -p "$STASH"
  n=0
  for f in .gpu-carry/model-*/*.part-*; do
    [ -f "$f" ] || continue
    cp -f "$f" "$STASH/" && n=$((n + 1))
  done
  log "kept $n model part(s) in $STASH: $(ls "$STASH" 2>/dev/null | tr '\n' ' ')"
  exit 0
fi

# Seconds left for a section: its own budget, at most what the cap leaves (minus 15 s for
# the report).
budget() {
  local want=$1 left=$((DEADLINE - $(date +%s) - 15))
  [ "$left" -lt "$want" ] && want=$left
  [ "$want" -lt 1 ] && want=1
  echo "$want"
}
time_left() { [ $((DEADLINE - $(date +%s) - 15)) -gt "${1:-5}" ]; }
# Seconds since a `date +%s%N` stamp.
since() { awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }

# section NAME STATUS REASON [RESULT_JSON_FILE] [LOG_FILE] [SECONDS]: one entry of the report.
section() {
  python3 - "$WORK" "$@" <<'PY'
import json, os, sys
work, name, status, reason = sys.argv[1:5]
result = sys.argv[5] if len(sys.argv) > 5 else ""
logf = sys.argv[6] if len(sys.argv) > 6 else ""
secs = sys.argv[7] if len(sys.argv) > 7 else ""
d = {"status": status}
if reason:
    d["reason"] = reason
if secs:
    d["seconds"] = float(secs)
if result and os.path.exists(result) and os.path.getsize(result) > 0:
    text = open(result, errors="replace").read()
    try:
        d["result"] = json.loads(text)
    except ValueError:
        d["output_tail"] = text[-3000:]
if logf and os.path.exists(logf):
    d["log_tail"] = open(logf, errors="replace").read()[-2500:]
json.dump(d, open(os.path.join(work, "s_" + name + ".json"), "w"))
PY
}

# ------------------------------------------------------------------ the machine
GPU=0
GPU_INFO=""
if command -v nvidia-smi >/dev/null 2>&1; then
  GPU_INFO="$(timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -4)"
  [ -n "$GPU_INFO" ] && ! echo "$GPU_INFO" | grep -qiE 'fail|error|not found' && GPU=1
fi
if [ "$MODE" = dry-run ]; then
  RUN_GPU=0
  NO_GPU_REASON="dry run: no GPU section runs"
elif [ "$GPU" = 1 ]; then
  RUN_GPU=1
  NO_GPU_REASON=""
else
  RUN_GPU=0
  NO_GPU_REASON="no GPU found (nvidia-smi: ${GPU_INFO:-not installed})"
fi
log "mode $MODE, GPU: ${GPU_INFO:-none}, time cap ${CAP}s"

# Python with PyTorch: python3 when it imports torch (the GPU machine's image), else the
# venv of benches/setup_torch_venv.sh when it exists (never installed from here).
TORCH_PY=""
for py in "${STEPCODER_TORCH_PYTHON:-}" python3 \
  "${STEPCODER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stepcoder}/torch-venv/bin/python"; do
  [ -n "$py" ] || continue
  if "$py" -c 'import torch' >/dev/null 2>&1; then
    TORCH_PY="$py"
    break
  fi
done
TORCH_INFO="$([ -n "$TORCH_PY" ] && "$TORCH_PY" -c 'import torch; print(torch.__version__, "cuda" if torch.cuda.is_available() else "cpu-only")' 2>/dev/null)"

# ------------------------------------------------------------------ CUDA libraries
# Directories holding the CUDA 13 runtime libraries candle links (cublas, cublasLt, curand,
# nvrtc, cudart) and the driver's libcuda.so.1.
LIBDIRS=""
add_libdir() { [ -d "$1" ] && case ":$LIBDIRS:" in *":$1:"*) ;; *) LIBDIRS="${LIBDIRS:+$LIBDIRS:}$1" ;; esac; }
for py in python3 ${TORCH_PY:+"$TORCH_PY"}; do
  for d in $("$py" - 2>/dev/null <<'PY'
import glob, os, site, sys
roots = set(site.getsitepackages() + [site.getusersitepackages()])
for r in roots:
    for lib in glob.glob(os.path.join(r, "nvidia", "**", "lib*.so.*"), recursive=True):
        if any(n in lib for n in ("cublas", "curand", "nvrtc", "cudart")):
            print(os.path.dirname(lib))
PY
  ); do add_libdir "$d"; done
done
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/nvidia/lib64 \
  /usr/local/nvidia/lib "${STEPCODER_CUDA_PREFIX:-$HOME/.cache/stepcoder/cuda13}/site/nvidia/cu13/lib"; do
  add_libdir "$d"
done
HAVE_LIBCUDA=0
if ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1'; then
  HAVE_LIBCUDA=1
else
  for d in ${LIBDIRS//:/ }; do [ -e "$d/libcuda.so.1" ] && HAVE_LIBCUDA=1; done
fi
STUB_USED=0
STUB="${STEPCODER_CUDA_PREFIX:-$HOME/.cache/stepcoder/cuda13}/stub"
if [ "$HAVE_LIBCUDA" = 0 ] && [ -e "$STUB/libcuda.so.1" ]; then
  # No driver here: build-cuda.sh's stub answers every call with "no device", so the
  # binary starts and takes its CPU fallback.
  add_libdir "$STUB"
  STUB_USED=1
fi
export LD_LIBRARY_PATH="${LIBDIRS}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# ------------------------------------------------------------------ binaries
# find_bin NAME: the first of $2.. that exists (a .gz is unpacked into $WORK).
find_bin() {
  local name=$1
  shift
  for c in "$@"; do
    [ -n "$c" ] || continue
    if [ -f "$c" ] && [ "${c%.gz}" != "$c" ]; then
      gunzip -c "$c" >"$WORK/$name" && chmod +x "$WORK/$name" && echo "$WORK/$name" && return 0
    elif [ -f "$c" ] && [ -x "$c" ]; then
      echo "$c" && return 0
    fi
  done
  return 1
}
TC="${CARGO_TARGET_DIR:-$ROOT/target/cuda}/release"
bins() {
  BIN="$(find_bin stepcoder-cuda "${STEPCODER_CUDA_BIN:-}" .gpu-carry/bin/stepcoder-cuda.gz \
    .gpu-carry/bin/stepcoder-cuda "$TC/stepcoder-cuda.gz" "$TC/stepcoder-cuda")"
  KBIN="$(find_bin kernel-tests "${STEPCODER_CUDA_KERNEL_TESTS:-}" \
    .gpu-carry/bin/stepcoder-kernel-tests-cuda.gz "$TC/stepcoder-kernel-tests-cuda.gz" \
    "$TC/stepcoder-kernel-tests-cuda")"
}
bins
BUILD_NOTE=""
if [ -z "$BIN" ]; then
  if [ "$BUILD" = 1 ] && command -v cargo >/dev/null 2>&1; then
    log "no CUDA binary: building with scripts/build-cuda.sh (time left $(budget 100000)s)"
    s=$(date +%s%N)
    timeout "$(budget 100000)" bash scripts/build-cuda.sh >"$WORK/build.log" 2>&1
    rc=$?
    bins
    BUILD_NOTE="built here with scripts/build-cuda.sh in $(since "$s") s (rc $rc)"
    section build "$([ "$rc" = 0 ] && echo ran || echo failed)" "$BUILD_NOTE" "" "$WORK/build.log" "$(since "$s")"
  else
    BUILD_NOTE="no CUDA binary (build one with scripts/build-cuda.sh and carry target/cuda/release/*.gz, or pass --build$(command -v cargo >/dev/null || echo '; no cargo here'))"
    section build skipped "$BUILD_NOTE"
  fi
else
  section build skipped "a CUDA binary was found: $BIN"
fi
# Whether a binary starts here (its shared libraries all resolve).
starts() { [ -n "$1" ] && ! ldd "$1" 2>/dev/null | grep -q 'not found'; }
MISSING=""
[ -n "$BIN" ] && MISSING="$(ldd "$BIN" 2>/dev/null | grep 'not found' | awk '{print $1}' | tr '\n' ' ')"
# A CPU binary for the dry run's CPU legs when no CUDA binary starts here.
# The newest plain build (a stale one may lack the bench commands).
CPU_BIN="$(find_bin stepcoder-cpu $(ls -t target/release/stepcoder target/debug/stepcoder 2>/dev/null) || true)"
RUN_BIN="$BIN"
starts "$RUN_BIN" || RUN_BIN="$CPU_BIN"

# ------------------------------------------------------------------ kernel tests
s=$(date +%s%N)
if [ -z "$KBIN" ]; then
  section kernel_tests skipped "no kernel test binary (scripts/build-cuda.sh makes target/cuda/release/stepcoder-kernel-tests-cuda.gz)"
elif ! starts "$KBIN"; then
  section kernel_tests skipped "the kernel test binary does not start here: missing $(ldd "$KBIN" | grep 'not found' | awk '{print $1}' | tr '\n' ' ')"
else
  # --nocapture: a CUDA test that finds no GPU says so on stderr and passes; the report
  # must see that.
  timeout "$(budget 150)" "$KBIN" --test-threads 1 --nocapture >"$WORK/kernels.log" 2>&1
  rc=$?
  python3 - "$WORK/kernels.log" "$rc" "$RUN_GPU" >"$WORK/kernels.json" <<'PY'
import json, re, sys
text = open(sys.argv[1], errors="replace").read()
rc, gpu = int(sys.argv[2]), sys.argv[3] == "1"
tests = {m.group(1): m.group(2)
         for m in re.finditer(r"^test (\S+) \.\.\. (?:.*\n)*?.*?\b(ok|FAILED|ignored)$", text, re.M)}
skipped_cuda = len(re.findall(r"skipping CUDA test", text))
print(json.dumps({"exit_code": rc, "tests": tests,
                  "passed": sum(v == "ok" for v in tests.values()),
                  "failed": [k for k, v in tests.items() if v != "ok"],
                  "cuda_tests_skipped_for_no_gpu": skipped_cuda}))
PY
  if [ "$rc" != 0 ]; then
    st=failed
    why="kernel tests failed (exit $rc)"
  elif [ "$RUN_GPU" = 1 ] && grep -q 'skipping CUDA test' "$WORK/kernels.log"; then
    st=failed
    why="the CUDA tests skipped themselves: the GPU was not usable from the test binary"
  elif [ "$RUN_GPU" = 1 ]; then
    st=ran
    why="CUDA kernels against the CPU reference, forward and backward"
  else
    st=ran_cpu_only
    why="CPU reference tests ran; the CUDA tests skipped themselves ($NO_GPU_REASON)"
  fi
  section kernel_tests "$st" "$why" "$WORK/kernels.json" "$WORK/kernels.log" "$(since "$s")"
fi
# ------------------------------------------------------------------ PPO step vs PyTorch eager
s=$(date +%s%N)
if [ "$RUN_GPU" = 1 ]; then
  if [ -z "$BIN" ] || ! starts "$BIN"; then
    section ppo_step skipped "no CUDA binary that starts here ${MISSING:+(missing: $MISSING)}"
  else
    args=(bench ppo-step --device cuda --json --steps 2)
    [ -n "$TORCH_PY" ] && args+=(--python "$TORCH_PY") || args+=(--no-torch)
    timeout "$(budget 200)" "$BIN" "${args[@]}" >"$WORK/ppo.json" 2>"$WORK/ppo.log"
    rc=$?
    section ppo_step "$([ "$rc" = 0 ] && echo ran || echo failed)" \
      "Qwen2.5-0.5B shape, random weights, bf16 forward over f32 master weights, vs PyTorch eager ${TORCH_INFO:-(no PyTorch: not compared)} (exit $rc)" \
      "$WORK/ppo.json" "$WORK/ppo.log" "$(since "$s")"
  fi
elif [ -n "$RUN_BIN" ] && time_left 30; then
  # The CPU leg: the same comparison on a tiny shape, both sides on the CPU in f32.
  args=(bench ppo-step --device cpu --shape tiny --steps 1 --json)
  [ -n "$TORCH_PY" ] && args+=(--python "$TORCH_PY") || args+=(--no-torch)
  timeout "$(budget 120)" nice -n 19 "$RUN_BIN" "${args[@]}" >"$WORK/ppo.json" 2>"$WORK/ppo.log"
  rc=$?
  section ppo_step "$([ "$rc" = 0 ] && echo ran_cpu_only || echo failed)" \
    "$NO_GPU_REASON; ran the CPU leg instead: tiny shape, f32, stepcoder vs PyTorch ${TORCH_INFO:-(no PyTorch found: not compared; benches/setup_torch_venv.sh installs it)} on the CPU (exit $rc)" \
    "$WORK/ppo.json" "$WORK/ppo.log" "$(since "$s")"
else
  section ppo_step skipped "$NO_GPU_REASON; no stepcoder binary for the CPU leg, or no time left"
fi

# ------------------------------------------------------------------ fused log-prob kernel
s=$(date +%s%N)
if [ "$RUN_GPU" = 1 ] && [ -n "$BIN" ] && starts "$BIN"; then
  timeout "$(budget 90)" "$BIN" bench logprob --device cuda --json >"$WORK/logprob.json" 2>"$WORK/logprob.log"
  rc=$?
  timeout "$(budget 60)" "$BIN" bench logprob --device cuda --precision f32 --json \
    >"$WORK/logprob_f32.json" 2>>"$WORK/logprob.log"
  python3 - "$WORK/logprob.json" "$WORK/logprob_f32.json" >"$WORK/logprob_all.json" <<'PY'
import json, sys
out = {}
for key, path in (("bf16", sys.argv[1]), ("f32", sys.argv[2])):
    try:
        out[key] = json.load(open(path))
    except Exception as e:
        out[key] = {"error": str(e)}
print(json.dumps(out))
PY
  section logprob "$([ "$rc" = 0 ] && echo ran || echo failed)" \
    "16 x 128 x 151936 logits (Qwen2.5's vocabulary), fused kernel vs candle's log_softmax + gather, forward + backward (exit $rc)" \
    "$WORK/logprob_all.json" "$WORK/logprob.log" "$(since "$s")"
elif [ "$RUN_GPU" = 1 ]; then
  section logprob skipped "no CUDA binary that starts here"
elif [ -n "$RUN_BIN" ] && time_left 20; then
  timeout "$(budget 60)" nice -n 19 "$RUN_BIN" bench logprob --device cpu --rows 2 --seq 32 \
    --vocab 49152 --iters 3 --json >"$WORK/logprob.json" 2>"$WORK/logprob.log"
  rc=$?
  section logprob "$([ "$rc" = 0 ] && echo ran_cpu_only || echo failed)" \
    "$NO_GPU_REASON; ran the CPU reference instead (2 x 32 x 49152, f32; exit $rc)" \
    "$WORK/logprob.json" "$WORK/logprob.log" "$(since "$s")"
else
  section logprob skipped "$NO_GPU_REASON; no stepcoder binary, or no time left"
fi

# ------------------------------------------------------------------ 3 training steps on CUDA
# The default model: $STEPCODER_MODEL, the user cache, or carried parts joined here.
MODEL_NOTE=""
prepare_model() {
  if [ -n "${STEPCODER_MODEL:-}" ] && [ -e "$STEPCODER_MODEL" ]; then
    MODEL_NOTE="STEPCODER_MODEL=$STEPCODER_MODEL"
    return 0
  fi
  local cache="${STEPCODER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stepcoder}/models/smollm2-135m-instruct"
  if [ -f "$cache/$GGUF_NAME" ] && [ -f "$cache/${GGUF_NAME%.gguf}.sha256-ok" ]; then
    MODEL_NOTE="the default model from the user cache"
    return 0
  fi
  local parts
  parts="$(ls .gpu-carry/model-*/*.part-* "$STASH"/*.part-* 2>/dev/null | awk -F/ '{print $NF" "$0}' | sort -u -k1,1 | awk '{print $2}')"
  if [ -z "$parts" ]; then
    MODEL_NOTE="the default model is not on this machine (it has no network): carry it in parts, see scripts/gpu-carry.sh"
    return 1
  fi
  mkdir -p "$cache"
  # shellcheck disable=SC2086
  cat $parts >"$cache/$GGUF_NAME.tmp"
  if [ "$(sha256sum "$cache/$GGUF_NAME.tmp" | cut -d' ' -f1)" = "$GGUF_SHA" ]; then
    mv "$cache/$GGUF_NAME.tmp" "$cache/$GGUF_NAME"
    echo "$GGUF_SHA" >"$cache/${GGUF_NAME%.gguf}.sha256-ok"
    MODEL_NOTE="the default model joined from $(echo "$parts" | wc -l) carried parts (sha256 checked)"
    return 0
  fi
  rm -f "$cache/$GGUF_NAME.tmp"
  MODEL_NOTE="the carried model parts ($(echo $parts)) do not join to the default model (sha256 differs: a part is missing?)"
  return 1
}
s=$(date +%s%N)
if [ "$RUN_GPU" = 0 ]; then
  section train skipped "$NO_GPU_REASON (on the CPU, \`stepcoder train --preset quick\` is the same smoke run; minutes on 2 cores)"
elif [ -z "$BIN" ] || ! starts "$BIN"; then
  section train skipped "no CUDA binary that starts here"
elif ! prepare_model; then
  section train skipped "$MODEL_NOTE"
elif ! time_left 45; then
  section train skipped "no time left under the ${CAP}s cap"
else
  cat >"$WORK/train.toml" <<'TOML'
[run]
checkpoint_every = 0
log_samples = false
[eval]
before = false
after = false
TOML
  timeout "$(budget 240)" "$BIN" train --device cuda --preset quick --steps 3 \
    --config "$WORK/train.toml" --output-dir "$WORK/train" >"$WORK/train.out" 2>"$WORK/train.log"
  rc=$?
  python3 - "$WORK/train" "$WORK/train.log" "$rc" >"$WORK/train.json" <<'PY'
import json, os, sys
run, logf, rc = sys.argv[1], sys.argv[2], int(sys.argv[3])
log = open(logf, errors="replace").read()
steps = []
path = os.path.join(run, "metrics.jsonl")
if os.path.exists(path):
    for line in open(path):
        try:
            m = json.loads(line)
        except ValueError:
            continue
        steps.append({"step": m.get("step"), "reward_mean": m.get("reward_mean"),
                      "pass_rate": m.get("pass_rate"), "kl": m.get("kl"),
                      "generated_tokens": m.get("generated_tokens"), "time": m.get("time")})
device = [l for l in log.splitlines() if l.startswith("device:")]
print(json.dumps({"exit_code": rc, "device_line": device[-1] if device else None,
                  "fell_back_to_cpu": "falling back to the CPU" in log,
                  "steps": steps, "checkpoint": os.path.isdir(os.path.join(run, "checkpoints"))}))
PY
  st=failed
  if [ "$rc" = 0 ] && grep -q '^device: cuda' "$WORK/train.log"; then st=ran; fi
  section train "$st" "3 PPO steps of \`stepcoder train --device cuda --preset quick\` on $MODEL_NOTE, evaluation off (exit $rc)" \
    "$WORK/train.json" "$WORK/train.log" "$(since "$s")"
fi

# ------------------------------------------------------------------ CPU fallback
# Only where no GPU is usable: a CUDA binary asked for cuda must warn and run on the CPU.
s=$(date +%s%N)
if [ "$GPU" = 1 ]; then
  section cpu_fallback skipped "a GPU is usable here"
elif [ -z "$BIN" ]; then
  section cpu_fallback skipped "no CUDA binary"
elif ! starts "$BIN"; then
  section cpu_fallback skipped "the CUDA binary does not start here (missing: $MISSING): it needs libcuda.so.1 (a driver, or build-cuda.sh's stub) and the CUDA 13 libraries"
else
  timeout "$(budget 60)" "$BIN" bench logprob --device cuda --rows 1 --seq 4 --vocab 64 --iters 1 \
    --json >"$WORK/fallback.json" 2>"$WORK/fallback.log"
  rc=$?
  if [ "$rc" = 0 ] && grep -q 'falling back to the CPU' "$WORK/fallback.log" &&
    grep -q '"device": "cpu"' "$WORK/fallback.json"; then
    st=ran
  else
    st=failed
  fi
  section cpu_fallback "$st" "\`stepcoder bench logprob --device cuda\` with no usable GPU$([ "$STUB_USED" = 1 ] && echo ' (libcuda.so.1: the stub of build-cuda.sh)') must warn and run on the CPU (exit $rc)" \
    "$WORK/fallback.json" "$WORK/fallback.log" "$(since "$s")"
fi

# ------------------------------------------------------------------ CPU references
# The CPU references through cargo, where there is cargo and no GPU (the dry run).
s=$(date +%s%N)
if [ "$RUN_GPU" = 0 ] && command -v cargo >/dev/null 2>&1 && time_left 60; then
  timeout "$(budget 150)" nice -n 19 cargo test -q -p stepcoder-kernels >"$WORK/cpu_ref.log" 2>&1
  rc=$?
  section cpu_references "$([ "$rc" = 0 ] && echo ran || echo failed)" \
    "cargo test -p stepcoder-kernels (each CPU forward and backward against candle's autograd; exit $rc)" \
    "" "$WORK/cpu_ref.log" "$(since "$s")"
else
  section cpu_references skipped "$([ "$RUN_GPU" = 1 ] && echo 'GPU run: the kernel test binary covers them' || echo 'no cargo here or no time left')"
fi

# ------------------------------------------------------------------ the report
python3 - "$WORK" "$REPORT" "$MODE" "$T0" "$CAP" "$GPU_INFO" "$TORCH_INFO" "${BIN:-}" \
  "${KBIN:-}" "$MISSING" "$STUB_USED" "$LD_LIBRARY_PATH" "$(git rev-parse --short HEAD 2>/dev/null)" <<'PY'
import glob, json, os, platform, sys, time
(work, report, mode, t0, cap, gpu, torch_info, binary, kbin, missing, stub, ldpath,
 commit) = sys.argv[1:14]
sections = {}
for p in sorted(glob.glob(os.path.join(work, "s_*.json"))):
    sections[os.path.basename(p)[2:-5]] = json.load(open(p))

def get(d, *keys):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d

goals = {}
ppo = get(sections, "ppo_step", "result")
if get(sections, "ppo_step", "status") == "ran" and ppo is not None:
    goals["ppo_step_at_least_pytorch_eager"] = {
        "speedup": get(ppo, "speedup_vs_torch", "step"), "met": get(ppo, "goal_met")}
else:
    goals["ppo_step_at_least_pytorch_eager"] = {"met": None, "why": "not measured on a GPU"}
lp = get(sections, "logprob", "result", "bf16")
if get(sections, "logprob", "status") == "ran" and lp is not None:
    goals["fused_logprob_at_least_3x_unfused"] = {
        "speedup": lp.get("speedup_forward_backward"), "met": lp.get("goal_met")}
else:
    goals["fused_logprob_at_least_3x_unfused"] = {"met": None, "why": "not measured on a GPU"}
failed = [k for k, v in sections.items() if v.get("status") == "failed"]
out = {
    "mode": mode,
    "commit": commit,
    "ok": not failed,
    "failed_sections": failed,
    "elapsed_s": round(time.time() - float(t0), 1),
    "time_cap_s": int(cap),
    "machine": {"host": platform.node(), "gpu": gpu or None, "pytorch": torch_info or None,
                "cpus": os.cpu_count()},
    "binaries": {"stepcoder_cuda": binary or None, "kernel_tests": kbin or None,
                 "missing_libraries": missing.split() or None,
                 "libcuda_stub": stub == "1", "ld_library_path": ldpath},
    "goals": goals,
    "sections": sections,
}
json.dump(out, open(report, "w"), indent=2)
print(json.dumps({"report": report, "ok": out["ok"], "failed": failed,
                  "status": {k: v.get("status") for k, v in sections.items()},
                  "goals": goals}, indent=2))
PY
rm -rf "$WORK"
