//! `stepcoder bench model`: train and sampling tokens/s of our candle model against PyTorch
//! measured in the same run (benches/torch_model_bench.py), on the CPU or (with `--device
//! cuda`) a GPU.

use anyhow::{bail, Context};
use clap::Args;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use stepcoder_model::bench::{measure_on, BenchShape};

#[derive(Debug, Args)]
pub struct ModelBenchArgs {
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Comma-separated shapes: llama_7m (8 x 256), smollm2_135m (4 x 256).
    #[arg(long, default_value = "llama_7m,smollm2_135m")]
    pub shapes: String,
    /// Timed train steps per shape (after one warm-up step).
    #[arg(long, default_value_t = 3)]
    pub train_steps: usize,
    /// Tokens sampled per row in the sampling measurement (after a 256 - N token prompt).
    #[arg(long, default_value_t = 32)]
    pub new_tokens: usize,
    /// Threads for both sides (candle via RAYON_NUM_THREADS, PyTorch via set_num_threads).
    /// On a busy machine, 1 thread each gives the steadiest comparison.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Skip the PyTorch baseline.
    #[arg(long)]
    pub no_torch: bool,
    /// The Python with PyTorch (default: $STEPCODER_TORCH_PYTHON, else `python3` when it
    /// imports torch, else the venv of benches/setup_torch_venv.sh, created if missing).
    #[arg(long)]
    pub python: Option<PathBuf>,
    /// The repository's benches/ folder (setup_torch_venv.sh, torch_model_bench.py).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../benches"))]
    pub benches_dir: PathBuf,
}

/// CPU threads the benchmarks use: `$RAYON_NUM_THREADS`, else every core.
pub(crate) fn threads() -> usize {
    if let Some(n) = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|n| *n > 0)
    {
        return n;
    }
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// The Python to run a PyTorch baseline with: `explicit`, else `$STEPCODER_TORCH_PYTHON`,
/// else `python3` when it imports torch (a GPU machine's image), else the venv that
/// `benches/setup_torch_venv.sh` creates (from PyPI) and prints.
pub fn torch_python(benches_dir: &Path, explicit: Option<&Path>) -> anyhow::Result<String> {
    if let Some(p) = explicit {
        return Ok(p.display().to_string());
    }
    if let Some(p) = std::env::var_os("STEPCODER_TORCH_PYTHON").filter(|p| !p.is_empty()) {
        return Ok(p.to_string_lossy().into_owned());
    }
    let has_torch = Command::new("python3")
        .args(["-c", "import torch"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if has_torch {
        return Ok("python3".into());
    }
    let setup = benches_dir.join("setup_torch_venv.sh");
    let out = Command::new("bash")
        .arg(&setup)
        .output()
        .with_context(|| format!("running {}", setup.display()))?;
    if !out.status.success() {
        bail!(
            "{} failed (use --no-torch to skip the baseline): {}",
            setup.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn torch_figures(a: &ModelBenchArgs, place: &crate::device::Selected) -> anyhow::Result<Value> {
    let python = torch_python(&a.benches_dir, a.python.as_deref())?;
    let script = a.benches_dir.join("torch_model_bench.py");
    let args = [
        "--shapes".to_string(),
        a.shapes.clone(),
        "--train-steps".into(),
        a.train_steps.to_string(),
        "--new-tokens".into(),
        a.new_tokens.to_string(),
    ];
    run_torch_script(
        &python,
        &script,
        &args,
        place,
        "",
        "the PyTorch bench output",
    )
}

/// Runs a PyTorch baseline script with `args` plus the thread count, device and dtype of
/// `place`, and parses the JSON it prints. A failure names the script, then `hint`.
pub(crate) fn run_torch_script(
    python: &str,
    script: &std::path::Path,
    args: &[String],
    place: &crate::device::Selected,
    hint: &str,
    what: &str,
) -> anyhow::Result<Value> {
    let out = Command::new(python)
        .arg(script)
        .args(args)
        .args(["--threads", &threads().to_string()])
        .args(["--device", if place.is_cuda() { "cuda" } else { "cpu" }])
        .args(["--dtype", crate::cmd::bench_ppo::torch_dtype(place)])
        .output()
        .with_context(|| format!("running {python} {}", script.display()))?;
    if !out.status.success() {
        bail!(
            "{} failed{hint}: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    serde_json::from_slice(&out.stdout).with_context(|| format!("parsing {what}"))
}

pub fn run(a: ModelBenchArgs) -> anyhow::Result<()> {
    if cfg!(debug_assertions) {
        eprintln!("warning: debug build; use `cargo run --release` for real figures");
    }
    // `--device` / `--precision` (global flags): the CPU in f32 unless asked.
    let place = crate::device::select_from_flags()?;
    let mut report = serde_json::Map::new();
    report.insert("threads".into(), json!(threads()));
    report.insert("device".into(), json!(place.describe()));
    let mut ours = Vec::new();
    for name in a.shapes.split(',').map(str::trim) {
        let shape = match name {
            "llama_7m" => BenchShape::llama_7m(),
            "smollm2_135m" => BenchShape::smollm2_135m(),
            other => bail!("unknown shape `{other}` (llama_7m, smollm2_135m)"),
        };
        eprintln!("measuring candle: {name} ...");
        ours.push((
            name.to_string(),
            measure_on(
                &shape,
                a.train_steps,
                a.new_tokens,
                &place.device,
                place.compute,
            )?,
        ));
    }
    let torch = if a.no_torch {
        None
    } else {
        eprintln!("measuring PyTorch ...");
        Some(torch_figures(&a, &place)?)
    };
    if let Some(v) = torch.as_ref().and_then(|t| t.get("torch_version")) {
        report.insert("torch_version".into(), v.clone());
    }
    for (name, f) in ours {
        let mut o = serde_json::to_value(&f)?;
        if let Some(t) = torch.as_ref().and_then(|t| t.get(&name)) {
            let tt = t["torch_train_tokens_per_s"].as_f64().unwrap_or(f64::NAN);
            let ts = t["torch_sample_tokens_per_s"].as_f64().unwrap_or(f64::NAN);
            o["torch_train_tokens_per_s"] = json!(tt);
            o["torch_sample_tokens_per_s"] = json!(ts);
            o["train_ratio_vs_torch"] = json!(f.train_tokens_per_s / tt);
            o["sample_ratio_vs_torch"] = json!(f.sample_tokens_per_s / ts);
        }
        report.insert(name, o);
    }
    let report = Value::Object(report);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "{:<14} {:>12} {:>12} {:>7} {:>12} {:>12} {:>7}",
        "shape", "train tok/s", "torch", "ratio", "sample tok/s", "torch", "ratio"
    );
    for (k, v) in report.as_object().into_iter().flatten() {
        if !v.is_object() {
            continue;
        }
        let g = |key: &str| v.get(key).and_then(Value::as_f64).unwrap_or(f64::NAN);
        println!(
            "{:<14} {:>12.0} {:>12.0} {:>6.2}x {:>12.1} {:>12.1} {:>6.2}x",
            k,
            g("train_tokens_per_s"),
            g("torch_train_tokens_per_s"),
            g("train_ratio_vs_torch"),
            g("sample_tokens_per_s"),
            g("torch_sample_tokens_per_s"),
            g("sample_ratio_vs_torch"),
        );
    }
    Ok(())
}
