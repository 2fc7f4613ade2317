//! How fast does the default model sample, and what does fixing candle's thread count buy?
//!
//! Samples 2 prompts x 4 rows (the `quick` preset's rollouts per step) up to 128 new tokens,
//! with the prompts shared (one prefill, one copy of their keys and values) and copied per
//! row, each once with `RAYON_NUM_THREADS` set ([`stepcoder_model::runtime::pin_cpu_threads`])
//! and once without it, alternating in one process (candle reads the variable at every
//! product, so one process measures both). Same seed, so the same tokens (up to float
//! rounding between shared and per-row).
//!
//! `cargo run --release -p stepcoder-model --example sample_speed -- [rounds]` (default 3;
//! fetches the default model on first use). Run it with `RAYON_NUM_THREADS` and
//! `CANDLE_CPU_MASK` unset.
use std::time::Instant;

use stepcoder_model::{generate, LoadOptions, SamplingConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if ["RAYON_NUM_THREADS", "CANDLE_CPU_MASK"]
        .iter()
        .any(|v| std::env::var_os(v).is_some())
    {
        return Err("unset RAYON_NUM_THREADS and CANDLE_CPU_MASK: the example sets and clears the first itself".into());
    }
    let rounds: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(3);
    let threads = stepcoder_model::runtime::pin_cpu_threads();
    let lm = stepcoder_model::load(
        Some("default"),
        &LoadOptions {
            trainable: false,
            ..Default::default()
        },
    )?;
    let task = "Read a list of integers from standard input and print the longest strictly \
                increasing contiguous run, the sum of its elements and how many distinct \
                values it has. ";
    let a = lm.tokenizer.encode_chat_prompt(&task.repeat(6))?;
    let b = lm
        .tokenizer
        .encode_chat_prompt(&format!("Negative numbers may occur. {}", task.repeat(6)))?;
    let prompts: Vec<Vec<u32>> = [&a, &a, &a, &a, &b, &b, &b, &b]
        .into_iter()
        .cloned()
        .collect();
    println!(
        "8 rows on 2 prompts of {} and {} tokens, up to 128 new tokens, {threads} threads; {rounds} rounds",
        a.len(),
        b.len()
    );
    // (name, prompts shared, threads pinned)
    let ways = [
        ("shared, pinned", true, true),
        ("shared, unpinned", true, false),
        ("per-row, pinned", false, true),
        ("per-row, unpinned", false, false),
    ];
    let mut secs = [0f64; 4];
    // The tokens each sharing mode sampled: pinning must not change them.
    let mut tokens: [Option<Vec<Vec<u32>>>; 2] = [None, None];
    for round in 0..=rounds {
        for i in 0..ways.len() {
            // Rotate the order so no way always runs first.
            let w = (i + round) % ways.len();
            let (name, shared, pinned) = ways[w];
            if pinned {
                std::env::set_var("RAYON_NUM_THREADS", threads.to_string());
            } else {
                std::env::remove_var("RAYON_NUM_THREADS");
            }
            let cfg = SamplingConfig {
                max_new_tokens: 128,
                temperature: 1.0,
                seed: 7,
                share_prefill: shared,
                ..Default::default()
            };
            let t0 = Instant::now();
            let out = generate(&lm.model, Some(&lm.tokenizer), &prompts, &cfg)?;
            let dt = t0.elapsed().as_secs_f64();
            let ids: Vec<Vec<u32>> = out.into_iter().map(|c| c.token_ids).collect();
            let n: usize = ids.iter().map(Vec::len).sum();
            let seen = &mut tokens[usize::from(shared)];
            match seen {
                None => *seen = Some(ids),
                Some(t) if *t != ids => {
                    return Err(format!("{name} sampled other tokens than before").into())
                }
                _ => {}
            }
            // Round 0 warms up (first-use costs) and is not counted.
            if round > 0 {
                secs[w] += dt;
            }
            let tag = if round == 0 { "(warm-up) " } else { "" };
            println!("{tag}{name:<18} {dt:6.2} s  {n} tokens");
        }
    }
    println!(
        "pinned and unpinned sampled the same tokens; shared and per-row {}",
        if tokens[0] == tokens[1] {
            "too"
        } else {
            "did not (float rounding between the two attention layouts)"
        }
    );
    let mean = |w: usize| secs[w] / rounds as f64;
    for (w, (name, _, _)) in ways.iter().enumerate() {
        println!("{name:<18} {:6.2} s per generation", mean(w));
    }
    println!(
        "pinned threads: shared {:.2}x, per-row {:.2}x faster; sharing the prompt: {:.2}x faster (pinned)",
        mean(1) / mean(0),
        mean(3) / mean(2),
        mean(2) / mean(0)
    );
    Ok(())
}
