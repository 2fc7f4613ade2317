//! Criterion benches: one train step (forward + backward + AdamW) and one batched decode step
//! of the 7M Llama shape; `stepcoder bench model` reports tokens/s against PyTorch.

use criterion::{criterion_group, criterion_main, Criterion};
use stepcoder_model::bench::{self as shared, BenchShape};
use stepcoder_model::candle::{DType, Device, Tensor};
use stepcoder_model::CausalLm;

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
    let prompt = ids.narrow(1, 0, 128).unwrap();
    g.bench_function("decode_step_8_at_128", |b| {
        b.iter_batched(
            || {
                let mut cache = frozen.new_cache();
                frozen
                    .forward_hidden(&prompt, None, Some(&mut cache))
                    .unwrap();
                cache
            },
            |mut cache| {
                let next = ids.narrow(1, 128, 1).unwrap();
                let h = frozen
                    .forward_hidden(&next, None, Some(&mut cache))
                    .unwrap();
                frozen.logits(&h).unwrap()
            },
            criterion::BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, train_step);
criterion_main!(benches);
