//! The CCCS curriculum of one APPS+ problem: its cut points and, stage by stage, which part
//! of the canonical solution is given and which the policy has to write.
//!
//! ```text
//! cargo run --example curriculum [PATH] [PROBLEM-ID]
//! ```
//! PATH defaults to the shared APPS+ validation file, PROBLEM-ID to the first problem with
//! at least four stages.

use std::path::PathBuf;

use stepcoder::core::CurriculumSchedule;
use stepcoder::curriculum::{ProblemCurriculum, StepConfig, StepSchedule};
use stepcoder::data::{load, Format};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/data/apps_plus/valid_350.json"
        ))
    });
    let wanted = args.next();
    let data = load(&path, Format::Auto)?;
    let mut chosen = None;
    for p in &data.problems {
        let c = ProblemCurriculum::new(p)?;
        let fits = match &wanted {
            Some(id) => &p.id == id,
            None => c.num_stages() >= 4,
        };
        if fits {
            chosen = Some((p, c));
            break;
        }
    }
    let Some((problem, c)) = chosen else {
        return Err(format!("no such problem in {}", path.display()).into());
    };
    let lines: Vec<&str> = c.canonical().split_inclusive('\n').collect();
    println!(
        "{} ({}, {} test(s)): {} lines, E = {} cut points -> {} stages, stride {}",
        problem.id,
        problem.difficulty,
        problem.tests.len(),
        lines.len(),
        c.num_cuts(),
        c.num_stages(),
        c.stride()
    );

    println!("\nCut points (the policy's completion starts at the block header):");
    for (i, s) in c.cuts().iter().enumerate() {
        // Stage c > 0 cuts at cut point number stride * c.
        let stage = (1..c.num_stages()).find(|&st| st * c.stride() == i);
        let mark = stage.map_or(String::new(), |st| format!("   <- stage {st}"));
        println!(
            "  #{i:<3} lines {:>3}-{:<3} {}{mark}",
            s.start_line, s.end_line, s.kind
        );
    }

    let schedule = StepSchedule::new(StepConfig::default(), std::slice::from_ref(problem))?;
    let start = schedule.plan(problem).stage;
    println!("\nStages, easiest first (Algorithm 1 starts at stage {start}):");
    for st in c.stages().into_iter().rev() {
        let (prefix, rest) = c.split(st.stage)?;
        let given = prefix.split_inclusive('\n').count();
        let to_write = rest.split_inclusive('\n').count();
        println!(
            "\n--- stage {}: {} ---",
            st.stage,
            match st.cut_line {
                Some(l) => format!(
                    "lines 1-{} given, the policy writes lines {l}-{}",
                    l - 1,
                    lines.len()
                ),
                None => format!("no prefix, the policy writes all {} lines", lines.len()),
            }
        );
        // A few lines around the cut: `|` given, `>` to be written.
        let first = given.saturating_sub(3);
        for (n, line) in lines.iter().enumerate().take(given).skip(first) {
            print!("  {:>3} | {line}", n + 1);
        }
        for (n, line) in lines.iter().enumerate().skip(given).take(3) {
            print!("  {:>3} > {line}", n + 1);
        }
        if !lines.last().is_some_and(|l| l.ends_with('\n')) && given + 3 >= lines.len() {
            println!();
        }
        if to_write > 3 {
            println!("      > ... ({} more lines to write)", to_write - 3);
        }
    }
    Ok(())
}
