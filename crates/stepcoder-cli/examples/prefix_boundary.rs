//! Does a CCCS prompt do better when it ends before the prefix's last line break?
//!
//! For each built-in problem with a curriculum prefix (the easiest stage of Algorithm 1), the
//! default model completes the prefix greedily twice: once with the prompt ending in the
//! prefix's `"\n"` (as before `prompt_prefix`), once ending before it (what the trainer does
//! now). Both programs run in the sandbox; prints, for each way, how many completions go on
//! inside the prefix's block (their first line is indented) and the outcome mix.
//!
//! `cargo run --release -p stepcoder-cli --example prefix_boundary -- [MAX_PROBLEMS] [MAX_NEW_TOKENS] [--show]`
//! (`--show` prints each program's end and why it failed).
use std::collections::BTreeMap;

use stepcoder_core::prompt::prompt_prefix;
use stepcoder_core::{CurriculumSchedule, Executor, OutcomeClass};
use stepcoder_curriculum::{StepConfig, StepSchedule};
use stepcoder_eval::{sample_programs, EvalConfig};
use stepcoder_model::LoadOptions;
use stepcoder_sandbox::{Sandbox, SandboxConfig};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let max_problems: usize = args.next().map_or(Ok(40), |a| a.parse())?;
    let max_new_tokens: usize = args.next().map_or(Ok(128), |a| a.parse())?;
    let show = args.next().is_some_and(|a| a == "--show");
    let problems = stepcoder_data::builtin().problems;
    let schedule = StepSchedule::new(StepConfig::default(), &problems)?;
    let with_prefix: Vec<(&stepcoder_core::Problem, String)> = problems
        .iter()
        .map(|p| (p, schedule.plan(p).prefix))
        .filter(|(_, prefix)| prefix.ends_with('\n'))
        .take(max_problems)
        .collect();
    let loaded = stepcoder_model::load(None, &LoadOptions::default())?;
    let sandbox = Sandbox::new(SandboxConfig::default())?;
    let cfg = EvalConfig {
        temperature: 0.0,
        max_new_tokens,
        ..EvalConfig::default()
    };
    println!(
        "{} problems with a prefix, greedy, up to {max_new_tokens} new tokens",
        with_prefix.len()
    );
    for (name, heal) in [
        ("prompt ends with the prefix's \\n", false),
        ("prompt ends before it", true),
    ] {
        let jobs: Vec<(&stepcoder_core::Problem, &str)> = with_prefix
            .iter()
            .map(|(p, prefix)| (*p, if heal { prompt_prefix(prefix) } else { prefix }))
            .collect();
        let mut programs = Vec::new();
        sample_programs(&loaded.model, &loaded.tokenizer, &jobs, &cfg, |_, batch| {
            programs.extend(batch.into_iter().map(|s| s.program));
            Ok(())
        })?;
        let runs: Vec<(&str, &stepcoder_core::Problem)> = programs
            .iter()
            .zip(&jobs)
            .map(|(prog, (p, _))| (prog.as_str(), *p))
            .collect();
        let mut mix: BTreeMap<OutcomeClass, usize> = BTreeMap::new();
        // Completions whose first line of code is indented: they go on inside the prefix's
        // block, as the canonical solution does (the built-in problems' code is a function,
        // so every cut lies inside its body).
        let mut continues = 0;
        for ((report, (program, p)), (_, prefix)) in sandbox
            .execute_batch(&runs)
            .into_iter()
            .zip(&runs)
            .zip(&jobs)
        {
            let report = report?;
            let first_line = program[prefix.len()..]
                .lines()
                .find(|l| !l.trim().is_empty());
            if first_line.is_some_and(|l| l.starts_with([' ', '\t'])) {
                continues += 1;
            }
            *mix.entry(report.class()).or_default() += 1;
            if show {
                let why = report
                    .first_failure()
                    .map_or("passed".into(), |o| o.to_string());
                println!("--- {} ({name}): {why}", p.id);
                // The prefix's last lines, then what the model wrote.
                let mut from = prefix.len().saturating_sub(80);
                while !program.is_char_boundary(from) {
                    from -= 1;
                }
                println!("{}", &program[from..]);
            }
        }
        let n = runs.len().max(1) as f64;
        let share = |c| 100.0 * *mix.get(&c).unwrap_or(&0) as f64 / n;
        println!(
            "{name:>34}: continues the block {:5.1}%  passed {:5.1}%  wrong {:5.1}%  runtime {:5.1}%  compile {:5.1}%",
            100.0 * continues as f64 / n,
            share(OutcomeClass::Passed),
            share(OutcomeClass::WrongAnswer),
            share(OutcomeClass::RuntimeError),
            share(OutcomeClass::CompileError),
        );
    }
    Ok(())
}
