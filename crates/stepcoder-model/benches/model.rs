//! Criterion benches: one train step (forward + backward + AdamW) and one batched decode step
//! of the 7M Llama shape; one decode step of the SmolLM2-135M shape with 4 samples on each of
//! 2 prompts, the prompts copied to every row against kept once (`KvCache::share_prefix`),
//! kept once and run inside candle's CPU pool (as `generate` does), and of one row;
//! the two orders of a product with few rows (why the model's `linear` switches order); one
//! layer's attention of a decoding step, fused against tensor operations.
//! `stepcoder bench model` reports tokens/s against PyTorch.

use criterion::{criterion_group, Criterion};
use stepcoder_model::bench::{self as shared, BenchShape};
use stepcoder_model::candle::{DType, Device, Tensor};
use stepcoder_model::{CausalLm, Config};

fn train_step(c: &mut Criterion) {
    let shape = BenchShape::llama_7m();
    let model = CausalLm::random(shape.config.clone(), DType::F32, &Device::Cpu, 1).unwrap();
    let mut opt = shared::bench_optimizer(&model).unwrap();
    let ids: Vec<u32> = (0..shape.batch * shape.seq)
        .map(|i| (i * 7919 % 8192) as u32)
        .collect();
    let ids = Tensor::from_vec(ids, (shape.batch, shape.seq), &Device::Cpu).unwrap();
    let mut g = c.benchmark_group("llama_7m");
    g.sample_size(10);
    g.bench_function("train_step_8x256", |b| {
        b.iter(|| shared::train_step(&model, &mut opt, &ids).unwrap())
    });
    let frozen = model.frozen_copy().unwrap();
    let (prompt, next) = (
        ids.narrow(1, 0, 128).unwrap(),
        ids.narrow(1, 128, 1).unwrap(),
    );
    g.bench_function("decode_step_8_at_128", |b| {
        decode_step(b, &frozen, &prompt, &next)
    });
    g.finish();
}

/// Times one decode step (the next token's forward and logits) after an untimed prefill of
/// `prompt`.
fn decode_step(b: &mut criterion::Bencher, model: &CausalLm, prompt: &Tensor, next: &Tensor) {
    b.iter_batched(
        || {
            let mut cache = model.new_cache();
            model
                .forward_hidden(prompt, None, Some(&mut cache))
                .unwrap();
            cache
        },
        |mut cache| {
            let h = model.forward_hidden(next, None, Some(&mut cache)).unwrap();
            model.logits(&h).unwrap()
        },
        criterion::BatchSize::LargeInput,
    )
}

/// 8 rows sampling their next token after 2 prompts of 192 tokens (the `quick` preset's rows
/// and prompt length), the prompt copied to each row or shared.
fn decode_shared_prompt(c: &mut Criterion) {
    let dev = Device::Cpu;
    let model = CausalLm::random(Config::smollm2_135m(), DType::F32, &dev, 1).unwrap();
    let (prompts, samples, len) = (2usize, 4usize, 192usize);
    let ids: Vec<u32> = (0..prompts * len)
        .map(|i| (i * 7919 % 40_000) as u32)
        .collect();
    let ids = Tensor::from_vec(ids, (prompts, len), &dev).unwrap();
    let prompt_of_row: Vec<usize> = (0..prompts * samples).map(|r| r / samples).collect();
    let next =
        Tensor::from_vec(vec![17u32; prompts * samples], (prompts * samples, 1), &dev).unwrap();
    let mut g = c.benchmark_group("smollm2_135m_decode_8_rows_2_prompts_192");
    g.sample_size(10);
    for shared in [false, true] {
        let name = if shared {
            "shared_prefix"
        } else {
            "copied_per_row"
        };
        g.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let mut cache = model.new_cache();
                    model.forward_hidden(&ids, None, Some(&mut cache)).unwrap();
                    if shared {
                        cache.share_prefix(prompt_of_row.clone(), None).unwrap();
                    } else {
                        let rows: Vec<u32> = prompt_of_row.iter().map(|&p| p as u32).collect();
                        cache
                            .select_rows(&Tensor::new(rows, &dev).unwrap())
                            .unwrap();
                    }
                    cache
                },
                |mut cache| {
                    let h = model.forward_hidden(&next, None, Some(&mut cache)).unwrap();
                    model.logits(&h).unwrap()
                },
                criterion::BatchSize::LargeInput,
            )
        });
    }
    // What `generate` does: the step inside candle's CPU pool (`Device::with_context`), so
    // its parallel sections start from a pool thread rather than waking the caller each time.
    g.bench_function("shared_prefix_on_candle_pool", |b| {
        b.iter_batched(
            || {
                let mut cache = model.new_cache();
                model.forward_hidden(&ids, None, Some(&mut cache)).unwrap();
                cache.share_prefix(prompt_of_row.clone(), None).unwrap();
                cache
            },
            |mut cache| {
                dev.with_context(|| {
                    let h = model.forward_hidden(&next, None, Some(&mut cache)).unwrap();
                    model.logits(&h).unwrap()
                })
            },
            criterion::BatchSize::LargeInput,
        )
    });
    // The floor both ways pay for every sampled token: one row reads every weight once.
    let (one_prompt, one_next) = (ids.narrow(0, 0, 1).unwrap(), next.narrow(0, 0, 1).unwrap());
    g.bench_function("one_row_for_comparison", |b| {
        decode_step(b, &model, &one_prompt, &one_next)
    });
    g.finish();
}

/// `x @ w^T` against `(w @ x^T)^T` and the few-rows product for 4, 8 and 16 rows, on an MLP
/// weight and the LM head.
fn few_row_product_order(c: &mut Criterion) {
    let dev = Device::Cpu;
    let mut g = c.benchmark_group("product_order");
    for rows in [4usize, 8, 16] {
        for (name, out) in [("mlp_576x1536", 1536usize), ("lm_head_576x49152", 49_152)] {
            let x = Tensor::randn(0f32, 1.0, (rows, 576), &dev).unwrap();
            let w = Tensor::randn(0f32, 1.0, (out, 576), &dev).unwrap();
            g.bench_function(format!("{rows}_rows/{name}/x_wt"), |b| {
                b.iter(|| x.matmul(&w.t().unwrap()).unwrap())
            });
            g.bench_function(format!("{rows}_rows/{name}/w_xt_t"), |b| {
                b.iter(|| {
                    w.matmul(&x.t().unwrap())
                        .unwrap()
                        .t()
                        .unwrap()
                        .contiguous()
                        .unwrap()
                })
            });
            // What `linear` uses for 2 to 8 rows (`few_rows::ROWS`).
            g.bench_function(format!("{rows}_rows/{name}/few_rows"), |b| {
                b.iter(|| stepcoder_model::few_rows::matmul_t(&x, &w).unwrap())
            });
        }
    }
    g.finish();
}

/// One layer's attention of a decoding step at the default model's shape (9 query heads on 3
/// key-value heads of 64): 8 rows, 4 on each of 2 shared prompts of 400 tokens, 64 tokens of
/// their own; the fused kernel sampling uses against the tensor operations it replaced.
fn decode_attention(c: &mut Criterion) {
    use stepcoder_model::decode_attention::{attend, SharedKeys};
    let dev = Device::Cpu;
    let (rows, heads, kv_heads, hd, prompt, own) = (8, 9, 3, 64, 400, 64);
    let randn = |shape: &[usize]| Tensor::randn(0f32, 1.0, shape, &dev).unwrap();
    let q = randn(&[rows, heads, 1, hd]);
    let (k, v) = (
        randn(&[rows, kv_heads, own, hd]),
        randn(&[rows, kv_heads, own, hd]),
    );
    let bias = Tensor::zeros((1, 1, 1, own), DType::F32, &dev).unwrap();
    let (pk, pv) = (
        randn(&[2, kv_heads, prompt, hd]),
        randn(&[2, kv_heads, prompt, hd]),
    );
    let pbias = Tensor::zeros((2, 1, 1, prompt), DType::F32, &dev).unwrap();
    let prompt_of_row: Vec<usize> = (0..rows).map(|r| r / 4).collect();
    let shared = || {
        Some(SharedKeys {
            keys: &pk,
            values: &pv,
            bias: &pbias,
            prompt_of_row: &prompt_of_row,
        })
    };
    let mut g = c.benchmark_group("decode_attention_8_rows_2_prompts_400_own_64");
    g.bench_function("fused", |b| {
        b.iter(|| attend(&q, &k, &v, &bias, shared()).unwrap())
    });
    g.bench_function("tensor_ops", |b| {
        b.iter(|| shared::composed_decode_attention(&q, &k, &v, &bias, shared()).unwrap())
    });
    g.finish();
}

criterion_group!(
    benches,
    train_step,
    decode_shared_prompt,
    few_row_product_order,
    decode_attention
);
/// `criterion_main!`, with candle's thread count fixed first (`runtime::pin_cpu_threads`).
fn main() {
    stepcoder_model::runtime::pin_cpu_threads();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
