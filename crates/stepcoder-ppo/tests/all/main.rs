//! Integration tests of the PPO building blocks.

mod advantage;
mod faults;
mod fgo_gradient;
mod learning;
mod optim;
mod parts;
mod tiny;
mod trainer;

use candle_core::{Device, Tensor};

/// Deterministic pseudo-random values in `[lo, hi)`.
pub fn values(n: usize, seed: u64, lo: f32, hi: f32) -> Vec<f32> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            lo + (hi - lo) * ((s >> 40) as f32 / (1u64 << 24) as f32)
        })
        .collect()
}

pub fn tensor(shape: &[usize], seed: u64, lo: f32, hi: f32) -> Tensor {
    let n = shape.iter().product();
    Tensor::from_vec(values(n, seed, lo, hi), shape, &Device::Cpu).unwrap()
}

pub fn flat(t: &Tensor) -> Vec<f32> {
    t.to_dtype(candle_core::DType::F32)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap()
}
