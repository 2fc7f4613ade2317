//! The tiny random checkpoint of `stepcoder_model::testing`, under the names these tests use.

use std::path::Path;

use stepcoder_model::candle::{DType, Tensor};
use stepcoder_model::{CausalLm, Config, ModelTokenizer};

pub use stepcoder_model::testing::{tiny_config, VOCAB};

pub fn tiny_tokenizer(cfg: &Config) -> ModelTokenizer {
    stepcoder_model::testing::tiny_tokenizer(cfg).unwrap()
}

/// Write a random tiny checkpoint (seeded) to `dir`; returns the model written.
pub fn write_tiny_checkpoint(dir: &Path, cfg: Config, seed: u64, dtype: DType) -> CausalLm {
    stepcoder_model::testing::write_checkpoint(dir, cfg, seed, dtype).unwrap()
}

/// The largest absolute difference between two tensors of any float dtype.
pub fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
    (a.to_dtype(DType::F32).unwrap() - b.to_dtype(DType::F32).unwrap())
        .unwrap()
        .abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(0)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}
