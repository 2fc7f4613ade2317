//! Criterion bench of the f32 products of the default model (SmolLM2-135M: hidden 576, MLP
//! 1536, vocabulary 49,152) as candle runs them on the CPU: the forward `x W^T` of a linear
//! layer and both products of its backward (`dY W` for the input, `dY^T x` for the weight).
//! Throughput is in FLOP (2 m k n per product), so criterion's "elem/s" reads as FLOP/s.
//!
//! `benches/torch_gemm_bench.py` times the same shapes in PyTorch (f32 and bf16).
//!
//! ```text
//! cargo bench -p stepcoder-kernels --bench gemm
//! ```

use candle_core::{Device, Tensor};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// `(name, tokens m, inputs k, outputs n)` of a linear layer `[m, k] x [n, k]^T`.
const SHAPES: [(&str, usize, usize, usize); 4] = [
    ("mlp_up", 3200, 576, 1536),
    ("mlp_down", 3200, 1536, 576),
    ("attn_proj", 3200, 576, 576),
    ("lm_head", 512, 576, 49152),
];

fn random(rows: usize, cols: usize, seed: u64) -> Tensor {
    // A cheap deterministic fill in [-1, 1): the timing does not depend on the values.
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let v: Vec<f32> = (0..rows * cols)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect();
    Tensor::from_vec(v, (rows, cols), &Device::Cpu).unwrap()
}

fn products(c: &mut Criterion) {
    let mut g = c.benchmark_group("gemm_f32");
    g.sample_size(10);
    for (name, m, k, n) in SHAPES {
        let x = random(m, k, 1);
        let w = random(n, k, 2);
        let dy = random(m, n, 3);
        g.throughput(Throughput::Elements((2 * m * k * n) as u64));
        g.bench_function(format!("{name}_forward_{m}x{k}x{n}"), |b| {
            b.iter(|| x.matmul(&w.t().unwrap()).unwrap())
        });
        g.bench_function(format!("{name}_grad_input_{m}x{n}x{k}"), |b| {
            b.iter(|| dy.matmul(&w).unwrap())
        });
        g.bench_function(format!("{name}_grad_weight_{n}x{m}x{k}"), |b| {
            b.iter(|| dy.t().unwrap().matmul(&x).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, products);
criterion_main!(benches);
