#!/usr/bin/env python3
"""PyTorch baseline for `cargo bench -p stepcoder-kernels --bench gemm`: the same products of
the default model (SmolLM2-135M), f32 and bf16, on the CPU.

For each linear-layer shape [m, k] x [n, k]^T it times the forward (x W^T) and both backward
products (dY W, dY^T x), takes the median of `--reps` runs after a warm-up, and prints one JSON
object {dtype: {product: GFLOP/s}} plus the thread count and the CPU flags that matter.

    $(bash benches/setup_torch_venv.sh) benches/torch_gemm_bench.py --threads 2
"""
import argparse
import json
import statistics
import time

import torch

SHAPES = [
    ("mlp_up", 3200, 576, 1536),
    ("mlp_down", 3200, 1536, 576),
    ("attn_proj", 3200, 576, 576),
    ("lm_head", 512, 576, 49152),
]


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    have = set(line.split(":", 1)[1].split())
                    break
            else:
                return []
    except OSError:
        return []
    wanted = ["avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile"]
    return [f for f in wanted if f in have]


def median_seconds(fn, reps):
    fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=10)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    out = {"threads": args.threads, "torch": torch.__version__, "cpu_flags": cpu_flags()}
    for dtype in (torch.float32, torch.bfloat16):
        res = {}
        for name, m, k, n in SHAPES:
            x = torch.rand(m, k, dtype=dtype) * 2 - 1
            w = torch.rand(n, k, dtype=dtype) * 2 - 1
            dy = torch.rand(m, n, dtype=dtype) * 2 - 1
            flops = 2 * m * k * n
            with torch.no_grad():
                for product, fn in (
                    (f"{name}_forward_{m}x{k}x{n}", lambda: x @ w.t()),
                    (f"{name}_grad_input_{m}x{n}x{k}", lambda: dy @ w),
                    (f"{name}_grad_weight_{n}x{m}x{k}", lambda: dy.t() @ x),
                ):
                    res[product] = round(flops / median_seconds(fn, args.reps) / 1e9, 1)
        out[str(dtype).replace("torch.", "")] = res
    print(json.dumps(out))


if __name__ == "__main__":
    main()
