//! `stepcoder curriculum show|simulate`: the CCCS stages of a data set, and Algorithm 1 run
//! against a simulated learner.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use serde_json::json;
use stepcoder_curriculum::{simulate, ProblemCurriculum, StepConfig, StepSchedule};
use stepcoder_data::{load, Dataset, Format};

#[derive(Debug, Subcommand)]
pub enum CurriculumCommand {
    /// Cut points and stages of each problem: where each stage's prefix ends.
    ///
    /// A stage's prefix is the canonical solution before `cut_line` (1-based; the cut line,
    /// a block header, is the first line the policy writes). Stage 0 has no prefix.
    Show(ShowArgs),
    /// Run the per-problem curriculum (paper Algorithm 1) against a simulated learner.
    ///
    /// Each step picks a problem at random and rolls it out once. The simulated learner
    /// passes with probability P when given no prefix, and more often with a longer prefix:
    /// 1 - (1 - P)(1 - f), where f is the fraction of the canonical solution's lines given.
    /// Prints the number of problems at each stage every N/10 steps.
    Simulate(SimulateArgs),
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A problem file (JSON, JSONL, optionally .gz) or an APPS folder.
    pub path: PathBuf,
    /// Show only the problem with this id.
    #[arg(long)]
    pub problem: Option<String>,
    /// Data format: auto, apps-plus, apps, humaneval, mbpp, evalplus.
    #[arg(long, default_value = "auto")]
    pub format: Format,
    /// Print a JSON list (one object per problem) instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// A problem file (JSON, JSONL, optionally .gz) or an APPS folder.
    pub path: PathBuf,
    /// Pass probability of the simulated learner with no prefix (0 to 1); a longer
    /// prefix raises it: 1 - (1 - P)(1 - fraction of the solution given).
    #[arg(long)]
    pub pass_prob: f64,
    /// Number of rollouts to simulate.
    #[arg(long)]
    pub steps: u64,
    /// Seed of the simulation (same seed, same run).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Moving-average weight of Algorithm 1.
    #[arg(long, default_value_t = StepConfig::default().alpha)]
    pub alpha: f64,
    /// Threshold of the moving average above which a problem moves one stage harder.
    #[arg(long, default_value_t = StepConfig::default().rho_t)]
    pub rho_t: f64,
    /// Data format: auto, apps-plus, apps, humaneval, mbpp, evalplus.
    #[arg(long, default_value = "auto")]
    pub format: Format,
    /// Print a JSON list of snapshots instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(command: CurriculumCommand) -> anyhow::Result<()> {
    match command {
        CurriculumCommand::Show(args) => show(args),
        CurriculumCommand::Simulate(args) => simulate_cmd(args),
    }
}

fn load_data(path: &PathBuf, format: Format) -> anyhow::Result<Dataset> {
    let data = load(path, format).with_context(|| format!("loading {}", path.display()))?;
    if !data.errors.is_empty() {
        eprintln!(
            "warning: {} record(s) of {} could not be loaded (see `stepcoder data stats`)",
            data.errors.len(),
            path.display()
        );
    }
    Ok(data)
}

fn show(args: ShowArgs) -> anyhow::Result<()> {
    let data = load_data(&args.path, args.format)?;
    let problems: Vec<_> = match &args.problem {
        Some(id) => {
            let found: Vec<_> = data.problems.iter().filter(|p| &p.id == id).collect();
            if found.is_empty() {
                bail!("no problem with id `{id}` in {}", args.path.display());
            }
            found
        }
        None => data.problems.iter().collect(),
    };
    let mut out = Vec::with_capacity(problems.len());
    for p in problems {
        let c = ProblemCurriculum::new(p)
            .with_context(|| format!("cut points of problem `{}`", p.id))?;
        out.push(c);
    }
    if args.json {
        let list: Vec<_> = out
            .iter()
            .map(|c| {
                json!({
                    "id": c.id(),
                    "cut_lines": c.cuts().iter().map(|s| s.start_line).collect::<Vec<_>>(),
                    "stages": c.stages(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    for c in &out {
        let lines = stepcoder_curriculum::split::line_count(c.canonical());
        println!(
            "{}: {} cut points, {} stages, stride {}, {} lines",
            c.id(),
            c.num_cuts(),
            c.num_stages(),
            c.stride(),
            lines
        );
        for s in c.stages() {
            match s.cut_line {
                None => println!("  stage {:>2}  no prefix", s.stage),
                Some(l) => println!(
                    "  stage {:>2}  cut at line {l:>4}  prefix {:>4} of {lines} lines",
                    s.stage, s.prefix_lines
                ),
            }
        }
    }
    Ok(())
}

fn simulate_cmd(args: SimulateArgs) -> anyhow::Result<()> {
    let data = load_data(&args.path, args.format)?;
    let config = StepConfig {
        alpha: args.alpha,
        rho_t: args.rho_t,
    };
    let mut schedule = StepSchedule::new(config, &data.problems)
        .with_context(|| format!("building the curriculum of {}", args.path.display()))?;
    let snaps = simulate(
        &mut schedule,
        &data.problems,
        args.pass_prob,
        args.steps,
        args.seed,
    )?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&snaps)?);
        return Ok(());
    }
    println!(
        "{} problems, pass probability {} without prefix, alpha {}, rho_t {}, seed {}",
        data.problems.len(),
        args.pass_prob,
        config.alpha,
        config.rho_t,
        args.seed
    );
    println!("problems per stage (stage 0 first)");
    for s in &snaps {
        println!(
            "  step {:>8}  pass rate {:.3}  advances {:>6}  {:?}",
            s.step, s.pass_rate, s.advances, s.histogram
        );
    }
    Ok(())
}
