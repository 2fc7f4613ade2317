//! stepcoder-model: a trainable Llama-family causal LM in candle.
pub mod config;
pub mod default_model;
mod error;
pub mod generate;
pub mod gguf;
pub mod hf;
pub mod model;
pub mod ops;
pub mod tokenizer;

pub use config::{Config, RopeScaling, TokenIds};
pub use default_model::{load, load_model, resolve_model};
pub use error::{ModelError, Result};
pub use generate::{generate, Completion, FinishReason, Sampler, SamplingConfig};
pub use hf::{load_hf_dir, save_hf_dir, GenerationDefaults, LoadOptions, LoadedModel};
pub use model::{CausalLm, ForwardOutput, KvCache, ValueHead, Weights};
pub use tokenizer::{ChatMessage, ModelTokenizer};

/// Re-exports, so users build against the same versions.
pub use candle_core as candle;
pub use candle_nn;
pub use tokenizers;
