//! `stepcoder ablate`: vanilla PPO, PPO + CCCS, PPO + FGO and StepCoder with the same
//! budget, seeds and data, each evaluated on the same held-out problems; a table shaped like
//! the paper's Table 1.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use serde::Serialize;
use stepcoder_eval::EvalReport;
use stepcoder_model::LoadOptions;
use stepcoder_sandbox::Sandbox;

use crate::run::config::{CurriculumSection, MaskSection, TrainConfig};
use crate::run::{evaluate_to, split_problems, train, RunDir};

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

pub fn run(args: AblateArgs) -> anyhow::Result<()> {
    let mut base = TrainConfig::resolve(&args.preset, args.config.as_deref())?;
    if let Some(steps) = args.steps {
        base.run.steps = steps;
    }
    if !base.eval.ks.contains(&1) {
        base.eval.ks.insert(0, 1);
    }
    std::fs::create_dir_all(&args.output_dir)
        .with_context(|| format!("creating {}", args.output_dir.display()))?;
    let mut rows = Vec::new();
    // The starting model, evaluated once on the same held-out problems.
    {
        let (_, eval) = split_problems(&base)?;
        let loaded = stepcoder_model::load(Some(&base.model.path), &LoadOptions::default())
            .with_context(|| format!("loading model `{}`", base.model.path))?;
        let sandbox = Sandbox::new(base.sandbox.build()).context("starting the sandbox")?;
        let out = args.output_dir.join("eval_base.json");
        let report = evaluate_to(
            "base",
            &base,
            &loaded.model,
            &loaded.tokenizer,
            &sandbox,
            &eval,
            &out,
        )?;
        rows.push(Row {
            method: format!("base ({})", base.model.path),
            report: report.without_samples(),
        });
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
        let report = train(cfg, dir, false)?.context("the variant was not evaluated")?;
        // The variant's own eval_after.json keeps every sample's program; the summary
        // stays small.
        rows.push(Row {
            method: name.to_string(),
            report: report.without_samples(),
        });
    }
    let text = table(&rows);
    std::fs::write(args.output_dir.join("ablation.md"), &text)?;
    std::fs::write(
        args.output_dir.join("ablation.json"),
        serde_json::to_string_pretty(&rows)?,
    )?;
    println!("{text}");
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
            report,
        }]);
        assert!(
            t.contains("| stepcoder | 100.0 | - | - | 100.0 | 100.0 | 0.0 | 0.0 | 0.0 |"),
            "{t}"
        );
    }
}
