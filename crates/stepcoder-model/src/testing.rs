//! A tiny model and tokenizer for tests and examples, so that code built on this crate can be
//! tested end to end in milliseconds and without downloads.
//!
//! ```
//! let dir = tempfile_dir();
//! let model = stepcoder_model::testing::write_tiny_checkpoint(&dir, 7).unwrap();
//! let loaded = stepcoder_model::load_hf_dir(&dir, &Default::default()).unwrap();
//! assert_eq!(loaded.model.config().hidden_size, model.config().hidden_size);
//! assert_eq!(loaded.model.weights().len(), model.weights().len());
//! # fn tempfile_dir() -> std::path::PathBuf {
//! #     let d = std::env::temp_dir().join(format!("stepcoder-tiny-doc-{}", std::process::id()));
//! #     std::fs::create_dir_all(&d).unwrap();
//! #     d
//! # }
//! ```

use std::path::Path;

use candle_core::{DType, Device, Tensor};

use crate::{CausalLm, Config, GenerationDefaults, ModelTokenizer, Result, TokenIds};

/// GPT-2's byte -> printable char table (what the ByteLevel pre-tokenizer emits).
fn byte_chars() -> Vec<char> {
    let mut bs: Vec<u32> = (33..=126).chain(161..=172).chain(174..=255).collect();
    let mut cs = bs.clone();
    let mut n = 0;
    for b in 0..256u32 {
        if !bs.contains(&b) {
            bs.push(b);
            cs.push(256 + n);
            n += 1;
        }
    }
    let mut out = vec![' '; 256];
    for (b, c) in bs.iter().zip(cs) {
        out[*b as usize] = char::from_u32(c).unwrap_or(' ');
    }
    out
}

/// Special tokens of the tiny tokenizer (ids 256..260): BOS, EOS, and the chat markers.
pub const SPECIALS: [&str; 4] = ["<s>", "</s>", "<|im_start|>", "<|im_end|>"];
/// A ChatML chat template.
pub const TEMPLATE: &str = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
/// Vocabulary size: 256 bytes, 4 specials, 2 merges.
pub const VOCAB: usize = 262;

/// `tokenizer.json` of a byte-level BPE tokenizer: every byte is a token, plus
/// [`SPECIALS`] and two merges (`Ġt`, `he`) so that some tokens span several bytes.
pub fn tokenizer_json() -> String {
    let chars = byte_chars();
    let mut vocab = serde_json::Map::new();
    for (i, c) in chars.iter().enumerate() {
        vocab.insert(c.to_string(), serde_json::json!(i));
    }
    let mut added = Vec::new();
    for (i, s) in SPECIALS.iter().enumerate() {
        vocab.insert(s.to_string(), serde_json::json!(256 + i));
        added.push(
            serde_json::json!({"id": 256 + i, "content": s, "single_word": false,
            "lstrip": false, "rstrip": false, "normalized": false, "special": true}),
        );
    }
    vocab.insert("Ġt".into(), serde_json::json!(260));
    vocab.insert("he".into(), serde_json::json!(261));
    serde_json::json!({
        "version": "1.0", "truncation": null, "padding": null, "added_tokens": added,
        "normalizer": null,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
        "post_processor": null,
        "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
        "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
            "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
            "vocab": vocab, "merges": ["Ġ t", "h e"]}
    })
    .to_string()
}

/// A 2-layer Llama with hidden size 32 over the tiny tokenizer's vocabulary.
pub fn tiny_config() -> Config {
    let mut c = Config::tiny_llama(VOCAB, 32, 2, 4, 2);
    c.bos_token_id = Some(256);
    c.eos_token_id = Some(TokenIds::One(259));
    c
}

/// The tiny tokenizer with the ChatML template; EOS is `<|im_end|>`.
pub fn tiny_tokenizer(cfg: &Config) -> Result<ModelTokenizer> {
    let inner = tokenizers::Tokenizer::from_bytes(tokenizer_json().as_bytes())
        .map_err(|e| crate::ModelError::Tokenizer(e.to_string()))?;
    Ok(ModelTokenizer::new(
        inner,
        Some(TEMPLATE.to_string()),
        Some("<s>".into()),
        Some("<|im_end|>".into()),
        cfg.eos_ids(),
        None,
    ))
}

/// Writes a random tiny checkpoint (seeded, f32) in Hugging Face layout to `dir` and returns
/// the model written.
pub fn write_tiny_checkpoint(dir: &Path, seed: u64) -> Result<CausalLm> {
    write_checkpoint(dir, tiny_config(), seed, DType::F32)
}

/// Writes a random checkpoint of `cfg` (which must use the tiny tokenizer's vocabulary) in
/// `dtype` to `dir`.
pub fn write_checkpoint(dir: &Path, cfg: Config, seed: u64, dtype: DType) -> Result<CausalLm> {
    let model = CausalLm::random(cfg.clone(), DType::F32, &Device::Cpu, seed)?;
    let tok = tiny_tokenizer(&cfg)?;
    let gen = GenerationDefaults {
        temperature: Some(0.7),
        ..Default::default()
    };
    crate::save_hf_dir(dir, &model, Some(&tok), Some(&gen), dtype)?;
    Ok(model)
}

/// The gradients of `sum(t * proj)`: one vector-Jacobian product, enough to compare a fused
/// op's backward with its composed reference (`proj` random, so no gradient cancels).
pub fn projected_grads(t: &Tensor, proj: &Tensor) -> Result<candle_core::backprop::GradStore> {
    Ok((t * proj)?.sum_all()?.backward()?)
}

/// The largest absolute value in `t` (as f32): how far apart two tensors are, as `max_abs(&(a - b)?)`.
pub fn max_abs(t: &Tensor) -> Result<f32> {
    Ok(t.abs()?
        .max_all()?
        .to_dtype(DType::F32)?
        .to_scalar::<f32>()?)
}
