//! `cargo run --release -p stepcoder-model --example bench -- [shape] [train_steps] [new_tokens]`:
//! candle-side throughput of one bench shape as JSON (what `stepcoder bench model` runs).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    stepcoder_model::runtime::pin_cpu_threads();
    let mut a = std::env::args().skip(1);
    let name = a.next().unwrap_or_else(|| "llama_7m".into());
    let steps: usize = a.next().map(|s| s.parse()).transpose()?.unwrap_or(3);
    let new: usize = a.next().map(|s| s.parse()).transpose()?.unwrap_or(32);
    let shape = match name.as_str() {
        "smollm2_135m" => stepcoder_model::bench::BenchShape::smollm2_135m(),
        _ => stepcoder_model::bench::BenchShape::llama_7m(),
    };
    let f = stepcoder_model::bench::measure(&shape, steps, new)?;
    println!("{}", serde_json::to_string(&f)?);
    Ok(())
}
