//! The tokenizer with what generation needs around it: special tokens, the chat template, and
//! decoding with per-token byte offsets (FGO maps executed lines back to tokens with them).

use crate::config::Config;
use crate::hf::write_json;
use crate::{ModelError, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: String,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: impl Into<String>, content: impl Into<String>) -> Self {
        ChatMessage {
            role: role.into(),
            content: content.into(),
        }
    }
    pub fn user(content: impl Into<String>) -> Self {
        Self::new("user", content)
    }
    pub fn system(content: impl Into<String>) -> Self {
        Self::new("system", content)
    }
}

/// A `tokenizers` tokenizer plus special tokens and the chat template.
#[derive(Debug, Clone)]
pub struct ModelTokenizer {
    inner: tokenizers::Tokenizer,
    /// The Jinja chat template, when the model has one.
    pub chat_template: Option<String>,
    pub bos_token: Option<String>,
    pub eos_token: Option<String>,
    /// Token ids that end a generation.
    pub eos_ids: Vec<u32>,
    /// Id used for left padding (pad, else the first EOS, else 0).
    pub pad_id: u32,
}

fn token_string(v: Option<&serde_json::Value>) -> Option<String> {
    match v? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Object(o) => o.get("content")?.as_str().map(String::from),
        _ => None,
    }
}

fn template_string(v: Option<&serde_json::Value>) -> Option<String> {
    match v? {
        serde_json::Value::String(s) => Some(s.clone()),
        // A list of named templates: take "default" (else the first).
        serde_json::Value::Array(a) => {
            let pick = a
                .iter()
                .find(|t| t.get("name").and_then(|n| n.as_str()) == Some("default"))
                .or_else(|| a.first())?;
            pick.get("template")?.as_str().map(String::from)
        }
        _ => None,
    }
}

impl ModelTokenizer {
    /// Build from a `tokenizers` tokenizer and special-token facts.
    pub fn new(
        inner: tokenizers::Tokenizer,
        chat_template: Option<String>,
        bos_token: Option<String>,
        eos_token: Option<String>,
        mut eos_ids: Vec<u32>,
        pad_id: Option<u32>,
    ) -> Self {
        if let Some(id) = eos_token.as_deref().and_then(|t| inner.token_to_id(t)) {
            if !eos_ids.contains(&id) {
                eos_ids.push(id);
            }
        }
        let pad_id = pad_id.or_else(|| eos_ids.first().copied()).unwrap_or(0);
        ModelTokenizer {
            inner,
            chat_template,
            bos_token,
            eos_token,
            eos_ids,
            pad_id,
        }
    }

    /// Read `tokenizer.json` and, when present, `tokenizer_config.json` from a model folder.
    pub fn from_hf_dir(dir: &Path, config: &Config) -> Result<Self> {
        let tok_path = dir.join("tokenizer.json");
        let inner = tokenizers::Tokenizer::from_file(&tok_path).map_err(|e| {
            ModelError::Tokenizer(format!(
                "{}: cannot load tokenizer.json: {e}",
                tok_path.display()
            ))
        })?;
        let cfg_path = dir.join("tokenizer_config.json");
        let tc: serde_json::Value = if cfg_path.is_file() {
            let text =
                std::fs::read_to_string(&cfg_path).map_err(|e| ModelError::io(&cfg_path, e))?;
            serde_json::from_str(&text)
                .map_err(|e| ModelError::format(&cfg_path, format!("bad JSON: {e}")))?
        } else {
            serde_json::Value::Null
        };
        let mut chat_template = template_string(tc.get("chat_template"));
        let jinja = dir.join("chat_template.jinja");
        if chat_template.is_none() && jinja.is_file() {
            chat_template =
                Some(std::fs::read_to_string(&jinja).map_err(|e| ModelError::io(&jinja, e))?);
        }
        let pad = token_string(tc.get("pad_token"))
            .and_then(|t| inner.token_to_id(&t))
            .or(config.pad_token_id);
        Ok(Self::new(
            inner,
            chat_template,
            token_string(tc.get("bos_token")),
            token_string(tc.get("eos_token")),
            config.eos_ids(),
            pad,
        ))
    }

    /// The underlying `tokenizers` tokenizer.
    pub fn inner(&self) -> &tokenizers::Tokenizer {
        &self.inner
    }

    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// Token ids of `text`; `add_special` adds what the tokenizer's post-processor adds (BOS).
    pub fn encode(&self, text: &str, add_special: bool) -> Result<Vec<u32>> {
        Ok(self
            .inner
            .encode(text, add_special)
            .map_err(|e| ModelError::Tokenizer(format!("encode: {e}")))?
            .get_ids()
            .to_vec())
    }

    /// Text of `ids` (special tokens skipped when `skip_special`).
    pub fn decode(&self, ids: &[u32], skip_special: bool) -> Result<String> {
        self.inner
            .decode(ids, skip_special)
            .map_err(|e| ModelError::Tokenizer(format!("decode: {e}")))
    }

    /// The completion text of `ids` (special tokens skipped) and each token's byte range in it.
    ///
    /// Decoded incrementally: a token that ends in the middle of a UTF-8 character shares the
    /// character's range with the token that completes it; special tokens get an empty range.
    pub fn decode_with_offsets(&self, ids: &[u32]) -> Result<(String, Vec<(usize, usize)>)> {
        let mut offsets = Vec::with_capacity(ids.len());
        let mut text = String::new();
        let mut pending = 0usize;
        for i in 0..ids.len() {
            let full = self.decode(&ids[..=i], true)?;
            if full.ends_with('\u{FFFD}') && i + 1 < ids.len() {
                offsets.push((text.len(), text.len()));
                continue;
            }
            let start = if full.starts_with(&text) {
                text.len()
            } else {
                // The decoder rewrote earlier text: the common prefix stays, the rest is new.
                let mut c = 0;
                for ((i, a), b) in full.char_indices().zip(text.chars()) {
                    if a != b {
                        break;
                    }
                    c = i + a.len_utf8();
                }
                c
            };
            for o in offsets.iter_mut().skip(pending) {
                *o = (start, full.len());
            }
            pending = i + 1;
            offsets.push((start, full.len()));
            text = full;
        }
        Ok((text, offsets))
    }

    /// Render a chat with the model's template (or the plain fallback when it has none).
    pub fn apply_chat_template(
        &self,
        messages: &[ChatMessage],
        add_generation_prompt: bool,
    ) -> Result<String> {
        match &self.chat_template {
            Some(t) => render_template(
                t,
                messages,
                add_generation_prompt,
                self.bos_token.as_deref().unwrap_or(""),
                self.eos_token.as_deref().unwrap_or(""),
            ),
            None => Ok(plain_chat(messages, add_generation_prompt)),
        }
    }

    /// Token ids of a one-turn user prompt, chat template applied.
    pub fn encode_chat_prompt(&self, user: &str) -> Result<Vec<u32>> {
        self.encode_chat_with_answer_start(&[ChatMessage::user(user)], "")
    }

    /// Token ids of a chat with the assistant turn opened and already started with
    /// `answer_start` (for example a code fence and a curriculum prefix): the model continues
    /// the answer from there.
    pub fn encode_chat_with_answer_start(
        &self,
        messages: &[ChatMessage],
        answer_start: &str,
    ) -> Result<Vec<u32>> {
        let mut text = self.apply_chat_template(messages, true)?;
        text.push_str(answer_start);
        // The template writes BOS itself when the model wants one.
        self.encode(&text, self.chat_template.is_none())
    }

    /// Write `tokenizer.json` and `tokenizer_config.json` (HF layout).
    pub fn save_to_dir(&self, dir: &Path) -> Result<()> {
        let p = dir.join("tokenizer.json");
        self.inner
            .save(&p, false)
            .map_err(|e| ModelError::Tokenizer(format!("{}: cannot save: {e}", p.display())))?;
        let mut tc = serde_json::Map::new();
        tc.insert(
            "tokenizer_class".into(),
            serde_json::json!("PreTrainedTokenizerFast"),
        );
        if let Some(t) = &self.chat_template {
            tc.insert("chat_template".into(), serde_json::json!(t));
        }
        if let Some(t) = &self.bos_token {
            tc.insert("bos_token".into(), serde_json::json!(t));
        }
        if let Some(t) = &self.eos_token {
            tc.insert("eos_token".into(), serde_json::json!(t));
        }
        if let Some(t) = self.inner.id_to_token(self.pad_id) {
            tc.insert("pad_token".into(), serde_json::json!(t));
        }
        write_json(&dir.join("tokenizer_config.json"), &tc)
    }
}

/// `role: content` lines, then `assistant:` to prompt the answer.
pub fn plain_chat(messages: &[ChatMessage], add_generation_prompt: bool) -> String {
    let mut s = String::new();
    for m in messages {
        s.push_str(&m.role);
        s.push_str(": ");
        s.push_str(&m.content);
        s.push('\n');
    }
    if add_generation_prompt {
        s.push_str("assistant:");
    }
    s
}

/// Render a HF Jinja chat template with minijinja.
pub fn render_template(
    template: &str,
    messages: &[ChatMessage],
    add_generation_prompt: bool,
    bos_token: &str,
    eos_token: &str,
) -> Result<String> {
    let mut env = minijinja::Environment::new();
    env.add_function(
        "raise_exception",
        |msg: String| -> std::result::Result<String, minijinja::Error> {
            Err(minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                msg,
            ))
        },
    );
    let tmpl = env
        .template_from_str(template)
        .map_err(|e| ModelError::Template(format!("cannot parse: {e}")))?;
    tmpl.render(minijinja::context! {
        messages => messages,
        add_generation_prompt => add_generation_prompt,
        bos_token => bos_token,
        eos_token => eos_token,
    })
    .map_err(|e| ModelError::Template(format!("cannot render: {e}")))
}
