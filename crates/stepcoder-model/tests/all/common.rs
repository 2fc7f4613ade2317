//! A tiny random checkpoint written in Hugging Face layout by the tests themselves.

use std::path::Path;
use stepcoder_model::candle::{DType, Device};
use stepcoder_model::{CausalLm, Config, GenerationDefaults, ModelTokenizer};

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
        out[*b as usize] = char::from_u32(c).unwrap();
    }
    out
}

pub const SPECIALS: [&str; 4] = ["<s>", "</s>", "<|im_start|>", "<|im_end|>"];
pub const TEMPLATE: &str = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

/// A byte-level BPE tokenizer: 256 byte tokens, a few merges, 4 special tokens (ids 256..260).
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
    let merges: Vec<String> = vec!["Ġ t".into(), "h e".into()];
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
            "vocab": vocab, "merges": merges}
    })
    .to_string()
}

pub const VOCAB: usize = 262;

pub fn tiny_config() -> Config {
    let mut c = Config::tiny_llama(VOCAB, 32, 2, 4, 2);
    c.bos_token_id = Some(256);
    c.eos_token_id = Some(stepcoder_model::TokenIds::One(259));
    c
}

pub fn tiny_tokenizer(cfg: &Config) -> ModelTokenizer {
    let inner =
        stepcoder_model::tokenizers::Tokenizer::from_bytes(tokenizer_json().as_bytes()).unwrap();
    ModelTokenizer::new(
        inner,
        Some(TEMPLATE.to_string()),
        Some("<s>".into()),
        Some("<|im_end|>".into()),
        cfg.eos_ids(),
        None,
    )
}

/// Write a random tiny checkpoint (seeded) to `dir`; returns the model written.
pub fn write_tiny_checkpoint(dir: &Path, cfg: Config, seed: u64, dtype: DType) -> CausalLm {
    let model = CausalLm::random(cfg.clone(), DType::F32, &Device::Cpu, seed).unwrap();
    let tok = tiny_tokenizer(&cfg);
    let gen = GenerationDefaults {
        temperature: Some(0.7),
        ..Default::default()
    };
    stepcoder_model::save_hf_dir(dir, &model, Some(&tok), Some(&gen), dtype).unwrap();
    model
}
