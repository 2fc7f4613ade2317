//! stepcoder-model: a trainable Llama-family causal LM in candle.
pub mod config;
mod error;
pub mod hf;
pub mod model;
pub mod ops;
pub mod tokenizer;

pub use config::{Config, RopeScaling, TokenIds};
pub use error::{ModelError, Result};
pub use hf::{load_hf_dir, save_hf_dir, GenerationDefaults, LoadOptions, LoadedModel};
pub use model::{CausalLm, ForwardOutput, KvCache, ValueHead, Weights};
pub use tokenizer::{ChatMessage, ModelTokenizer};
