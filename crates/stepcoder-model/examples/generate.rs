//! `cargo run -p stepcoder-model --example generate -- [MODEL|default] "prompt"`: load a model
//! (fetching the default one if needed) and print a greedy answer.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    stepcoder_model::runtime::pin_cpu_threads();
    let mut args = std::env::args().skip(1);
    let spec = args.next().unwrap_or_else(|| "default".into());
    let prompt = args
        .next()
        .unwrap_or_else(|| "Write a Python function that returns the sum of a list.".into());
    let opts = stepcoder_model::LoadOptions {
        trainable: false,
        ..Default::default()
    };
    let t0 = std::time::Instant::now();
    let lm = stepcoder_model::load(Some(&spec), &opts)?;
    eprintln!("loaded {} in {:.1?}", lm.source.display(), t0.elapsed());
    let ids = lm.tokenizer.encode_chat_prompt(&prompt)?;
    let t0 = std::time::Instant::now();
    let out = stepcoder_model::generate(
        &lm.model,
        Some(&lm.tokenizer),
        &[ids],
        &stepcoder_model::SamplingConfig::greedy(96),
    )?;
    eprintln!("{} tokens in {:.1?}", out[0].token_ids.len(), t0.elapsed());
    println!("{}", out[0].text);
    Ok(())
}
