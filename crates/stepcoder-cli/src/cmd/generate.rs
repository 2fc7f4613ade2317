//! `stepcoder generate`: answer one prompt with a model (chat template applied).

use anyhow::Context;
use clap::Args;
use stepcoder_model::{generate, SamplingConfig};

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// A Hugging Face model folder, a .gguf file, or `default` (SmolLM2-135M-Instruct, fetched
    /// into the user cache on first use; $STEPCODER_MODEL overrides it).
    #[arg(long, default_value = "default")]
    pub model: String,
    /// The user message.
    #[arg(long)]
    pub prompt: String,
    #[arg(long, default_value_t = 256)]
    pub max_new_tokens: usize,
    /// 0 = greedy.
    #[arg(long, default_value_t = 0.0)]
    pub temperature: f32,
    #[arg(long, default_value_t = 1.0)]
    pub top_p: f32,
    /// 0 = off.
    #[arg(long, default_value_t = 0)]
    pub top_k: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print token ids, log-probs and byte offsets as JSON instead of the text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: GenerateArgs) -> anyhow::Result<()> {
    // `--device` / `--precision` (global flags): the CPU in f32 unless asked.
    let place = crate::device::select_from_flags()?;
    let lm = place
        .load_model(&a.model, false)
        .with_context(|| format!("loading model `{}`", a.model))?;
    let ids = lm.tokenizer.encode_chat_prompt(&a.prompt)?;
    let cfg = SamplingConfig {
        max_new_tokens: a.max_new_tokens,
        temperature: a.temperature,
        top_p: a.top_p,
        top_k: a.top_k,
        seed: a.seed,
        ..Default::default()
    };
    let out = generate(&lm.model, Some(&lm.tokenizer), &[ids], &cfg)?;
    let c = &out[0];
    if a.json {
        let v = serde_json::json!({
            "model": lm.source,
            "text": c.text,
            "token_ids": c.token_ids,
            "logprobs": c.logprobs,
            "token_offsets": c.token_offsets,
            "finish": format!("{:?}", c.finish),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("{}", c.text);
    }
    Ok(())
}
