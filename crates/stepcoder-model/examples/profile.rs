//! Split one train step of the 7M shape into forward / backward / optimizer time.
use std::time::Instant;
use stepcoder_model::bench::{lm_loss, BenchShape};
use stepcoder_model::candle::{DType, Device, Tensor};
use stepcoder_model::optim::Gradients;
use stepcoder_model::CausalLm;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let shape = BenchShape::llama_7m();
    let model = CausalLm::random(shape.config.clone(), DType::F32, &Device::Cpu, 1)?;
    if std::env::var_os("NO_TUNE").is_none() {
        stepcoder_model::optim::tune_allocator();
    }
    let mut opt = stepcoder_model::bench::bench_optimizer(&model)?;
    let ids: Vec<u32> = (0..shape.batch * shape.seq)
        .map(|i| (i * 7919 % 8192) as u32)
        .collect();
    let ids = Tensor::from_vec(ids, (shape.batch, shape.seq), &Device::Cpu)?;
    for i in 0..4 {
        let t0 = Instant::now();
        let loss = lm_loss(&model, &ids)?;
        let t1 = Instant::now();
        let grads = loss.backward()?;
        let t2 = Instant::now();
        let grads = Gradients::from_store(&grads, opt.groups())?;
        opt.step(&grads, &[stepcoder_model::bench::BENCH_LR])?;
        let t3 = Instant::now();
        eprintln!(
            "step {i}: forward {:.3}s backward {:.3}s optimizer {:.3}s",
            (t1 - t0).as_secs_f64(),
            (t2 - t1).as_secs_f64(),
            (t3 - t2).as_secs_f64()
        );
    }
    // The LM head alone: (2048 x 256) @ (256 x 8192).
    let x = Tensor::randn(0f32, 1.0, (2048, 256), &Device::Cpu)?;
    let w = Tensor::randn(0f32, 1.0, (8192, 256), &Device::Cpu)?;
    let t0 = Instant::now();
    for _ in 0..5 {
        let _ = x.matmul(&w.t()?)?;
    }
    let dt = t0.elapsed().as_secs_f64() / 5.0;
    eprintln!(
        "lm head matmul {:.3}s = {:.1} GFLOP/s",
        dt,
        2.0 * 2048.0 * 256.0 * 8192.0 / dt / 1e9
    );
    Ok(())
}
