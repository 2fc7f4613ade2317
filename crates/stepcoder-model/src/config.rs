//! The model configuration, read from and written to a Hugging Face `config.json`.

use crate::{ModelError, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One token id or several (HF allows `eos_token_id` to be either).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TokenIds {
    One(u32),
    Many(Vec<u32>),
}

impl TokenIds {
    /// All ids as a list.
    pub fn to_vec(&self) -> Vec<u32> {
        match self {
            TokenIds::One(id) => vec![*id],
            TokenIds::Many(ids) => ids.clone(),
        }
    }
}

/// Rope scaling as written in `config.json` (`rope_scaling`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RopeScaling {
    /// `linear`, `dynamic`, `llama3` or `default` (`type` in older configs).
    #[serde(alias = "type")]
    pub rope_type: String,
    #[serde(default = "one")]
    pub factor: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low_freq_factor: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high_freq_factor: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_max_position_embeddings: Option<usize>,
}

fn one() -> f64 {
    1.0
}
fn default_theta() -> f64 {
    10_000.0
}
fn default_eps() -> f64 {
    1e-6
}
fn default_max_pos() -> usize {
    2048
}
fn default_act() -> String {
    "silu".into()
}
fn default_model_type() -> String {
    "llama".into()
}

/// The Llama-family configuration (Llama, Mistral-style, SmolLM, Qwen2).
///
/// Unknown keys are kept in `extra` so that saving writes back what was loaded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    #[serde(default = "default_model_type")]
    pub model_type: String,
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_key_value_heads: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_dim: Option<usize>,
    #[serde(default = "default_eps")]
    pub rms_norm_eps: f64,
    #[serde(default = "default_theta")]
    pub rope_theta: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rope_scaling: Option<RopeScaling>,
    #[serde(default = "default_max_pos")]
    pub max_position_embeddings: usize,
    #[serde(default)]
    pub tie_word_embeddings: bool,
    /// Bias on q/k/v/o (Llama's `attention_bias`); Qwen2 always has q/k/v bias.
    #[serde(default)]
    pub attention_bias: bool,
    #[serde(default = "default_act")]
    pub hidden_act: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bos_token_id: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eos_token_id: Option<TokenIds>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pad_token_id: Option<u32>,
    /// Everything else in the file (architectures, torch_dtype, ...), kept for saving.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Config {
    /// Read a `config.json`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| ModelError::io(path, e))?;
        let cfg: Config = serde_json::from_str(&text).map_err(|e| ModelError::Format {
            path: path.to_path_buf(),
            msg: format!("config.json: {e}"),
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// A small Llama config, handy for tests and benchmarks.
    pub fn tiny_llama(
        vocab: usize,
        hidden: usize,
        layers: usize,
        heads: usize,
        kv_heads: usize,
    ) -> Self {
        Config {
            model_type: "llama".into(),
            vocab_size: vocab,
            hidden_size: hidden,
            intermediate_size: hidden * 8 / 3 / 8 * 8,
            num_hidden_layers: layers,
            num_attention_heads: heads,
            num_key_value_heads: Some(kv_heads),
            head_dim: None,
            rms_norm_eps: 1e-5,
            rope_theta: 10_000.0,
            rope_scaling: None,
            max_position_embeddings: 2048,
            tie_word_embeddings: false,
            attention_bias: false,
            hidden_act: "silu".into(),
            bos_token_id: Some(1),
            eos_token_id: Some(TokenIds::One(2)),
            pad_token_id: None,
            extra: Default::default(),
        }
    }

    /// The SmolLM2-135M shape (what the default model has).
    pub fn smollm2_135m() -> Self {
        Config {
            model_type: "llama".into(),
            vocab_size: 49152,
            hidden_size: 576,
            intermediate_size: 1536,
            num_hidden_layers: 30,
            num_attention_heads: 9,
            num_key_value_heads: Some(3),
            head_dim: None,
            rms_norm_eps: 1e-5,
            rope_theta: 100_000.0,
            rope_scaling: None,
            max_position_embeddings: 8192,
            tie_word_embeddings: true,
            attention_bias: false,
            hidden_act: "silu".into(),
            bos_token_id: Some(1),
            eos_token_id: Some(TokenIds::One(2)),
            pad_token_id: Some(2),
            extra: Default::default(),
        }
    }

    /// The Qwen2.5-0.5B shape (Qwen2: q/k/v bias, 14 heads over 2 KV heads, tied embeddings,
    /// vocabulary 151936): 494M parameters.
    pub fn qwen2_5_0_5b() -> Self {
        Config {
            model_type: "qwen2".into(),
            vocab_size: 151_936,
            hidden_size: 896,
            intermediate_size: 4864,
            num_hidden_layers: 24,
            num_attention_heads: 14,
            num_key_value_heads: Some(2),
            head_dim: None,
            rms_norm_eps: 1e-6,
            rope_theta: 1_000_000.0,
            rope_scaling: None,
            max_position_embeddings: 32768,
            tie_word_embeddings: true,
            attention_bias: false,
            hidden_act: "silu".into(),
            bos_token_id: None,
            eos_token_id: Some(TokenIds::One(151_645)),
            pad_token_id: None,
            extra: Default::default(),
        }
    }

    /// Check the shape parameters agree with each other.
    pub fn validate(&self) -> Result<()> {
        let bad = |msg: String| Err(ModelError::Config(msg));
        if self.num_attention_heads == 0 || self.num_hidden_layers == 0 || self.vocab_size == 0 {
            return bad("heads, layers and vocab_size must be positive".into());
        }
        if self.head_dim.is_none() && !self.hidden_size.is_multiple_of(self.num_attention_heads) {
            return bad(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                self.hidden_size, self.num_attention_heads
            ));
        }
        if !self.num_attention_heads.is_multiple_of(self.num_kv_heads()) {
            return bad(format!(
                "num_attention_heads {} is not a multiple of num_key_value_heads {}",
                self.num_attention_heads,
                self.num_kv_heads()
            ));
        }
        if !self.head_dim().is_multiple_of(2) {
            return bad(format!(
                "head_dim {} must be even for rope",
                self.head_dim()
            ));
        }
        if self.hidden_act != "silu" && self.hidden_act != "swish" {
            return bad(format!(
                "hidden_act `{}` is not supported (only silu / SwiGLU)",
                self.hidden_act
            ));
        }
        if let Some(rs) = &self.rope_scaling {
            if !["default", "linear", "dynamic", "llama3"].contains(&rs.rope_type.as_str()) {
                return bad(format!(
                    "rope_scaling type `{}` is not supported (default, linear, dynamic, llama3)",
                    rs.rope_type
                ));
            }
        }
        Ok(())
    }

    pub fn num_kv_heads(&self) -> usize {
        self.num_key_value_heads.unwrap_or(self.num_attention_heads)
    }

    pub fn head_dim(&self) -> usize {
        self.head_dim
            .unwrap_or(self.hidden_size / self.num_attention_heads)
    }

    /// Whether q/k/v carry a bias (Qwen2 always; Llama when `attention_bias`).
    pub fn qkv_bias(&self) -> bool {
        self.attention_bias || self.model_type == "qwen2"
    }

    /// Whether o_proj carries a bias (Llama `attention_bias` only).
    pub fn o_bias(&self) -> bool {
        self.attention_bias && self.model_type != "qwen2"
    }

    /// The EOS ids (empty when the config names none).
    pub fn eos_ids(&self) -> Vec<u32> {
        self.eos_token_id
            .as_ref()
            .map(|t| t.to_vec())
            .unwrap_or_default()
    }

    /// The rope inverse frequencies for `seq_len` positions, scaling applied.
    pub fn rope_inv_freq(&self, seq_len: usize) -> Vec<f32> {
        let d = self.head_dim();
        let mut base = self.rope_theta;
        let mut inv: Vec<f64> = Vec::with_capacity(d / 2);
        if let Some(rs) = &self.rope_scaling {
            if rs.rope_type == "dynamic" {
                let orig = rs
                    .original_max_position_embeddings
                    .unwrap_or(self.max_position_embeddings);
                if seq_len > orig {
                    let f = rs.factor * seq_len as f64 / orig as f64 - (rs.factor - 1.0);
                    base *= f.powf(d as f64 / (d as f64 - 2.0));
                }
            }
        }
        for i in (0..d).step_by(2) {
            inv.push(1.0 / base.powf(i as f64 / d as f64));
        }
        if let Some(rs) = &self.rope_scaling {
            match rs.rope_type.as_str() {
                "linear" => inv.iter_mut().for_each(|f| *f /= rs.factor),
                "llama3" => {
                    let low = rs.low_freq_factor.unwrap_or(1.0);
                    let high = rs.high_freq_factor.unwrap_or(4.0);
                    let orig = rs.original_max_position_embeddings.unwrap_or(8192) as f64;
                    let low_wl = orig / low;
                    let high_wl = orig / high;
                    for f in inv.iter_mut() {
                        let wl = 2.0 * std::f64::consts::PI / *f;
                        if wl < high_wl {
                        } else if wl > low_wl {
                            *f /= rs.factor;
                        } else {
                            let smooth = (orig / wl - low) / (high - low);
                            *f = (1.0 - smooth) * *f / rs.factor + smooth * *f;
                        }
                    }
                }
                _ => {}
            }
        }
        inv.into_iter().map(|f| f as f32).collect()
    }

    /// The HF architecture name for saving.
    pub fn architecture(&self) -> &'static str {
        match self.model_type.as_str() {
            "qwen2" => "Qwen2ForCausalLM",
            "mistral" => "MistralForCausalLM",
            _ => "LlamaForCausalLM",
        }
    }

    /// Number of parameters implied by the config.
    pub fn num_parameters(&self) -> usize {
        let h = self.hidden_size;
        let hd = self.head_dim();
        let q = self.num_attention_heads * hd;
        let kv = self.num_kv_heads() * hd;
        let mut per_layer = h * q + 2 * h * kv + q * h + 3 * h * self.intermediate_size + 2 * h;
        if self.qkv_bias() {
            per_layer += q + 2 * kv;
        }
        if self.o_bias() {
            per_layer += h;
        }
        let emb = self.vocab_size * h;
        let head = if self.tie_word_embeddings { 0 } else { emb };
        emb + head + h + per_layer * self.num_hidden_layers
    }
}
