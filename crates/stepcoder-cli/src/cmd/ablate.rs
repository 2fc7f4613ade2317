//! `stepcoder ablate`: SFT alone, vanilla PPO, PPO + CCCS, PPO + FGO and StepCoder from one
//! shared starting model, with the same budget, data and seeds, each evaluated on the same
//! held-out problems; per arm the mean over seeds with an interval, and a table shaped like the
//! paper's Table 1.
//!
//! Layout of `--output-dir`: `config.toml` (the resolved config every arm starts from),
//! `eval_base.json` (the base model, once), `sft_model/` (the shared
//! SFT model, when `sft.warm_start` and no `--sft-model`), then `<arm>/seed-<s>/` per arm and
//! seed: a whole `stepcoder train` run directory for the PPO arms, an `eval_after.json` for
//! the SFT-alone arm. Seed `s` sets `ppo.seed` and `eval.seed` to the config's values plus
//! `s`. What a finished run wrote is kept: run the same command again to finish an
//! interrupted ablation.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use serde::Serialize;
use stepcoder_eval::{EvalReport, Interval, PairedDifference};
use stepcoder_ppo::{MetricsLog, StepMetrics};

use crate::run::config::{CurriculumSection, MaskSection, TrainConfig};
use crate::run::{evaluate_to, read_report, split_problems, train, RunDir};

#[derive(Debug, Args)]
pub struct AblateArgs {
    /// A TOML config (the `stepcoder train` format); each arm changes only [curriculum] and
    /// [mask], and the seeds.
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[arg(long, default_value = "default")]
    pub preset: String,
    /// Parent directory; each arm writes to OUTPUT_DIR/<arm>/seed-<s>.
    #[arg(long, default_value = "runs/ablation")]
    pub output_dir: PathBuf,
    /// Override run.steps for every arm.
    #[arg(long)]
    pub steps: Option<u64>,
    /// Runs per arm, with seeds 0..N added to ppo.seed and eval.seed.
    #[arg(long, default_value_t = 1)]
    pub seeds: u64,
    /// Start every arm from this SFT model (a Hugging Face folder such as
    /// runs/laptop/sft_model, trained on the same training split) instead of training one
    /// here. Without it, `sft.warm_start = true` trains one shared SFT model first, and
    /// `false` starts the PPO arms from the base model (no SFT-alone arm).
    #[arg(long)]
    pub sft_model: Option<PathBuf>,
    /// Override eval.samples (samples per held-out problem) for every evaluation.
    #[arg(long)]
    pub eval_samples: Option<usize>,
    /// Delete the output directory first instead of keeping what earlier runs finished.
    #[arg(long)]
    pub overwrite: bool,
    /// Train nothing: print the tables of the ablation already in --output-dir (finished
    /// or interrupted; seeds without an evaluation are left out).
    #[arg(long)]
    pub report: bool,
}

/// The arm that only evaluates the shared starting (SFT) model.
pub const SFT_ARM: &str = "sft";

/// The PPO arms of the paper's ablation: (name, CCCS on, FGO on).
pub const VARIANTS: [(&str, bool, bool); 4] = [
    ("vanilla_ppo", false, false),
    ("ppo_cccs", true, false),
    ("ppo_fgo", false, true),
    ("stepcoder", true, true),
];

/// Every arm in table order.
fn arm_names() -> impl Iterator<Item = &'static str> {
    std::iter::once(SFT_ARM).chain(VARIANTS.iter().map(|(n, _, _)| *n))
}

fn seed_dir(out: &Path, arm: &str, seed: u64) -> RunDir {
    RunDir(out.join(arm).join(format!("seed-{seed}")))
}

#[derive(Debug, Serialize)]
struct Row {
    method: String,
    /// The seeds evaluated, and each one's pass@1.
    seeds: Vec<u64>,
    seed_pass1: Vec<f64>,
    /// All seeds' samples pooled per problem: pass@1 is the mean over seeds; the interval
    /// resamples problems.
    report: EvalReport,
    /// Paired change of the pooled pass@1 against the arms' starting model (absent for the
    /// starting model itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    vs_start: Option<PairedDifference>,
    /// How the arm's training went, averaged over seeds (absent without training).
    #[serde(skip_serializing_if = "Option::is_none")]
    training: Option<TrainingSummary>,
}

/// An arm's training, summarized from its `metrics.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct TrainingSummary {
    steps: usize,
    /// Means over the steps of the rollouts' reward and pass rate.
    reward_mean: f64,
    pass_rate: f64,
    /// Share of all rollouts that did not compile.
    compile_error_share: f64,
    /// Mean share of generated tokens that FGO took out of the policy loss.
    fgo_masked_fraction: f64,
    /// KL to the reference at the last step's rollouts.
    final_kl: f64,
    /// Generation, execution and training time, summed over the steps.
    seconds: f64,
}

fn summarize(steps: &[StepMetrics]) -> Option<TrainingSummary> {
    let n = steps.len();
    if n == 0 {
        return None;
    }
    let mean = |f: fn(&StepMetrics) -> f64| steps.iter().map(f).sum::<f64>() / n as f64;
    let rollouts: usize = steps.iter().map(|m| m.outcomes.total()).sum();
    let compile: usize = steps.iter().map(|m| m.outcomes.compile_error).sum();
    Some(TrainingSummary {
        steps: n,
        reward_mean: mean(|m| m.reward_mean),
        pass_rate: mean(|m| m.pass_rate),
        compile_error_share: compile as f64 / rollouts.max(1) as f64,
        fgo_masked_fraction: mean(|m| m.fgo_masked_fraction),
        final_kl: steps.last().map_or(0.0, |m| m.kl),
        seconds: steps
            .iter()
            .map(|m| m.time.generation_s + m.time.execution_s + m.time.training_s)
            .sum(),
    })
}

/// The field-by-field mean of the seeds' summaries (steps: the mean, rounded).
fn mean_summary(all: &[TrainingSummary]) -> Option<TrainingSummary> {
    let n = all.len();
    if n == 0 {
        return None;
    }
    let mean = |f: fn(&TrainingSummary) -> f64| all.iter().map(f).sum::<f64>() / n as f64;
    Some(TrainingSummary {
        steps: (mean(|t| t.steps as f64)).round() as usize,
        reward_mean: mean(|t| t.reward_mean),
        pass_rate: mean(|t| t.pass_rate),
        compile_error_share: mean(|t| t.compile_error_share),
        fgo_masked_fraction: mean(|t| t.fgo_masked_fraction),
        final_kl: mean(|t| t.final_kl),
        seconds: mean(|t| t.seconds),
    })
}

/// One arm's evaluated seeds, `(seed, report)` in seed order, and their training summaries.
struct ArmResults {
    reports: Vec<(u64, EvalReport)>,
    training: Vec<TrainingSummary>,
}

fn read_arm(out: &Path, arm: &str) -> anyhow::Result<ArmResults> {
    let mut seeds: Vec<u64> = match std::fs::read_dir(out.join(arm)) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                e.file_name()
                    .to_string_lossy()
                    .strip_prefix("seed-")?
                    .parse()
                    .ok()
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    seeds.sort_unstable();
    let mut reports = Vec::new();
    let mut training = Vec::new();
    for seed in seeds {
        let run = seed_dir(out, arm, seed);
        let eval = run.eval("after");
        if !eval.exists() {
            eprintln!("{arm} seed {seed}: no {} yet; left out", eval.display());
            continue;
        }
        reports.push((seed, read_report(&eval)?.without_samples()));
        if run.metrics().exists() {
            training.extend(summarize(&MetricsLog::read(&run.metrics())?));
        }
    }
    Ok(ArmResults { reports, training })
}

/// The rows of an ablation, from what its runs wrote under `dir`: the base model, then each
/// arm with at least one evaluated seed. Arms are compared with the SFT-alone arm when it
/// exists, otherwise with the base model.
fn collect_rows(dir: &Path, base_label: &str) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    let base_path = dir.join("eval_base.json");
    let base = if base_path.exists() {
        Some(read_report(&base_path)?.without_samples())
    } else {
        None
    };
    let mut start: Option<EvalReport> = base.clone();
    if let Some(report) = base {
        rows.push(Row {
            method: base_label.to_string(),
            seeds: Vec::new(),
            seed_pass1: vec![report.pass1_interval().estimate],
            report,
            vs_start: None,
            training: None,
        });
    }
    for arm in arm_names() {
        let ArmResults { reports, training } = read_arm(dir, arm)?;
        if reports.is_empty() {
            continue;
        }
        let just: Vec<EvalReport> = reports.iter().map(|(_, r)| r.clone()).collect();
        let pooled = EvalReport::pooled(&just)
            .with_context(|| format!("pooling the seeds of {}", dir.join(arm).display()))?;
        let vs_start = match &start {
            Some(s) if arm != SFT_ARM => Some(
                stepcoder_eval::paired_difference(s, &pooled)
                    .with_context(|| format!("comparing {arm} with its starting model"))?,
            ),
            _ => None,
        };
        if arm == SFT_ARM {
            start = Some(pooled.clone());
        }
        rows.push(Row {
            method: arm.to_string(),
            seeds: reports.iter().map(|(s, _)| *s).collect(),
            seed_pass1: just.iter().map(|r| r.pass1_interval().estimate).collect(),
            report: pooled,
            vs_start,
            training: mean_summary(&training),
        });
    }
    Ok(rows)
}

fn variant_config(base: &TrainConfig, cccs: bool, fgo: bool, dir: PathBuf) -> TrainConfig {
    let mut cfg = base.clone();
    cfg.run.output_dir = dir;
    cfg.eval.before = false;
    cfg.eval.after = true;
    cfg.curriculum = match (&base.curriculum, cccs) {
        (_, false) => CurriculumSection::None,
        (c @ (CurriculumSection::Step { .. } | CurriculumSection::Staged { .. }), true) => {
            c.clone()
        }
        (CurriculumSection::None, true) => CurriculumSection::default(),
    };
    cfg.mask = match (&base.mask, fgo) {
        (_, false) => MaskSection::Full,
        (m @ MaskSection::Coverage { .. }, true) => m.clone(),
        (MaskSection::Full, true) => MaskSection::default(),
    };
    cfg
}

/// The config of seed `seed` of an arm: the arms' starting model, no SFT of its own, the
/// seeds shifted, and no evaluations but the final one.
fn seeded(mut cfg: TrainConfig, start_model: &str, seed: u64) -> TrainConfig {
    cfg.model.path = start_model.to_string();
    cfg.sft.warm_start = false;
    cfg.eval.every = 0;
    cfg.ppo.seed = cfg.ppo.seed.wrapping_add(seed);
    cfg.eval.seed = cfg.eval.seed.wrapping_add(seed);
    cfg
}

fn pct(x: f64) -> String {
    format!("{:.1}", 100.0 * x)
}

/// Per arm: the seeds' pass@1, their mean with the pooled interval, and the paired change
/// against the starting model.
fn seeds_table(rows: &[Row]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| method | seeds | pass@1 per seed | mean pass@1 [95% CI] | vs start [95% CI], p |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|");
    for r in rows {
        let i: Interval = r.report.pass1_interval();
        let per_seed: Vec<String> = r.seed_pass1.iter().map(|v| pct(*v)).collect();
        let change = r.vs_start.map_or("-".to_string(), |d| {
            format!(
                "{:+.1} [{:+.1}, {:+.1}], p = {:.3}",
                100.0 * d.diff.estimate,
                100.0 * d.diff.lo,
                100.0 * d.diff.hi,
                d.p_value
            )
        });
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} [{}, {}] | {} |",
            r.method,
            r.seeds.len().max(1),
            per_seed.join(" / "),
            pct(i.estimate),
            pct(i.lo),
            pct(i.hi),
            change
        );
    }
    s
}

/// Table 1's shape: pass@1 (%) by difficulty and overall, then the outcome mix (%).
fn table(rows: &[Row]) -> String {
    let difficulties = ["introductory", "interview", "competition"];
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| method | intro | interview | comp. | overall | passed | wrong | runtime err | compile err |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let cell = |d: &str| {
            r.report
                .by_difficulty
                .get(d)
                .and_then(|x| x.pass_at_k.get("pass@1"))
                .map_or("-".to_string(), |v| pct(*v))
        };
        let total: usize = r.report.outcomes.values().sum::<usize>().max(1);
        let share = |k: &str| r.report.outcomes.get(k).copied().unwrap_or(0) as f64 / total as f64;
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.method,
            cell(difficulties[0]),
            cell(difficulties[1]),
            cell(difficulties[2]),
            pct(r.report.pass_at_k.get("pass@1").copied().unwrap_or(0.0)),
            pct(share("passed")),
            pct(share("wrong_answer")),
            pct(share("runtime_error")),
            pct(share("compile_error")),
        );
    }
    s
}

/// How each arm's training went: means over its steps, then over its seeds.
fn training_table(rows: &[Row]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| method | steps | reward | pass % | compile err % | FGO-masked % | final KL | seconds |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|");
    for r in rows {
        let Some(t) = &r.training else { continue };
        let _ = writeln!(
            s,
            "| {} | {} | {:+.3} | {:.1} | {:.1} | {:.1} | {:.4} | {:.0} |",
            r.method,
            t.steps,
            t.reward_mean,
            100.0 * t.pass_rate,
            100.0 * t.compile_error_share,
            100.0 * t.fgo_masked_fraction,
            t.final_kl,
            t.seconds
        );
    }
    s
}

/// Prints the tables and writes `ablation.md` and `ablation.json` under `dir`.
fn write_tables(dir: &Path, rows: &[Row]) -> anyhow::Result<()> {
    let text = format!(
        "Held-out pass@1 (%) per arm: each seed, the mean over seeds with the 95% bootstrap \
         interval over problems (seeds pooled), and the paired change against the arms' \
         starting model:\n\n{}\nPooled over seeds, by difficulty, and the outcome mix (%):\n\n{}\n\
         Training rollouts (means over steps, then seeds):\n\n{}",
        seeds_table(rows),
        table(rows),
        training_table(rows)
    );
    std::fs::write(dir.join("ablation.md"), &text)?;
    std::fs::write(
        dir.join("ablation.json"),
        serde_json::to_string_pretty(rows)?,
    )?;
    println!("{text}");
    Ok(())
}

/// The label of the base row: the model the ablation's config names.
fn base_label(cfg: &TrainConfig) -> String {
    format!("base ({})", cfg.model.path)
}

pub fn run(args: AblateArgs) -> anyhow::Result<()> {
    let out = args.output_dir.clone();
    if args.report {
        // The ablation's own config names the base model; the arms' configs name the SFT
        // model they start from.
        let label = TrainConfig::from_file(&out.join("config.toml"))
            .map_or_else(|_| "base".to_string(), |c| base_label(&c));
        let rows = collect_rows(&out, &label)?;
        if rows.is_empty() {
            anyhow::bail!(
                "{} holds no ablation results (eval_base.json, <arm>/seed-<s>/eval_after.json)",
                out.display()
            );
        }
        return write_tables(&out, &rows);
    }
    anyhow::ensure!(args.seeds >= 1, "--seeds must be at least 1");
    let started = std::time::Instant::now();
    let mut base = TrainConfig::resolve(&args.preset, args.config.as_deref())?;
    if let Some(steps) = args.steps {
        base.run.steps = steps;
    }
    if let Some(n) = args.eval_samples {
        anyhow::ensure!(n >= 1, "--eval-samples must be at least 1");
        base.eval.samples = n;
    }
    if !base.eval.ks.contains(&1) {
        base.eval.ks.insert(0, 1);
    }
    if args.overwrite && out.exists() {
        if let Some(sft) = &args.sft_model {
            anyhow::ensure!(
                !sft.starts_with(&out),
                "--sft-model {} lies inside --output-dir {}, which --overwrite would delete",
                sft.display(),
                out.display()
            );
        }
        std::fs::remove_dir_all(&out).with_context(|| format!("removing {}", out.display()))?;
    }
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    std::fs::write(out.join("config.toml"), base.to_commented_toml()?)
        .with_context(|| format!("writing {}", out.join("config.toml").display()))?;
    let (train_set, eval_set) = split_problems(&base)?;
    anyhow::ensure!(
        !eval_set.is_empty(),
        "the ablation needs held-out problems (data.eval)"
    );
    let executor = base.executor.build(&base.sandbox)?;
    // `[run] device` / `--device`: the evaluations here run where the arms train.
    let place = crate::device::select(base.run.device, base.run.precision)?;
    let evaluate =
        |label: &str, cfg: &TrainConfig, model: &stepcoder_model::LoadedModel, path: &Path| {
            evaluate_to(
                label,
                cfg,
                &model.model,
                &model.tokenizer,
                executor.as_ref(),
                &eval_set,
                path,
            )
        };

    // The base model, evaluated once; then the shared SFT model, trained once.
    let base_eval = out.join("eval_base.json");
    let sft_dir = out.join("sft_model");
    let sft_done = out.join("sft_model.done");
    let train_sft = args.sft_model.is_none() && base.sft.warm_start && !sft_done.exists();
    if (base.eval.before && !base_eval.exists()) || train_sft {
        let loaded = place
            .load_model(&base.model.path, train_sft)
            .with_context(|| format!("loading model `{}`", base.model.path))?;
        if base.eval.before && !base_eval.exists() {
            evaluate("base", &base, &loaded, &base_eval)?;
        }
        if train_sft {
            crate::run::sft::run_sft_stage(
                &base.sft,
                &loaded,
                &train_set,
                &out.join("sft_metrics.jsonl"),
                &sft_dir,
            )?;
            std::fs::write(&sft_done, "")?;
        }
    }
    let start_model: Option<String> = match &args.sft_model {
        Some(p) => Some(p.display().to_string()),
        None if base.sft.warm_start => Some(sft_dir.display().to_string()),
        None => None,
    };

    for seed in 0..args.seeds {
        if let Some(start) = &start_model {
            let run = seed_dir(&out, SFT_ARM, seed);
            if run.eval("after").exists() {
                eprintln!("== {SFT_ARM} seed {seed}: done earlier, kept");
            } else {
                eprintln!("== {SFT_ARM} seed {seed} (the starting model, evaluated)");
                std::fs::create_dir_all(&run.0)?;
                let cfg = seeded(base.clone(), start, seed);
                let loaded = place
                    .load_model(start, false)
                    .with_context(|| format!("loading the SFT model `{start}`"))?;
                evaluate(
                    &format!("{SFT_ARM} seed {seed}"),
                    &cfg,
                    &loaded,
                    &run.eval("after"),
                )?;
            }
        }
        for (name, cccs, fgo) in VARIANTS {
            let dir = seed_dir(&out, name, seed);
            if dir.eval("after").exists() {
                eprintln!("== {name} seed {seed}: done earlier, kept");
                continue;
            }
            eprintln!(
                "== {name} seed {seed} (CCCS {}, FGO {})",
                if cccs { "on" } else { "off" },
                if fgo { "on" } else { "off" }
            );
            let start = start_model.as_deref().unwrap_or(&base.model.path);
            let cfg = seeded(variant_config(&base, cccs, fgo, dir.0.clone()), start, seed);
            // A seed that did not finish is redone from the start.
            dir.prepare_fresh(true)?;
            std::fs::write(dir.config(), cfg.to_commented_toml()?)?;
            train(cfg, dir, false)?.context("the arm was not evaluated")?;
        }
    }
    let rows = collect_rows(&out, &base_label(&base))?;
    write_tables(&out, &rows)?;
    eprintln!(
        "ablation: {} seeds x {} arms in {:.1} min; tables in {}",
        args.seeds,
        if start_model.is_some() { 5 } else { 4 },
        started.elapsed().as_secs_f64() / 60.0,
        out.join("ablation.md").display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_change_only_curriculum_and_mask() {
        let base = TrainConfig::default();
        let v = variant_config(&base, false, false, "x".into());
        assert_eq!(v.curriculum, CurriculumSection::None);
        assert_eq!(v.mask, MaskSection::Full);
        assert_eq!(v.ppo, base.ppo);
        let s = variant_config(&base, true, true, "y".into());
        assert_eq!(s.curriculum, base.curriculum);
        assert_eq!(s.mask, base.mask);
        let mut no = base.clone();
        no.curriculum = CurriculumSection::None;
        no.mask = MaskSection::Full;
        let s = variant_config(&no, true, true, "z".into());
        assert_eq!(s.curriculum, CurriculumSection::default());
        assert_eq!(s.mask, MaskSection::default());
    }

    #[test]
    fn table_has_a_row_per_method() {
        use stepcoder_core::{Difficulty, OutcomeClass};
        use stepcoder_eval::ProblemResult;
        let report = EvalReport::from_results(
            vec![ProblemResult::new(
                "a",
                Difficulty::Introductory,
                vec![OutcomeClass::Passed],
            )],
            &[1],
        );
        let t = table(&[Row {
            method: "stepcoder".into(),
            seeds: vec![0],
            seed_pass1: vec![1.0],
            report,
            vs_start: None,
            training: None,
        }]);
        assert!(
            t.contains("| stepcoder | 100.0 | - | - | 100.0 | 100.0 | 0.0 | 0.0 | 0.0 |"),
            "{t}"
        );
    }

    #[test]
    fn seeds_shift_and_arms_start_from_the_shared_model() {
        let mut base = TrainConfig::default();
        base.sft.warm_start = true;
        base.eval.every = 5;
        let cfg = seeded(
            variant_config(&base, true, false, "d".into()),
            "runs/x/sft_model",
            2,
        );
        assert_eq!(cfg.model.path, "runs/x/sft_model");
        assert!(!cfg.sft.warm_start, "the arms share one SFT model");
        assert_eq!(cfg.ppo.seed, base.ppo.seed + 2);
        assert_eq!(cfg.eval.seed, base.eval.seed + 2);
        assert_eq!(cfg.eval.every, 0);
        assert_eq!(cfg.mask, MaskSection::Full);
    }

    #[test]
    fn report_mode_pools_seeds_and_compares_with_the_sft_arm() {
        use stepcoder_core::{Difficulty, OutcomeClass};
        use stepcoder_eval::ProblemResult;
        use stepcoder_ppo::OutcomeCounts;
        use OutcomeClass::*;
        let dir = tempfile::tempdir().unwrap();
        // Four problems; each report gives one outcome per problem.
        let report = |outcomes: [OutcomeClass; 4]| {
            let results = outcomes
                .iter()
                .enumerate()
                .map(|(i, o)| ProblemResult::new(format!("p{i}"), Difficulty::Interview, vec![*o]))
                .collect();
            serde_json::to_string(&EvalReport::from_results(results, &[1])).unwrap()
        };
        let write = |path: PathBuf, text: String| {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        let w = WrongAnswer;
        write(dir.path().join("eval_base.json"), report([CompileError; 4]));
        write(
            seed_dir(dir.path(), SFT_ARM, 0).eval("after"),
            report([Passed, w, w, w]),
        );
        write(
            seed_dir(dir.path(), SFT_ARM, 1).eval("after"),
            report([w, w, w, w]),
        );
        let arm = |seed| seed_dir(dir.path(), "stepcoder", seed);
        write(arm(0).eval("after"), report([Passed, Passed, w, w]));
        write(arm(1).eval("after"), report([Passed, Passed, Passed, w]));
        // A seed still training has no evaluation: left out.
        std::fs::create_dir_all(arm(2).0).unwrap();
        let step = |reward_mean: f64, passed: usize, compile_error: usize, kl: f64| StepMetrics {
            reward_mean,
            pass_rate: passed as f64 / 4.0,
            outcomes: OutcomeCounts {
                passed,
                compile_error,
                wrong_answer: 4 - passed - compile_error,
                runtime_error: 0,
            },
            kl,
            ..StepMetrics::default()
        };
        let lines: Vec<String> = [step(-0.5, 1, 2, 0.01), step(0.5, 3, 0, 0.02)]
            .iter()
            .map(|m| serde_json::to_string(m).unwrap())
            .collect();
        write(arm(0).metrics(), lines.join("\n") + "\n");
        write(arm(1).metrics(), lines[..1].join("\n") + "\n");

        let rows = collect_rows(dir.path(), "base").unwrap();
        let names: Vec<&str> = rows.iter().map(|r| r.method.as_str()).collect();
        assert_eq!(names, ["base", "sft", "stepcoder"]);
        let sft = &rows[1];
        assert_eq!(sft.seeds, [0, 1]);
        assert_eq!(sft.seed_pass1, [0.25, 0.0]);
        assert!((sft.report.pass_at_k["pass@1"] - 0.125).abs() < 1e-12);
        assert!(
            sft.vs_start.is_none(),
            "the starting model is the reference"
        );
        let sc = &rows[2];
        assert_eq!(sc.seeds, [0, 1]);
        assert!((sc.report.pass_at_k["pass@1"] - 0.625).abs() < 1e-12);
        let d = sc.vs_start.expect("compared with the SFT arm");
        assert!((d.before - 0.125).abs() < 1e-12 && (d.after - 0.625).abs() < 1e-12);
        assert!((d.diff.estimate - 0.5).abs() < 1e-12);
        let t = sc.training.as_ref().unwrap();
        // Seed 0: 2 steps, pass rate 0.5; seed 1: 1 step, pass rate 0.25.
        assert_eq!(t.steps, 2);
        assert!((t.pass_rate - 0.375).abs() < 1e-12);
        assert!((t.final_kl - 0.015).abs() < 1e-12);
        let text = seeds_table(&rows);
        assert!(text.contains("| sft | 2 | 25.0 / 0.0 | 12.5 ["), "{text}");
        assert!(
            text.contains("| stepcoder | 2 | 50.0 / 75.0 | 62.5 ["),
            "{text}"
        );
        assert!(text.contains("+50.0 ["), "{text}");
        let text = training_table(&rows);
        assert!(!text.contains("| base"), "{text}");

        write(arm(0).metrics(), format!("{}\n{{not json\n", lines[0]));
        let err = format!("{:#}", collect_rows(dir.path(), "base").unwrap_err());
        assert!(
            err.contains("metrics.jsonl") && err.contains("line 2"),
            "{err}"
        );
    }
}
