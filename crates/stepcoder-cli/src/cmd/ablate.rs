//! `stepcoder ablate`: vanilla PPO, PPO + CCCS, PPO + FGO and StepCoder with the same
//! budget, seeds and data, each evaluated on the same held-out problems; a table shaped like
//! the paper's Table 1.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use serde::Serialize;
use stepcoder_eval::EvalReport;
use stepcoder_model::LoadOptions;
use stepcoder_ppo::{MetricsLog, StepMetrics};
use stepcoder_sandbox::Sandbox;

use crate::run::config::{CurriculumSection, MaskSection, TrainConfig};
use crate::run::{evaluate_to, read_report, split_problems, train, RunDir};

#[derive(Debug, Args)]
pub struct AblateArgs {
    /// A TOML config (the `stepcoder train` format); each variant changes only
    /// [curriculum] and [mask].
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[arg(long, default_value = "default")]
    pub preset: String,
    /// Parent directory; each variant writes to OUTPUT_DIR/<variant>.
    #[arg(long, default_value = "runs/ablation")]
    pub output_dir: PathBuf,
    /// Override run.steps for every variant.
    #[arg(long)]
    pub steps: Option<u64>,
    /// Replace earlier results in the output directory.
    #[arg(long)]
    pub overwrite: bool,
    /// Train nothing: print the tables of the ablation already in --output-dir (finished
    /// or interrupted; arms without an evaluation are left out).
    #[arg(long)]
    pub report: bool,
}

/// The four arms of the paper's ablation: (name, CCCS on, FGO on).
pub const VARIANTS: [(&str, bool, bool); 4] = [
    ("vanilla_ppo", false, false),
    ("ppo_cccs", true, false),
    ("ppo_fgo", false, true),
    ("stepcoder", true, true),
];

#[derive(Debug, Serialize)]
struct Row {
    method: String,
    report: EvalReport,
    /// How the arm's training went (absent for the starting model).
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

/// The rows of an ablation, from what its runs wrote under `dir`: the starting model, then
/// each arm that has been evaluated.
fn collect_rows(dir: &Path, base_label: &str) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    let base = dir.join("eval_base.json");
    if base.exists() {
        rows.push(Row {
            method: base_label.to_string(),
            report: read_report(&base)?.without_samples(),
            training: None,
        });
    }
    for (name, _, _) in VARIANTS {
        let run = RunDir(dir.join(name));
        let eval = run.eval("after");
        if !eval.exists() {
            eprintln!("{name}: no {} yet; left out", eval.display());
            continue;
        }
        let training = if run.metrics().exists() {
            summarize(&MetricsLog::read(&run.metrics())?)
        } else {
            None
        };
        rows.push(Row {
            method: name.to_string(),
            // The arm's own eval_after.json keeps every sample's program; the summary
            // stays small.
            report: read_report(&eval)?.without_samples(),
            training,
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
                .map_or("-".to_string(), |v| format!("{:.1}", 100.0 * v))
        };
        let total: usize = r.report.outcomes.values().sum::<usize>().max(1);
        let pct =
            |k: &str| 100.0 * r.report.outcomes.get(k).copied().unwrap_or(0) as f64 / total as f64;
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |",
            r.method,
            cell(difficulties[0]),
            cell(difficulties[1]),
            cell(difficulties[2]),
            100.0 * r.report.pass_at_k.get("pass@1").copied().unwrap_or(0.0),
            pct("passed"),
            pct("wrong_answer"),
            pct("runtime_error"),
            pct("compile_error"),
        );
    }
    s
}

/// How each arm's training went: means over its steps.
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

/// Prints both tables and writes `ablation.md` and `ablation.json` under `dir`.
fn write_tables(dir: &Path, rows: &[Row]) -> anyhow::Result<()> {
    let text = format!(
        "Held-out pass@1 (%) and outcome mix (%):\n\n{}\nTraining rollouts (means over steps):\n\n{}",
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

pub fn run(args: AblateArgs) -> anyhow::Result<()> {
    if args.report {
        let label = VARIANTS
            .iter()
            .map(|(name, _, _)| RunDir(args.output_dir.join(name)).config())
            .find(|p| p.exists())
            .and_then(|p| TrainConfig::from_file(&p).ok())
            .map_or_else(
                || "base".to_string(),
                |c| format!("base ({})", c.model.path),
            );
        let rows = collect_rows(&args.output_dir, &label)?;
        if rows.is_empty() {
            anyhow::bail!(
                "{} holds no ablation results (eval_base.json, <arm>/eval_after.json)",
                args.output_dir.display()
            );
        }
        return write_tables(&args.output_dir, &rows);
    }
    let mut base = TrainConfig::resolve(&args.preset, args.config.as_deref())?;
    if let Some(steps) = args.steps {
        base.run.steps = steps;
    }
    if !base.eval.ks.contains(&1) {
        base.eval.ks.insert(0, 1);
    }
    std::fs::create_dir_all(&args.output_dir)
        .with_context(|| format!("creating {}", args.output_dir.display()))?;
    // The starting model, evaluated once on the same held-out problems.
    {
        let (_, eval) = split_problems(&base)?;
        let loaded = stepcoder_model::load(Some(&base.model.path), &LoadOptions::default())
            .with_context(|| format!("loading model `{}`", base.model.path))?;
        let sandbox = Sandbox::new(base.sandbox.build()).context("starting the sandbox")?;
        let out = args.output_dir.join("eval_base.json");
        evaluate_to(
            "base",
            &base,
            &loaded.model,
            &loaded.tokenizer,
            &sandbox,
            &eval,
            &out,
        )?;
    }
    for (name, cccs, fgo) in VARIANTS {
        eprintln!(
            "== {name} (CCCS {}, FGO {})",
            if cccs { "on" } else { "off" },
            if fgo { "on" } else { "off" }
        );
        let cfg = variant_config(&base, cccs, fgo, args.output_dir.join(name));
        let dir = RunDir(cfg.run.output_dir.clone());
        dir.prepare_fresh(args.overwrite)?;
        std::fs::write(dir.config(), cfg.to_commented_toml()?)?;
        train(cfg, dir, false)?.context("the variant was not evaluated")?;
    }
    let rows = collect_rows(&args.output_dir, &format!("base ({})", base.model.path))?;
    write_tables(&args.output_dir, &rows)
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
            report,
            training: None,
        }]);
        assert!(
            t.contains("| stepcoder | 100.0 | - | - | 100.0 | 100.0 | 0.0 | 0.0 | 0.0 |"),
            "{t}"
        );
    }

    #[test]
    fn report_mode_reads_what_the_arms_wrote() {
        use stepcoder_core::{Difficulty, OutcomeClass};
        use stepcoder_eval::ProblemResult;
        use stepcoder_ppo::OutcomeCounts;
        let dir = tempfile::tempdir().unwrap();
        let report = |c: OutcomeClass| {
            EvalReport::from_results(
                vec![ProblemResult::new("a", Difficulty::Interview, vec![c])],
                &[1],
            )
        };
        let write = |path: PathBuf, text: String| {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            dir.path().join("eval_base.json"),
            serde_json::to_string(&report(OutcomeClass::CompileError)).unwrap(),
        );
        let arm = RunDir(dir.path().join("stepcoder"));
        write(
            arm.eval("after"),
            serde_json::to_string(&report(OutcomeClass::Passed)).unwrap(),
        );
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
        write(arm.metrics(), lines.join("\n") + "\n");

        let rows = collect_rows(dir.path(), "base").unwrap();
        assert_eq!(rows.len(), 2, "the base and the one evaluated arm");
        assert!(rows[0].training.is_none());
        let t = rows[1].training.as_ref().unwrap();
        assert_eq!(t.steps, 2);
        assert!((t.reward_mean - 0.0).abs() < 1e-12);
        assert!((t.pass_rate - 0.5).abs() < 1e-12);
        assert!((t.compile_error_share - 0.25).abs() < 1e-12);
        assert!((t.final_kl - 0.02).abs() < 1e-12);
        let text = training_table(&rows);
        assert!(
            text.contains("| stepcoder | 2 | +0.000 | 50.0 | 25.0 |"),
            "{text}"
        );
        assert!(!text.contains("| base"), "{text}");

        write(arm.metrics(), format!("{}\n{{not json\n", lines[0]));
        let err = format!("{:#}", collect_rows(dir.path(), "base").unwrap_err());
        assert!(
            err.contains("metrics.jsonl") && err.contains("line 2"),
            "{err}"
        );
    }
}
