//! `cargo run -p stepcoder-model --example convert -- [MODEL|default] OUT_DIR [f32|bf16]`:
//! load a model (HF folder or GGUF; `default` fetches SmolLM2) and save it as a Hugging Face
//! folder (model.safetensors, config.json, tokenizer.json, tokenizer_config.json).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let spec = args.next().unwrap_or_else(|| "default".into());
    let out = args
        .next()
        .ok_or("usage: convert MODEL OUT_DIR [f32|bf16]")?;
    let dtype = match args.next().as_deref() {
        Some("bf16") => stepcoder_model::candle::DType::BF16,
        _ => stepcoder_model::candle::DType::F32,
    };
    let opts = stepcoder_model::LoadOptions {
        trainable: false,
        ..Default::default()
    };
    let lm = stepcoder_model::load(Some(&spec), &opts)?;
    stepcoder_model::save_hf_dir(
        std::path::Path::new(&out),
        &lm.model,
        Some(&lm.tokenizer),
        Some(&lm.generation),
        dtype,
    )?;
    eprintln!("saved {} to {out}", lm.source.display());
    Ok(())
}
