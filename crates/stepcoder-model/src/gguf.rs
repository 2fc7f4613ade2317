//! GGUF (llama.cpp) checkpoints dequantized to trainable weights, with the tokenizer rebuilt
//! from the GGUF metadata.

use crate::config::{Config, TokenIds};
use crate::hf::{GenerationDefaults, LoadOptions, LoadedModel};
use crate::model::{CausalLm, Weights};
use crate::tokenizer::ModelTokenizer;
use crate::{ModelError, Result};
use candle_core::quantized::gguf_file::{Content, Value};
use candle_core::{Device, Tensor};
use std::path::Path;

fn meta<'a>(c: &'a Content, path: &Path, key: &str) -> Result<&'a Value> {
    c.metadata
        .get(key)
        .ok_or_else(|| ModelError::format(path, format!("GGUF metadata has no `{key}`")))
}

fn meta_u32(c: &Content, path: &Path, key: &str) -> Result<u32> {
    let v = meta(c, path, key)?;
    v.to_u32()
        .or_else(|_| v.to_u64().map(|x| x as u32))
        .or_else(|_| v.to_i32().map(|x| x as u32))
        .map_err(|e| ModelError::format(path, format!("`{key}`: {e}")))
}

fn meta_f32(c: &Content, path: &Path, key: &str) -> Result<f32> {
    meta(c, path, key)?
        .to_f32()
        .map_err(|e| ModelError::format(path, format!("`{key}`: {e}")))
}

fn meta_strings(c: &Content, path: &Path, key: &str) -> Result<Vec<String>> {
    meta(c, path, key)?
        .to_vec()
        .map_err(|e| ModelError::format(path, format!("`{key}`: {e}")))?
        .iter()
        .map(|v| {
            v.to_string()
                .cloned()
                .map_err(|e| ModelError::format(path, format!("`{key}`: {e}")))
        })
        .collect()
}

/// Undo llama.cpp's Q/K permutation (its converter reorders rows for interleaved rope):
/// `(heads, 2, hd/2, in) <- (heads, hd/2, 2, in)`.
pub fn unpermute_qk(w: &Tensor, heads: usize) -> Result<Tensor> {
    let (out, inp) = w.dims2()?;
    let hd = out / heads;
    Ok(w.reshape((heads, hd / 2, 2, inp))?
        .transpose(1, 2)?
        .contiguous()?
        .reshape((out, inp))?)
}

/// Read the model config from GGUF metadata (Llama architecture).
pub fn config_from_gguf(c: &Content, path: &Path) -> Result<Config> {
    let arch = meta(c, path, "general.architecture")?
        .to_string()
        .map_err(|e| ModelError::format(path, e.to_string()))?
        .clone();
    if arch != "llama" && arch != "qwen2" {
        return Err(ModelError::format(
            path,
            format!("GGUF architecture `{arch}` is not supported (llama, qwen2)"),
        ));
    }
    let k = |s: &str| format!("{arch}.{s}");
    let tokens = c
        .metadata
        .get("tokenizer.ggml.tokens")
        .and_then(|v| v.to_vec().ok());
    let vocab = match meta_u32(c, path, &k("vocab_size")) {
        Ok(v) => v as usize,
        Err(_) => tokens.map(|t| t.len()).unwrap_or(0),
    };
    let heads = meta_u32(c, path, &k("attention.head_count"))? as usize;
    let mut cfg = Config {
        model_type: arch.clone(),
        vocab_size: vocab,
        hidden_size: meta_u32(c, path, &k("embedding_length"))? as usize,
        intermediate_size: meta_u32(c, path, &k("feed_forward_length"))? as usize,
        num_hidden_layers: meta_u32(c, path, &k("block_count"))? as usize,
        num_attention_heads: heads,
        num_key_value_heads: Some(
            meta_u32(c, path, &k("attention.head_count_kv")).unwrap_or(heads as u32) as usize,
        ),
        head_dim: None,
        rms_norm_eps: meta_f32(c, path, &k("attention.layer_norm_rms_epsilon")).unwrap_or(1e-5)
            as f64,
        rope_theta: meta_f32(c, path, &k("rope.freq_base")).unwrap_or(10_000.0) as f64,
        rope_scaling: None,
        max_position_embeddings: meta_u32(c, path, &k("context_length")).unwrap_or(2048) as usize,
        tie_word_embeddings: !c.tensor_infos.contains_key("output.weight"),
        attention_bias: false,
        hidden_act: "silu".into(),
        bos_token_id: meta_u32(c, path, "tokenizer.ggml.bos_token_id").ok(),
        eos_token_id: meta_u32(c, path, "tokenizer.ggml.eos_token_id")
            .ok()
            .map(TokenIds::One),
        pad_token_id: meta_u32(c, path, "tokenizer.ggml.padding_token_id").ok(),
        extra: Default::default(),
    };
    if let Ok(kl) = meta_u32(c, path, &k("attention.key_length")) {
        if kl as usize != cfg.hidden_size / heads {
            cfg.head_dim = Some(kl as usize);
        }
    }
    cfg.validate()?;
    Ok(cfg)
}

/// Rebuild a `tokenizers` BPE tokenizer (GPT-2 byte-level, as SmolLM/Llama-3/Qwen use) from
/// GGUF metadata. The result is what a `tokenizer.json` would hold.
pub fn tokenizer_from_gguf(c: &Content, path: &Path, cfg: &Config) -> Result<ModelTokenizer> {
    let model = meta(c, path, "tokenizer.ggml.model")?
        .to_string()
        .map_err(|e| ModelError::format(path, e.to_string()))?;
    if model != "gpt2" {
        return Err(ModelError::format(
            path,
            format!("GGUF tokenizer model `{model}` is not supported (only gpt2-style BPE)"),
        ));
    }
    let tokens = meta_strings(c, path, "tokenizer.ggml.tokens")?;
    let merges = meta_strings(c, path, "tokenizer.ggml.merges")?;
    let types: Vec<i32> = match c.metadata.get("tokenizer.ggml.token_type") {
        Some(v) => v
            .to_vec()
            .map_err(|e| ModelError::format(path, e.to_string()))?
            .iter()
            .map(|x| x.to_i32().unwrap_or(1))
            .collect(),
        None => vec![1; tokens.len()],
    };
    let vocab: serde_json::Map<String, serde_json::Value> = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), serde_json::json!(i)))
        .collect();
    // Control (3) and user-defined (4) tokens are matched whole, before the BPE model.
    let added: Vec<serde_json::Value> = tokens
        .iter()
        .enumerate()
        .filter(|(i, _)| matches!(types.get(*i), Some(3) | Some(4)))
        .map(|(i, t)| {
            serde_json::json!({
                "id": i, "content": t, "single_word": false, "lstrip": false, "rstrip": false,
                "normalized": false, "special": types.get(i) == Some(&3)
            })
        })
        .collect();
    let pre = meta(c, path, "tokenizer.ggml.pre")
        .ok()
        .and_then(|v| v.to_string().ok().cloned())
        .unwrap_or_default();
    let byte_level = serde_json::json!({
        "type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true
    });
    // SmolLM's pre-tokenizer splits digits one by one before the GPT-2 regex.
    let pre_tokenizer = if pre == "smollm" || pre == "default" || pre.is_empty() {
        serde_json::json!({"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": true}, byte_level
        ]})
    } else {
        byte_level.clone()
    };
    let json = serde_json::json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added,
        "normalizer": null,
        "pre_tokenizer": pre_tokenizer,
        "post_processor": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
        "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
        "model": {
            "type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
            "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false,
            "ignore_merges": false, "vocab": vocab, "merges": merges
        }
    });
    let bytes = serde_json::to_vec(&json)
        .map_err(|e| ModelError::Tokenizer(format!("building tokenizer JSON: {e}")))?;
    let inner = tokenizers::Tokenizer::from_bytes(bytes).map_err(|e| {
        ModelError::Tokenizer(format!(
            "{}: tokenizer from GGUF metadata: {e}",
            path.display()
        ))
    })?;
    let name = |id: Option<u32>| id.and_then(|i| tokens.get(i as usize).cloned());
    let chat_template = c
        .metadata
        .get("tokenizer.chat_template")
        .and_then(|v| v.to_string().ok().cloned());
    Ok(ModelTokenizer::new(
        inner,
        chat_template,
        name(cfg.bos_token_id),
        name(cfg.eos_ids().first().copied()),
        cfg.eos_ids(),
        cfg.pad_token_id,
    ))
}

/// Load a GGUF file: dequantize every tensor (f32, then the requested dtype), map llama.cpp
/// names to HF names, undo the Q/K permutation, and rebuild the tokenizer.
pub fn load_gguf(path: &Path, opts: &LoadOptions) -> Result<LoadedModel> {
    let mut f = std::fs::File::open(path).map_err(|e| ModelError::io(path, e))?;
    let content = Content::read(&mut f)
        .map_err(|e| ModelError::format(path, format!("not a readable GGUF file: {e}")))?;
    let cfg = config_from_gguf(&content, path)?;
    let mut get = |name: &str| -> Result<Tensor> {
        let q =
            content
                .tensor(&mut f, name, &Device::Cpu)
                .map_err(|_| ModelError::MissingWeight {
                    path: path.to_path_buf(),
                    name: name.to_string(),
                })?;
        Ok(q.dequantize(&Device::Cpu)?)
    };
    let mut w = Weights::new();
    w.insert(
        "model.embed_tokens.weight".into(),
        get("token_embd.weight")?,
    );
    w.insert("model.norm.weight".into(), get("output_norm.weight")?);
    if !cfg.tie_word_embeddings {
        w.insert("lm_head.weight".into(), get("output.weight")?);
    }
    let heads = cfg.num_attention_heads;
    let kv = cfg.num_kv_heads();
    for l in 0..cfg.num_hidden_layers {
        let p = format!("model.layers.{l}");
        let g = format!("blk.{l}");
        let q = get(&format!("{g}.attn_q.weight"))?;
        let k = get(&format!("{g}.attn_k.weight"))?;
        // Qwen2 GGUFs are converted without the permutation (rope is NeoX-style there).
        let (q, k) = if cfg.model_type == "llama" {
            (unpermute_qk(&q, heads)?, unpermute_qk(&k, kv)?)
        } else {
            (q, k)
        };
        w.insert(format!("{p}.self_attn.q_proj.weight"), q);
        w.insert(format!("{p}.self_attn.k_proj.weight"), k);
        w.insert(
            format!("{p}.self_attn.v_proj.weight"),
            get(&format!("{g}.attn_v.weight"))?,
        );
        w.insert(
            format!("{p}.self_attn.o_proj.weight"),
            get(&format!("{g}.attn_output.weight"))?,
        );
        if cfg.qkv_bias() {
            for (hf, gg) in [
                ("q_proj", "attn_q"),
                ("k_proj", "attn_k"),
                ("v_proj", "attn_v"),
            ] {
                w.insert(
                    format!("{p}.self_attn.{hf}.bias"),
                    get(&format!("{g}.{gg}.bias"))?,
                );
            }
        }
        w.insert(
            format!("{p}.mlp.gate_proj.weight"),
            get(&format!("{g}.ffn_gate.weight"))?,
        );
        w.insert(
            format!("{p}.mlp.up_proj.weight"),
            get(&format!("{g}.ffn_up.weight"))?,
        );
        w.insert(
            format!("{p}.mlp.down_proj.weight"),
            get(&format!("{g}.ffn_down.weight"))?,
        );
        w.insert(
            format!("{p}.input_layernorm.weight"),
            get(&format!("{g}.attn_norm.weight"))?,
        );
        w.insert(
            format!("{p}.post_attention_layernorm.weight"),
            get(&format!("{g}.ffn_norm.weight"))?,
        );
    }
    let tokenizer = tokenizer_from_gguf(&content, path, &cfg)?;
    let generation = GenerationDefaults {
        eos_token_id: cfg.eos_token_id.clone(),
        bos_token_id: cfg.bos_token_id,
        ..Default::default()
    };
    let model = CausalLm::from_weights(cfg, w, opts.dtype, &opts.device, opts.trainable)?;
    Ok(LoadedModel {
        model,
        tokenizer,
        generation,
        source: path.to_path_buf(),
    })
}
